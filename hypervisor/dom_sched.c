// SPDX-License-Identifier: GPL-2.0-or-later
/* dom_sched.c - CPU scheduling of domains: cgroups, BVT on Linux, pins
 *
 * The mapping, the cgroup layout and sched.json are described in dom_sched.h.
 * State: one table of what was set, by domain id, plus the base slice;
 * every change is written to sched.json at once, so the file always says
 * what the next xend applies at adopt.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "record.h"
#include "dom_sched.h"
#include "fileio.h"

#define SCHED_VERSION		1
#define PARENT_NAME		"xeno"
#define CPU_ONLINE_PATH		"/sys/devices/system/cpu/online"
#define MOUNTINFO_PATH		"/proc/self/mountinfo"
#define RMDIR_TRIES		20	/* 10 ms apart: killed tasks exiting */

/* v1 cpu.shares and v2 cpu.weight: MCUADV 10 is the kernel's default */
#define V1_SCALE		10240
#define V1_MIN			2
#define V1_MAX			262144
#define V2_SCALE		1000
#define V2_MIN			1
#define V2_MAX			10000

/* What was set for one domain. */
struct sched_dom {
	bool set;			/* bvt[] given by cpu_bvtset */
	bool pinned;			/* cpu given by pincpu (not -1) */
	uint32_t bvt[XEND_BVT_N];
	int cpu;
};

static struct {
	char state_dir[PATH_MAX];	/* "": not loaded, nothing persisted */
	char parent[32];		/* "xeno" or "xeno-XXXXXXXX" */
	uint64_t slice_ns;		/* cpu_bvtslice; 0: none */
	struct sched_dom doms[XEND_DOMS_MAX + 1];

	char cgroot[PATH_MAX];		/* the cpu controller's hierarchy */
	int cgver;			/* 1 or 2; 0: none found */
	bool cg_known;			/* probed, or set by a test */
	bool slice_warned;		/* "ignored by this kernel" logged */
} S = { .parent = PARENT_NAME };

/* ---- small file helpers ---- */

static int write_file(const char *path, const char *text, int flags)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* Read up to @size - 1 bytes of @path into @buf, NUL-terminated. */
static int read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Is @tok one of the @sep-separated words of @list? */
static bool has_word(const char *list, const char *tok, const char *sep)
{
	size_t len = strlen(tok);

	for (const char *p = list; *p; p += strcspn(p, sep)) {
		p += strspn(p, sep);
		if (!strncmp(p, tok, len) && (!p[len] || strchr(sep, p[len])))
			return true;
	}
	return false;
}

/* ---- persistence ---- */

static json_object *dom_json(uint32_t id)
{
	static const char *const names[] = { "mcuadv", "warp", "warpl",
					     "warpu" };
	json_object *o = json_object_new_object();
	uint32_t bvt[XEND_BVT_N];

	if (!o)
		return NULL;
	xend_sched_dom_bvt(id, bvt);
	json_object_object_add(o, "dom", json_object_new_int64(id));
	for (unsigned i = 0; i < XEND_BVT_N; i++)
		json_object_object_add(o, names[i],
				       json_object_new_int64(bvt[i]));
	json_object_object_add(o, "cpu",
			       json_object_new_int(xend_sched_dom_cpu(id)));
	return o;
}

/* Write sched.json (nothing before xend_sched_load()); a failure is
 * logged and the next change tries again. */
static void save(void)
{
	json_object *o, *arr;
	char path[PATH_MAX];
	const char *text;
	int ret;

	if (!S.state_dir[0] ||
	    (size_t)snprintf(path, sizeof(path), "%s/" XEND_SCHED_FILE,
			     S.state_dir) >= sizeof(path))
		return;
	o = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(o, "version",
			       json_object_new_int(SCHED_VERSION));
	json_object_object_add(o, "slice_ns",
			       json_object_new_int64((int64_t)S.slice_ns));
	for (uint32_t id = 1; id <= XEND_DOMS_MAX; id++)
		if (S.doms[id].set || S.doms[id].pinned)
			json_object_array_add(arr, dom_json(id));
	json_object_object_add(o, "domains", arr);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ret = xend_file_write_atomic(path, text, NULL);
	json_object_put(o);
	if (ret)
		log_err("sched: cannot write %s: %s", path, strerror(-ret));
}

