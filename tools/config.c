// SPDX-License-Identifier: GPL-2.0-or-later
/* config.c - config file syntax, `${var}` substitution and -D variables
 *
 * Theory of operation: one pass over the text with a small hand-written
 * scanner (struct lex) that tracks line and column. Newlines end
 * statements except inside `[ ]`, where they are plain white space.
 * Substitution happens while a scalar is scanned, so everything after this
 * file sees final strings, each with the position where it started. The
 * keys and their checks are in config_domain.c.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_internal.h"

/* ---- errors ---- */

int config_errf(char *err, size_t errlen, const char *fname, unsigned line,
		unsigned col, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err || !errlen)
		return -EINVAL;
	if (line)
		n = snprintf(err, errlen, "%s:%u:%u: ", fname, line, col);
	else
		n = snprintf(err, errlen, "%s: ", fname);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- -D variables ---- */

struct config_var {
	char *name;
	char *value;
	bool used;
};

struct config_vars {
	struct config_var *v;
	size_t n;
};

static bool is_ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static bool is_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* Length of the identifier at @s (0 if none). */
static size_t ident_len(const char *s, size_t max)
{
	size_t i = 0;

	if (!max || !is_ident_start((unsigned char)s[0]))
		return 0;
	while (i < max && is_ident((unsigned char)s[i]))
		i++;
	return i;
}

struct config_vars *config_vars_new(void)
{
	return calloc(1, sizeof(struct config_vars));
}

void config_vars_free(struct config_vars *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	free(v->v);
	free(v);
}

static struct config_var *var_find(const struct config_vars *v,
				   const char *name, size_t len)
{
	size_t i;

	for (i = 0; v && i < v->n; i++)
		if (strlen(v->v[i].name) == len &&
		    !memcmp(v->v[i].name, name, len))
			return &v->v[i];
	return NULL;
}

int config_vars_set(struct config_vars *v, const char *name,
		    const char *value)
{
	struct config_var *var, *nv;
	char *copy;

	if (ident_len(name, strlen(name)) != strlen(name) || !*name)
		return -EINVAL;
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	var = var_find(v, name, strlen(name));
	if (var) {
		free(var->value);
		var->value = copy;
		return 0;
	}
	nv = realloc(v->v, (v->n + 1) * sizeof(*nv));
	if (!nv)
		goto nomem;
	v->v = nv;
	v->v[v->n].name = strdup(name);
	if (!v->v[v->n].name)
		goto nomem;
	v->v[v->n].value = copy;
	v->v[v->n].used = false;
	v->n++;
	return 0;
nomem:
	free(copy);
	return -ENOMEM;
}

/* True if @s starts with `name=`. */
static bool at_assignment(const char *s)
{
	size_t n = ident_len(s, strlen(s));

	return n && s[n] == '=';
}