/* An unsigned field of @o in 0..@max into *@out. */
static bool get_num(json_object *o, const char *key, int64_t min, int64_t max,
		    int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return *out >= min && *out <= max;
}

/* One entry of "domains"; false if it is malformed. */
static bool load_dom(json_object *e)
{
	static const char *const names[] = { "mcuadv", "warp", "warpl",
					     "warpu" };
	static const int64_t max[] = { XEND_SCHED_MCUADV_MAX,
				       XEND_SCHED_WARP_MAX,
				       XEND_SCHED_WARPLU_MAX,
				       XEND_SCHED_WARPLU_MAX };
	struct sched_dom sd = { .cpu = -1 };
	int64_t id, v;

	if (!get_num(e, "dom", 1, XEND_DOMS_MAX, &id) ||
	    !get_num(e, "cpu", -1, XEND_SCHED_CPU_MAX, &v))
		return false;
	sd.cpu = (int)v;
	sd.pinned = v >= 0;
	for (unsigned i = 0; i < XEND_BVT_N; i++) {
		if (!get_num(e, names[i], i == XEND_BVT_MCUADV, max[i], &v))
			return false;
		sd.bvt[i] = (uint32_t)v;
	}
	sd.set = true;
	S.doms[id] = sd;
	return true;
}

static int load_file(const char *path)
{
	json_object *o = json_object_from_file(path), *arr;
	int64_t v;
	int ret = 0;

	if (!o)
		return access(path, F_OK) ? 0 : -EINVAL;	/* none: 0 */
	if (!get_num(o, "version", SCHED_VERSION, SCHED_VERSION, &v) ||
	    !get_num(o, "slice_ns", 0, (int64_t)XEND_SCHED_SLICE_MAX_NS, &v) ||
	    !json_object_object_get_ex(o, "domains", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(o);
		return -EINVAL;
	}
	S.slice_ns = (uint64_t)v;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!load_dom(json_object_array_get_idx(arr, i)))
			ret = -EINVAL;	/* the others still count */
	json_object_put(o);
	return ret;
}

/* The parent's name for @state_dir: see dom_sched.h. FNV-1a of the path. */
static void name_parent(const char *state_dir)
{
	uint32_t h = 2166136261u;

	if (!strcmp(state_dir, XEND_SCHED_DEFAULT_STATE_DIR)) {
		snprintf(S.parent, sizeof(S.parent), PARENT_NAME);
		return;
	}
	for (const char *p = state_dir; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(S.parent, sizeof(S.parent), PARENT_NAME "-%08x", h);
}

static void forget_values(void)
{
	S.slice_ns = 0;
	for (unsigned i = 0; i <= XEND_DOMS_MAX; i++)
		S.doms[i] = (struct sched_dom){ .cpu = -1 };
}

/* xend_sched_load() - see dom_sched.h. Loading the same directory again
 * does nothing, so builders may call it before each use. */
int xend_sched_load(const char *state_dir)
{
	char path[PATH_MAX];
	int ret;

	if (!state_dir || !*state_dir)
		return -EINVAL;
	if (!strcmp(S.state_dir, state_dir))
		return 0;
	if ((size_t)snprintf(S.state_dir, sizeof(S.state_dir), "%s",
			     state_dir) >= sizeof(S.state_dir) ||
	    (size_t)snprintf(path, sizeof(path), "%s/" XEND_SCHED_FILE,
			     state_dir) >= sizeof(path)) {
		S.state_dir[0] = '\0';
		return -ENAMETOOLONG;
	}
	name_parent(state_dir);
	forget_values();
	ret = load_file(path);
	if (ret)
		log_warn("sched: %s is damaged: some values were ignored",
			 path);
	return ret;
}

/* xend_sched_forget() - see dom_sched.h. */
void xend_sched_forget(void)
{
	S.state_dir[0] = '\0';
	snprintf(S.parent, sizeof(S.parent), PARENT_NAME);
	forget_values();
	S.slice_warned = false;
}

/* ---- the mapping ---- */

/* xend_sched_weight() - see dom_sched.h. Rounded to the nearest. */
uint32_t xend_sched_weight(int version, uint32_t mcuadv)
{
	uint64_t scale = version == 2 ? V2_SCALE : V1_SCALE;
	uint64_t lo = version == 2 ? V2_MIN : V1_MIN;
	uint64_t hi = version == 2 ? V2_MAX : V1_MAX;
	uint64_t w;

	if (!mcuadv)
		return (uint32_t)hi;
	w = (scale + mcuadv / 2) / mcuadv;
	return (uint32_t)(w < lo ? lo : w > hi ? hi : w);
}

/* xend_sched_slice_ns() - see dom_sched.h. */
uint64_t xend_sched_slice_ns(uint64_t base_ns, uint32_t warp)
{
	uint64_t warp_ns = (uint64_t)warp * 1000000;

	if (!warp)
		return base_ns;
	if (!base_ns)
		base_ns = XEND_SCHED_SLICE_NOMINAL_NS;
	if (warp_ns >= base_ns - XEND_SCHED_SLICE_MIN_NS)
		return XEND_SCHED_SLICE_MIN_NS;
	return base_ns - warp_ns;
}

/* xend_sched_bvt_check() - see dom_sched.h. */
int xend_sched_bvt_check(const uint32_t bvt[XEND_BVT_N], struct ctl_req *req)
{
	if (bvt[XEND_BVT_MCUADV] < 1 ||
	    bvt[XEND_BVT_MCUADV] > XEND_SCHED_MCUADV_MAX)
		return ctl_fail(req, "field 'mcuadv' must be 1..%d",
				XEND_SCHED_MCUADV_MAX);
	if (bvt[XEND_BVT_WARP] > XEND_SCHED_WARP_MAX)
		return ctl_fail(req, "field 'warp' must be 0..%d (ms)",
				XEND_SCHED_WARP_MAX);
	if (bvt[XEND_BVT_WARPL] > XEND_SCHED_WARPLU_MAX)
		return ctl_fail(req, "field 'warpl' must be 0..%d (ms)",
				XEND_SCHED_WARPLU_MAX);
	if (bvt[XEND_BVT_WARPU] > XEND_SCHED_WARPLU_MAX)
		return ctl_fail(req, "field 'warpu' must be 0..%d (ms)",
				XEND_SCHED_WARPLU_MAX);
	return 0;
}

/* xend_sched_cpulist_has() - see dom_sched.h. */
bool xend_sched_cpulist_has(const char *list, int cpu)
{
	const char *p = list;
	bool found = false;

	while (*p && *p != '\n') {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p || lo < 0)
			return false;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p || hi < lo)
				return false;
		}
		found |= cpu >= lo && cpu <= hi;
		if (*end == ',')
			end++;
		else if (*end && *end != '\n')
			return false;
		p = end;
	}
	return found;
}

/* ---- cgroups ---- */

/* Does the cgroup2 hierarchy at @mnt offer the cpu controller? */
static bool v2_has_cpu(const char *mnt)
{
	char path[PATH_MAX], buf[512];

	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.controllers",
			     mnt) >= sizeof(path) ||
	    read_file(path, buf, sizeof(buf)))
		return false;
	return has_word(buf, "cpu", " \n");
}

/* Find the cpu controller in mountinfo: a v1 hierarchy with "cpu" among
 * its super options wins (the controller cannot then be on v2). */
static void probe(void)
{
	char mnt[PATH_MAX], fstype[64], opts[512], v2[PATH_MAX] = "";
	FILE *f = fopen(MOUNTINFO_PATH, "re");
	size_t cap = 0;
	char *line = NULL;

	S.cg_known = true;
	S.cgver = 0;
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		if (!strcmp(fstype, "cgroup") && has_word(opts, "cpu", ",")) {
			snprintf(S.cgroot, sizeof(S.cgroot), "%s", mnt);
			S.cgver = 1;
			break;
		}
		if (!strcmp(fstype, "cgroup2") && !v2[0] && v2_has_cpu(mnt))
			snprintf(v2, sizeof(v2), "%s", mnt);
	}
	free(line);
	fclose(f);
	if (!S.cgver && v2[0]) {
		snprintf(S.cgroot, sizeof(S.cgroot), "%s", v2);
		S.cgver = 2;
	}
	if (S.cgver)
		log_info("sched: cpu controller: cgroup v%d at %s", S.cgver,
			 S.cgroot);
	else
		log_warn("sched: no cgroup hierarchy with the cpu controller: "
			 "cpu_bvtset cannot weigh domains");
}