int config_vars_parse(struct config_vars *v, const char *arg,
		      char *err, size_t errlen)
{
	const char *p = arg;
	char name[128];
	char *value;
	size_t n, vlen;
	int ret;

	do {
		n = ident_len(p, strlen(p));
		if (!n || p[n] != '=' || n >= sizeof(name)) {
			snprintf(err, errlen, "bad -D argument '%s': expected "
				 "VAR=VALUE[:VAR=VALUE...]", arg);
			return -EINVAL;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p += n + 1;
		/* the value runs to the next ':' that starts an assignment */
		for (vlen = 0; p[vlen]; vlen++)
			if (p[vlen] == ':' && at_assignment(p + vlen + 1))
				break;
		value = strndup(p, vlen);
		if (!value)
			return -ENOMEM;
		ret = config_vars_set(v, name, value);
		free(value);
		if (ret)
			return ret;
		p += vlen;
	} while (*p++ == ':');
	return 0;
}

const char *config_vars_get(const struct config_vars *v, const char *name)
{
	const struct config_var *var = var_find(v, name, strlen(name));

	return var ? var->value : NULL;
}

const char *config_vars_unused(const struct config_vars *v, size_t i)
{
	size_t k;

	for (k = 0; v && k < v->n; k++)
		if (!v->v[k].used && i-- == 0)
			return v->v[k].name;
	return NULL;
}

/* ---- the scanner ---- */

struct lex {
	const char *fname;
	const char *p, *end;
	unsigned line, col;
	struct config_vars *vars;
	struct config_var_list *uses;	/* collect mode when non-NULL */
	size_t *stmt_uses;		/* indices into uses, this statement */
	size_t n_stmt_uses;
	char *err;
	size_t errlen;
	char *buf;			/* the scalar being scanned */
	size_t blen, bcap;
};

#define END	(-1)

static int peek(const struct lex *l)
{
	return l->p < l->end ? (unsigned char)*l->p : END;
}

static int peek2(const struct lex *l)
{
	return l->p + 1 < l->end ? (unsigned char)l->p[1] : END;
}

static void adv(struct lex *l)
{
	if (l->p >= l->end)
		return;
	if (*l->p == '\n') {
		l->line++;
		l->col = 1;
	} else {
		l->col++;
	}
	l->p++;
}

static int put(struct lex *l, char c)
{
	char *nb;

	if (l->blen + 1 >= l->bcap) {
		size_t cap = l->bcap ? l->bcap * 2 : 64;

		nb = realloc(l->buf, cap);
		if (!nb)
			return -ENOMEM;
		l->buf = nb;
		l->bcap = cap;
	}
	l->buf[l->blen++] = c;
	l->buf[l->blen] = '\0';
	return 0;
}

static int puts_n(struct lex *l, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (put(l, s[i]))
			return -ENOMEM;
	return 0;
}

/* Spaces and tabs; a '\r' before '\n' counts as space (CRLF files). */
static void skip_sp(struct lex *l)
{
	int c;

	while ((c = peek(l)) == ' ' || c == '\t' ||
	       (c == '\r' && peek2(l) == '\n'))
		adv(l);
}

static void skip_comment(struct lex *l)
{
	while (peek(l) != END && peek(l) != '\n')
		adv(l);
}

/* White space, newlines and comments. */
static void skip_ws_nl(struct lex *l)
{
	for (;;) {
		skip_sp(l);
		if (peek(l) == '\n')
			adv(l);
		else if (peek(l) == '#')
			skip_comment(l);
		else
			return;
	}
}

static bool is_bare(int c)
{
	return c != END && c > ' ' && c != 0x7f && !strchr("#,[]\"';", c);
}

/* ---- substitution ---- */

static int record_use(struct lex *l, const char *name, size_t nlen,
		      const char *def, size_t dlen, unsigned line)
{
	struct config_var_list *u = l->uses;
	struct config_var_use *nv;
	size_t i, *ns;

	for (i = 0; i < u->n; i++)
		if (strlen(u->v[i].name) == nlen &&
		    !memcmp(u->v[i].name, name, nlen))
			break;
	if (i == u->n) {
		nv = realloc(u->v, (u->n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		u->v = nv;
		memset(&u->v[i], 0, sizeof(u->v[i]));
		u->v[i].line = line;
		u->v[i].name = strndup(name, nlen);
		if (def)
			u->v[i].def = strndup(def, dlen);
		u->n++;
		if (!u->v[i].name || (def && !u->v[i].def))
			return -ENOMEM;
	} else if (!def) {
		/* any use without a default makes the variable required */
		free(u->v[i].def);
		u->v[i].def = NULL;
	}
	ns = realloc(l->stmt_uses, (l->n_stmt_uses + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	l->stmt_uses = ns;
	l->stmt_uses[l->n_stmt_uses++] = i;
	return 0;
}

/* Put the value of a variable use (name, optional default) in l->buf. */
static int expand(struct lex *l, const char *name, size_t nlen,
		  const char *def, size_t dlen, unsigned line, unsigned col)
{
	struct config_var *var;

	if (l->uses) {
		if (record_use(l, name, nlen, def, dlen, line))
			return -ENOMEM;
		return def ? puts_n(l, def, dlen) : 0;
	}
	var = var_find(l->vars, name, nlen);
	if (var)
		var->used = true;
	if (var && (!def || var->value[0]))
		return puts_n(l, var->value, strlen(var->value));
	if (def)
		return puts_n(l, def, dlen);
	return config_errf(l->err, l->errlen, l->fname, line, col,
			   "variable '%.*s' is required: set it with -D %.*s=...",
			   (int)nlen, name, (int)nlen, name);
}

/* At "${": scan `${name}` or `${name:-default}` and expand it. */
static int subst(struct lex *l)
{
	unsigned line = l->line, col = l->col;
	const char *name, *def = NULL;
	size_t nlen, dlen = 0;

	adv(l);
	adv(l);
	name = l->p;
	nlen = ident_len(l->p, (size_t)(l->end - l->p));
	if (!nlen)
		return config_errf(l->err, l->errlen, l->fname, l->line,
				   l->col, "expected a variable name after '${'");
	while (nlen > (size_t)(l->p - name))
		adv(l);
	if (peek(l) == ':' && peek2(l) == '-') {
		adv(l);
		adv(l);
		def = l->p;
		while (peek(l) != '}' && peek(l) != '\n' && peek(l) != END)
			adv(l);
		dlen = (size_t)(l->p - def);
	}
	if (peek(l) != '}')
		return config_errf(l->err, l->errlen, l->fname, l->line,
				   l->col, def ? "unterminated '${' (expected '}')"
				   : "expected '}' or ':-default' after '${%.*s'",
				   (int)nlen, name);
	adv(l);
	return expand(l, name, nlen, def, dlen, line, col);
}

/* At '$': a substitution, "$$" for one '$', or a literal '$'. */
static int dollar(struct lex *l)
{
	if (peek2(l) == '{')
		return subst(l);
	if (peek2(l) == '$')
		adv(l);
	adv(l);
	return put(l, '$');
}

/* ---- scalars ---- */

static int escape(struct lex *l)
{
	static const char from[] = "\\\"'$nt", to[] = "\\\"'$\n\t";
	const char *e;
	int c = peek2(l);

	e = c != END && c ? strchr(from, c) : NULL;
	if (!e)
		return config_errf(l->err, l->errlen, l->fname, l->line, l->col,
				   "unknown escape '\\%c' (use '\\\\' for a "
				   "backslash)", c == END || c < ' ' ? ' ' : c);
	adv(l);
	adv(l);
	return put(l, to[e - from]);
}

static int string(struct lex *l)
{
	unsigned line = l->line, col = l->col;
	int q = peek(l), c, ret;

	adv(l);
	while ((c = peek(l)) != q) {
		if (c == END || c == '\n')
			return config_errf(l->err, l->errlen, l->fname, line,
					   col, "unterminated string (expected "
					   "a closing %c on the same line)", q);
		if (c == '\\')
			ret = escape(l);
		else if (c == '$')
			ret = dollar(l);
		else {
			ret = put(l, (char)c);
			adv(l);
		}
		if (ret)
			return ret;
	}
	adv(l);
	return 0;
}

static int bare(struct lex *l)
{
	int c, ret;

	while (is_bare(c = peek(l))) {
		if (c == '$') {
			ret = dollar(l);
		} else {
			ret = put(l, (char)c);
			adv(l);
		}
		if (ret)
			return ret;
	}
	return 0;
}

static bool scalar_start(int c)
{
	return c == '"' || c == '\'' || is_bare(c);
}

/* Scan one string or bare value into a new item of @e. */
static int scalar(struct lex *l, struct config_entry *e)
{
	struct config_item *it, *ni;
	int ret;

	ni = realloc(e->items, (e->n + 1) * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	e->items = ni;
	it = &e->items[e->n];
	memset(it, 0, sizeof(*it));
	it->line = l->line;
	it->col = l->col;
	it->quoted = peek(l) == '"' || peek(l) == '\'';
	l->blen = 0;
	if (put(l, '\0'))
		return -ENOMEM;
	l->blen = 0;
	ret = it->quoted ? string(l) : bare(l);
	if (ret)
		return ret;
	it->s = strdup(l->buf);
	if (!it->s)
		return -ENOMEM;
	e->n++;
	return 0;
}

/* ---- statements ---- */

static int list(struct lex *l, struct config_entry *e)
{
	unsigned line = l->line, col = l->col;
	int ret;

	e->is_list = true;
	adv(l);
	for (;;) {
		skip_ws_nl(l);
		if (peek(l) == ']')
			break;
		if (peek(l) == END)
			goto unterminated;
		if (peek(l) == '[')
			return config_errf(l->err, l->errlen, l->fname, l->line,
					   l->col, "nested lists are not supported");
		if (!scalar_start(peek(l)))
			return config_errf(l->err, l->errlen, l->fname, l->line,
					   l->col, "expected a list item or ']'");
		ret = scalar(l, e);
		if (ret)
			return ret;
		skip_ws_nl(l);
		if (peek(l) == ']')
			break;
		if (peek(l) == END)
			goto unterminated;
		if (peek(l) != ',')
			return config_errf(l->err, l->errlen, l->fname, l->line,
					   l->col, "expected ',' or ']' after a "
					   "list item");
		adv(l);
	}
	adv(l);
	return 0;
unterminated:
	return config_errf(l->err, l->errlen, l->fname, line, col,
			   "unterminated list (expected ']')");
}

/* A trailing comment documents the variables of its statement (-h). */
static int trailing_comment(struct lex *l)
{
	const char *s, *e;
	size_t i;

	adv(l);
	s = l->p;
	skip_comment(l);
	e = l->p;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	for (i = 0; l->uses && i < l->n_stmt_uses && e > s; i++) {
		struct config_var_use *u = &l->uses->v[l->stmt_uses[i]];

		if (!u->doc && !(u->doc = strndup(s, (size_t)(e - s))))
			return -ENOMEM;
	}
	return 0;
}

static int key(struct lex *l, struct config_file *f, struct config_entry *e)
{
	size_t n, i;

	e->line = l->line;
	e->col = l->col;
	n = ident_len(l->p, (size_t)(l->end - l->p));
	if (!n)
		return config_errf(l->err, l->errlen, l->fname, l->line, l->col,
				   "expected a key name such as 'memory'");
	e->key = strndup(l->p, n);
	if (!e->key)
		return -ENOMEM;
	while (n--)
		adv(l);
	for (i = 0; &f->e[i] != e; i++)	/* the earlier statements */
		if (!strcmp(f->e[i].key, e->key))
			return config_errf(l->err, l->errlen, l->fname, e->line,
					   e->col, "duplicate key '%s' (first set "
					   "at line %u)", e->key, f->e[i].line);
	return 0;
}

static int statement(struct lex *l, struct config_file *f,
		     struct config_entry *e)
{
	int ret;

	l->n_stmt_uses = 0;
	ret = key(l, f, e);
	if (ret)
		return ret;
	skip_sp(l);
	if (peek(l) != '=')
		return config_errf(l->err, l->errlen, l->fname, l->line, l->col,
				   "expected '=' after '%s'", e->key);
	adv(l);
	skip_sp(l);
	e->vline = l->line;
	e->vcol = l->col;
	if (peek(l) == '[')
		ret = list(l, e);
	else if (scalar_start(peek(l)))
		ret = scalar(l, e);
	else
		return config_errf(l->err, l->errlen, l->fname, l->line, l->col,
				   "expected a value for '%s' (a string, an "
				   "integer or a [list])", e->key);
	if (ret)
		return ret;
	skip_sp(l);
	if (peek(l) == ';') {
		adv(l);
		skip_sp(l);
	}
	if (peek(l) == '#')
		ret = trailing_comment(l);
	if (ret)
		return ret;
	if (peek(l) != END && peek(l) != '\n')
		return config_errf(l->err, l->errlen, l->fname, l->line, l->col,
				   "expected the end of the line after the "
				   "value of '%s'", e->key);
	return 0;
}

/* Position of the first NUL byte, which no config text may hold. */
static bool find_nul(const char *text, size_t len, unsigned *line,
		     unsigned *col)
{
	const char *z = memchr(text, '\0', len), *p;

	if (!z)
		return false;
	*line = 1;
	*col = 1;
	for (p = text; p < z; p++) {
		if (*p == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
	return true;
}

int config_syntax(const char *fname, const char *text, size_t len,
		  struct config_vars *vars, struct config_var_list *uses,
		  struct config_file *out, char *err, size_t errlen)
{
	struct lex l = {
		.fname = fname, .p = text, .end = text + len, .line = 1,
		.col = 1, .vars = vars, .uses = uses, .err = err,
		.errlen = errlen,
	};
	struct config_entry *ne;
	unsigned zl, zc;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->fname = fname;
	if (find_nul(text, len, &zl, &zc))
		return config_errf(err, errlen, fname, zl, zc,
				   "NUL byte in a config file");
	for (;;) {
		skip_ws_nl(&l);
		if (peek(&l) == END)
			break;
		ne = realloc(out->e, (out->n + 1) * sizeof(*ne));
		if (!ne) {
			ret = -ENOMEM;
			break;
		}
		out->e = ne;
		memset(&out->e[out->n], 0, sizeof(*ne));
		out->n++;
		ret = statement(&l, out, &out->e[out->n - 1]);
		if (ret)
			break;
	}
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", fname);
	free(l.buf);
	free(l.stmt_uses);
	return ret;
}

void config_file_free(struct config_file *f)
{
	size_t i, k;

	for (i = 0; f && i < f->n; i++) {
		for (k = 0; k < f->e[i].n; k++)
			free(f->e[i].items[k].s);
		free(f->e[i].items);
		free(f->e[i].key);
	}
	if (f) {
		free(f->e);
		f->e = NULL;
		f->n = 0;
	}
}

/* ---- the variables of a file ---- */

int config_list_vars(const char *fname, const char *text, size_t len,
		     struct config_var_list *out, char *err, size_t errlen)
{
	struct config_file f;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = config_syntax(fname, text, len, NULL, out, &f, err, errlen);
	config_file_free(&f);
	return ret;
}

void config_var_list_free(struct config_var_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].def);
		free(l->v[i].doc);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- files ---- */

int config_read_file(const char *path, char **text, size_t *len,
		     char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, ret;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto err;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto err_close;
	}
	if (S_ISDIR(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EFBIG;
		goto err_close;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto err_close;
	}
	while ((n = read(fd, buf + got, CONFIG_FILE_MAX + 1 - got)) > 0)
		got += (size_t)n;
	if (n < 0 || got > CONFIG_FILE_MAX) {
		ret = n < 0 ? -errno : -EFBIG;
		goto err_free;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
err_free:
	free(buf);
err_close:
	close(fd);
err:
	snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
	return ret;
}