/* xend_sched_set_cgroot() - see dom_sched.h. */
int xend_sched_set_cgroot(const char *root, int version)
{
	if (!root) {
		S.cg_known = false;
		return 0;
	}
	if ((version != 1 && version != 2) ||
	    (size_t)snprintf(S.cgroot, sizeof(S.cgroot), "%s", root) >=
	    sizeof(S.cgroot))
		return -EINVAL;
	S.cgver = version;
	S.cg_known = true;
	return 0;
}

static int cg_version(void)
{
	if (!S.cg_known)
		probe();
	return S.cgver;
}

/* xend_sched_cg_path() - see dom_sched.h. */
int xend_sched_cg_path(uint32_t dom, char *buf, size_t size)
{
	int n;

	if (!cg_version())
		return -ENOENT;
	if (dom)
		n = snprintf(buf, size, "%s/%s/dom%u", S.cgroot, S.parent, dom);
	else
		n = snprintf(buf, size, "%s/%s", S.cgroot, S.parent);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* @dir/@file into @buf. */
static int cg_file(const char *dir, const char *file, char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "%s/%s", dir, file) >= size ?
	       -ENAMETOOLONG : 0;
}

/* v2: let @dir's children have the cpu controller. */
static int enable_cpu(const char *dir)
{
	char path[PATH_MAX], buf[512];
	int ret = cg_file(dir, "cgroup.subtree_control", path, sizeof(path));

	if (ret)
		return ret;
	if (!read_file(path, buf, sizeof(buf)) && has_word(buf, "cpu", " \n"))
		return 0;
	return write_file(path, "+cpu\n", O_CREAT | O_APPEND);
}

/* xend_sched_cg_create() - see dom_sched.h. */
int xend_sched_cg_create(uint32_t dom)
{
	char parent[PATH_MAX], path[PATH_MAX];
	int ret = xend_sched_cg_path(0, parent, sizeof(parent));

	if (!ret)
		ret = xend_sched_cg_path(dom, path, sizeof(path));
	if (ret)
		return ret;
	if (mkdir(parent, 0755) && errno != EEXIST)
		return -errno;
	if (S.cgver == 2) {
		ret = enable_cpu(S.cgroot);
		if (!ret)
			ret = enable_cpu(parent);
		if (ret)
			return ret;
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Write @pid into the cgroup.procs of @dir. */
static int procs_add(const char *dir, pid_t pid)
{
	char path[PATH_MAX], num[24];
	int ret = cg_file(dir, "cgroup.procs", path, sizeof(path));

	if (ret)
		return ret;
	snprintf(num, sizeof(num), "%d\n", (int)pid);
	return write_file(path, num, O_CREAT | O_APPEND);
}

/* xend_sched_attach() - see dom_sched.h. */
int xend_sched_attach(uint32_t dom, pid_t pid)
{
	char path[PATH_MAX];
	int ret = xend_sched_cg_create(dom);

	if (!ret)
		ret = xend_sched_cg_path(dom, path, sizeof(path));
	if (!ret)
		ret = procs_add(path, pid);
	return ret;
}

/* Move every process listed in @dir's cgroup.procs to the root. */
static void procs_evict(const char *dir)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *f;

	if (cg_file(dir, "cgroup.procs", path, sizeof(path)))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		long pid = strtol(line, NULL, 10);	/* 0: another pidns */

		if (pid > 0 && procs_add(S.cgroot, (pid_t)pid) &&
		    errno != ESRCH)
			log_warn("sched: cannot move pid %ld out of %s", pid,
				 dir);
	}
	free(line);
	fclose(f);
}

/* A plain directory (a test's tree) keeps its files, which rmdir() of a
 * cgroup does not need removed: unlink them. */
static void unlink_plain_files(const char *dir)
{
	struct statfs sf;
	struct dirent *de;
	DIR *d;

	if (statfs(dir, &sf) || sf.f_type == CGROUP_SUPER_MAGIC ||
	    sf.f_type == CGROUP2_SUPER_MAGIC)
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_REG)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/* xend_sched_cg_remove() - see dom_sched.h. Killed processes take a
 * moment to leave the cgroup: retried for up to RMDIR_TRIES * 10 ms. */
int xend_sched_cg_remove(uint32_t dom)
{
	char path[PATH_MAX];
	int ret = xend_sched_cg_path(dom, path, sizeof(path));

	if (ret)
		return ret == -ENOENT ? 0 : ret;
	for (int i = 0; i < RMDIR_TRIES; i++) {
		if (access(path, F_OK))
			return 0;
		procs_evict(path);
		unlink_plain_files(path);
		if (!rmdir(path) || errno == ENOENT) {
			/* the last one out removes the parent: test runs
			 * each have their own; it fails while others live */
			if (!xend_sched_cg_path(0, path, sizeof(path)))
				rmdir(path);
			return 0;
		}
		ret = -errno;
		if (ret != -EBUSY)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	return ret;
}

/* Set @dom's cgroup weight for @mcuadv; the value written into *@w. */
static int cg_set_weight(uint32_t dom, uint32_t mcuadv, uint32_t *w)
{
	char dir[PATH_MAX], path[PATH_MAX], num[24];
	int ret = xend_sched_cg_path(dom, dir, sizeof(dir));

	if (!ret)
		ret = cg_file(dir, S.cgver == 2 ? "cpu.weight" : "cpu.shares",
			      path, sizeof(path));
	if (ret)
		return ret;
	*w = xend_sched_weight(S.cgver, mcuadv);
	snprintf(num, sizeof(num), "%u\n", *w);
	return write_file(path, num, O_CREAT | O_TRUNC);
}

/* ---- threads ---- */

/* struct sched_attr, its first version (SCHED_ATTR_SIZE_VER0). glibc
 * 2.36 has no wrapper for sched_setattr(2). */
struct attr {
	uint32_t size;
	uint32_t policy;
	uint64_t flags;
	/* cppcheck-suppress unusedStructMember ; passed back as read */
	int32_t nice;
	/* cppcheck-suppress unusedStructMember ; passed back as read */
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

#define FLAG_RESET_ON_FORK	0x01

static int get_attr(pid_t tid, struct attr *a)
{
	memset(a, 0, sizeof(*a));
	return syscall(SYS_sched_getattr, tid, a, sizeof(*a), 0) ? -errno : 0;
}

/* Set one thread's slice, keeping its policy and nice. 1 if set, 0 if
 * skipped (real-time, gone), or -errno; *@ok: the kernel kept it. */
static int slice_one(pid_t tid, uint64_t ns, bool *ok)
{
	uint64_t want = ns < XEND_SCHED_SLICE_MIN_NS ? XEND_SCHED_SLICE_MIN_NS :
			ns > XEND_SCHED_SLICE_MAX_NS ? XEND_SCHED_SLICE_MAX_NS :
			ns;
	struct attr a;
	int ret = get_attr(tid, &a);

	if (ret)
		return ret == -ESRCH ? 0 : ret;
	if (a.policy != SCHED_OTHER && a.policy != SCHED_BATCH &&
	    a.policy != SCHED_IDLE)
		return 0;
	a.size = sizeof(a);
	a.flags &= FLAG_RESET_ON_FORK;
	a.runtime = ns;
	a.deadline = a.period = 0;
	if (syscall(SYS_sched_setattr, tid, &a, 0)) {
		if (errno == ESRCH)
			return 0;
		if (errno != EINVAL || !ns)
			return -errno;
		*ok = false;	/* a kernel that refuses the field */
		return 1;
	}
	if (ns && (get_attr(tid, &a) || a.runtime != want))
		*ok = false;	/* CFS (before 6.12) ignores sched_runtime */
	return 1;
}

/* xend_sched_slice_threads() - see dom_sched.h. */
int xend_sched_slice_threads(const pid_t *tids, unsigned n, uint64_t slice_ns,
			     bool *honoured)
{
	int set = 0;

	*honoured = true;
	for (unsigned i = 0; i < n; i++) {
		int ret = slice_one(tids[i], slice_ns, honoured);

		if (ret < 0)
			return ret;
		set += ret;
	}
	if (!*honoured && !S.slice_warned) {
		log_warn("sched: this kernel ignores a custom slice "
			 "(sched_runtime of SCHED_OTHER needs Linux 6.12+): "
			 "cpu_bvtset's warp and cpu_bvtslice have no effect");
		S.slice_warned = true;
	}
	return set;
}

/* Is @cpu online? */
static bool cpu_online(int cpu, char *list, size_t size)
{
	if (read_file(CPU_ONLINE_PATH, list, size))
		return cpu == 0;
	list[strcspn(list, "\n")] = '\0';
	return xend_sched_cpulist_has(list, cpu);
}

/* xend_sched_pin_threads() - see dom_sched.h. */
int xend_sched_pin_threads(const pid_t *tids, unsigned n, int cpu)
{
	size_t size = CPU_ALLOC_SIZE(XEND_SCHED_CPU_MAX + 1);
	cpu_set_t *set;
	char online[256];
	int ret = 0;

	if (cpu > XEND_SCHED_CPU_MAX || cpu < -1 ||
	    (cpu >= 0 && !cpu_online(cpu, online, sizeof(online))))
		return -EINVAL;
	set = CPU_ALLOC(XEND_SCHED_CPU_MAX + 1);
	if (!set)
		return -ENOMEM;
	CPU_ZERO_S(size, set);
	for (int c = 0; c <= XEND_SCHED_CPU_MAX; c++)
		if (cpu < 0 || c == cpu)
			CPU_SET_S(c, size, set);
	for (unsigned i = 0; i < n; i++)
		if (sched_setaffinity(tids[i], size, set) && errno != ESRCH &&
		    !ret)
			ret = -errno;
	CPU_FREE(set);
	return ret;
}

/* ---- task lists ---- */

static int push(pid_t **arr, unsigned *n, unsigned *cap, pid_t v)
{
	if (*n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 16;
		pid_t *a = reallocarray(*arr, ncap, sizeof(*a));

		if (!a)
			return -ENOMEM;
		*arr = a;
		*cap = ncap;
	}
	(*arr)[(*n)++] = v;
	return 0;
}

/* xend_sched_tasks_add_tid() - see dom_sched.h. */
int xend_sched_tasks_add_tid(struct xend_sched_tasks *t, pid_t tid)
{
	return push(&t->tids, &t->ntids, &t->tids_cap, tid);
}

/* xend_sched_tasks_add_proc() - see dom_sched.h. */
int xend_sched_tasks_add_proc(struct xend_sched_tasks *t, pid_t pid)
{
	char path[64];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -ESRCH;
	ret = push(&t->pids, &t->npids, &t->pids_cap, pid);
	while (!ret && (de = readdir(d))) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (!*end && tid > 0)
			ret = xend_sched_tasks_add_tid(t, (pid_t)tid);
	}
	closedir(d);
	return ret;
}

/* xend_sched_tasks_free() - see dom_sched.h. */
void xend_sched_tasks_free(struct xend_sched_tasks *t)
{
	if (!t)
		return;
	free(t->pids);
	free(t->tids);
	memset(t, 0, sizeof(*t));
}

/* ---- domains ---- */

static struct sched_dom *dom_of(uint32_t dom)
{
	return dom && dom <= XEND_DOMS_MAX ? &S.doms[dom] : NULL;
}

/* xend_sched_dom_bvt() - see dom_sched.h. */
bool xend_sched_dom_bvt(uint32_t dom, uint32_t bvt[XEND_BVT_N])
{
	const struct sched_dom *sd = dom_of(dom);

	if (sd && sd->set) {
		memcpy(bvt, sd->bvt, sizeof(sd->bvt));
		return true;
	}
	memset(bvt, 0, sizeof(uint32_t) * XEND_BVT_N);
	bvt[XEND_BVT_MCUADV] = XEND_SCHED_MCUADV_DEFAULT;
	return false;
}

/* xend_sched_dom_cpu() - see dom_sched.h. */
int xend_sched_dom_cpu(uint32_t dom)
{
	const struct sched_dom *sd = dom_of(dom);

	return sd && sd->pinned ? sd->cpu : -1;
}

/* xend_sched_slice() - see dom_sched.h. */
uint64_t xend_sched_slice(void)
{
	return S.slice_ns;
}

/* xend_sched_dom_new() - see dom_sched.h. */
int xend_sched_dom_new(uint32_t dom)
{
	struct sched_dom *sd = dom_of(dom);

	if (!sd)
		return -EINVAL;
	if (sd->set || sd->pinned) {
		*sd = (struct sched_dom){ .cpu = -1 };
		save();
	}
	return xend_sched_cg_create(dom);
}

/* xend_sched_dom_del() - see dom_sched.h. */
void xend_sched_dom_del(uint32_t dom)
{
	struct sched_dom *sd = dom_of(dom);
	int ret;

	if (!sd)
		return;
	ret = xend_sched_cg_remove(dom);
	if (ret)
		log_warn("domain %u: cannot remove its cgroup: %s", dom,
			 strerror(-ret));
	if (sd->set || sd->pinned) {
		*sd = (struct sched_dom){ .cpu = -1 };
		save();
	}
}

/* Put @t's processes into @dom's cgroup; processes gone are fine. The
 * first other failure is returned, the rest still tried. */
static int sweep(uint32_t dom, const struct xend_sched_tasks *t)
{
	int ret = xend_sched_cg_create(dom), first = 0;
	char path[PATH_MAX];

	if (!ret)
		ret = xend_sched_cg_path(dom, path, sizeof(path));
	if (ret)
		return ret;
	for (unsigned i = 0; t && i < t->npids; i++) {
		ret = procs_add(path, t->pids[i]);
		if (ret && ret != -ESRCH) {
			log_warn("domain %u: cannot move pid %d into %s: %s",
				 dom, (int)t->pids[i], path, strerror(-ret));
			first = first ? first : ret;
		}
	}
	return first;
}

/* xend_sched_dom_apply() - see dom_sched.h. */
int xend_sched_dom_apply(uint32_t dom, const struct xend_sched_tasks *t)
{
	const struct sched_dom *sd = dom_of(dom);
	uint64_t slice;
	bool ok;
	uint32_t w;
	int ret, first;

	if (!sd)
		return -EINVAL;
	first = sweep(dom, t);
	if (sd->set) {
		ret = cg_set_weight(dom, sd->bvt[XEND_BVT_MCUADV], &w);
		first = first ? first : ret;
	}
	slice = xend_sched_slice_ns(S.slice_ns,
				    sd->set ? sd->bvt[XEND_BVT_WARP] : 0);
	if (slice && t) {
		ret = xend_sched_slice_threads(t->tids, t->ntids, slice, &ok);
		first = first ? first : ret < 0 ? ret : 0;
	}
	if (sd->pinned && t) {
		ret = xend_sched_pin_threads(t->tids, t->ntids, sd->cpu);
		first = first ? first : ret;
	}
	return first;
}

static void reply_int(struct ctl_req *req, const char *key, int64_t v)
{
	if (req->reply)
		json_object_object_add(req->reply, key,
				       json_object_new_int64(v));
}

static void reply_str(struct ctl_req *req, const char *key, const char *v)
{
	if (req->reply)
		json_object_object_add(req->reply, key,
				       json_object_new_string(v));
}

/* Set the slice of @t's threads for @warp; say in the reply what it did. */
static int set_slice_reply(const struct xend_sched_tasks *t, uint32_t warp,
			   struct ctl_req *req)
{
	uint64_t slice = xend_sched_slice_ns(S.slice_ns, warp);
	bool ok = true;
	int ret = 0;

	if (t->ntids)
		ret = xend_sched_slice_threads(t->tids, t->ntids, slice, &ok);
	if (ret < 0)
		return ctl_fail(req, "cannot set the slice of the domain's "
				"threads: %s", strerror(-ret));
	reply_int(req, "slice_ns", (int64_t)slice);
	reply_str(req, "slice", !slice ? "default" : ok ? "applied" :
		  "ignored");
	if (!ok)
		reply_str(req, "note", "this kernel ignores a custom slice "
			  "(Linux 6.12+ needed): warp and cpu_bvtslice have "
			  "no effect; the weight does");
	return 0;
}

/* xend_sched_set_bvt() - see dom_sched.h. */
int xend_sched_set_bvt(uint32_t dom, const uint32_t bvt[XEND_BVT_N],
		       const struct xend_sched_tasks *t, struct ctl_req *req)
{
	struct sched_dom *sd = dom_of(dom);
	char path[PATH_MAX];
	uint32_t w;
	int ret;

	if (!sd)
		return ctl_fail(req, "not supported for Domain-0");
	if (xend_sched_bvt_check(bvt, req))
		return -1;
	ret = sweep(dom, t);
	if (ret == -ENOENT)
		return ctl_fail(req, "no cgroup hierarchy with the cpu "
				"controller (see %s)", MOUNTINFO_PATH);
	if (!ret)
		ret = cg_set_weight(dom, bvt[XEND_BVT_MCUADV], &w);
	if (ret || xend_sched_cg_path(dom, path, sizeof(path)))
		return ctl_fail(req, "cannot weigh domain %u's cgroup: %s",
				dom, strerror(-ret));
	if (set_slice_reply(t, bvt[XEND_BVT_WARP], req))
		return -1;
	sd->set = true;
	memcpy(sd->bvt, bvt, sizeof(sd->bvt));
	save();
	reply_str(req, "cgroup", path);
	reply_str(req, "weight_file", S.cgver == 2 ? "cpu.weight" :
		  "cpu.shares");
	reply_int(req, "weight", w);
	reply_int(req, "tasks", t->ntids);
	return 0;
}

/* xend_sched_set_cpu() - see dom_sched.h. Joining the cgroup is best
 * effort: a host without the cpu controller can still pin. */
int xend_sched_set_cpu(uint32_t dom, int cpu, const struct xend_sched_tasks *t,
		       struct ctl_req *req)
{
	struct sched_dom *sd = dom_of(dom);
	char online[256] = "?";
	int ret;

	if (!sd)
		return ctl_fail(req, "not supported for Domain-0");
	if (cpu < -1 || cpu > XEND_SCHED_CPU_MAX ||
	    (cpu >= 0 && !cpu_online(cpu, online, sizeof(online))))
		return ctl_fail(req, "CPU %d is not online (online: %s)", cpu,
				online);
	ret = sweep(dom, t);
	if (ret && ret != -ENOENT)
		log_warn("domain %u: not all processes joined its cgroup: %s",
			 dom, strerror(-ret));
	ret = xend_sched_pin_threads(t->tids, t->ntids, cpu);
	if (ret)
		return ctl_fail(req, "cannot pin domain %u to CPU %d: %s", dom,
				cpu, strerror(-ret));
	sd->pinned = cpu >= 0;
	sd->cpu = cpu;
	save();
	reply_int(req, "cpu", cpu);
	reply_int(req, "tasks", t->ntids);
	return 0;
}

/* xend_sched_set_slice() - see dom_sched.h. */
int xend_sched_set_slice(uint64_t slice_ns, struct ctl_req *req)
{
	if (slice_ns && (slice_ns < XEND_SCHED_SLICE_MIN_NS ||
			 slice_ns > XEND_SCHED_SLICE_MAX_NS))
		return ctl_fail(req, "field 'slice' must be 0 (the kernel's "
				"default) or %llu..%llu (ns)",
				XEND_SCHED_SLICE_MIN_NS,
				XEND_SCHED_SLICE_MAX_NS);
	S.slice_ns = slice_ns;
	save();
	return 0;
}

/* xend_sched_json() - see dom_sched.h. */
json_object *xend_sched_json(uint32_t dom)
{
	json_object *o = dom_json(dom);

	if (o) {
		json_object_object_del(o, "dom");
		json_object_object_add(o, "slice_ns", json_object_new_int64(
			(int64_t)xend_sched_slice_ns(
				S.slice_ns, dom_of(dom) && S.doms[dom].set ?
				S.doms[dom].bvt[XEND_BVT_WARP] : 0)));
	}
	return o;
}
