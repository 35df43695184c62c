// SPDX-License-Identifier: GPL-2.0-or-later
/* xend.c - xeno's daemon: the switch, dom0's port, domains, control socket
 *
 * Start-up, in order: options, (fork: the parent waits for the child to
 * say it is ready and exits with its status), state directory and pidfile
 * lock, signals (blocked, read from a signalfd), the control socket (so a
 * second xend is refused before it touches anything), the data-plane
 * thread, dom0's port, the wire, the state file. Until the main loop
 * starts, a failure is fatal (die()); after that nothing is.
 *
 * The main thread runs one epoll loop over the control socket and its
 * clients, the signalfd, dom0's netlink socket and, with --metrics, the
 * metrics endpoint and its clients (metrics.h). SIGTERM/SIGINT end it:
 * the ports are detached but the domains keep running, their TAPs and
 * namespaces stay and the state file still lists them, so the next xend
 * takes them back. SIGHUP reopens the log.
 *
 * Under systemd (Type=notify, sdnotify.h) READY=1 goes out where daemon
 * mode releases its parent, STATUS= follows the domain count, and
 * STOPPING=1 opens the shutdown.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cmd.h"
#include "control.h"
#include "dataplane.h"
#include "dom0.h"
#include "dom_sched.h"
#include "domain.h"
#include "fastpath.h"
#include "sdnotify.h"
#include "metrics.h"
#include "state.h"
#include "vifcap.h"
#include "xend.h"
#include "console.h"
#include "xcons.h"
#include "xmetrics.h"
#include "xnat.h"

#define XEND_VERSION_STRING	"xend (xeno) " XEND_VERSION
#define DEFAULT_SOCKET		"/run/xeno/xend.sock"
#define DEFAULT_STATE_DIR	"/var/lib/xeno"

/* --fastpath: on when the kernel can (auto, the default), or on and off
 * as asked */
enum { FASTPATH_AUTO, FASTPATH_ON, FASTPATH_OFF };

struct options {
	bool foreground;
	const char *socket;
	const char *socket_group;
	const char *state_dir;
	const char *pidfile;
	const char *wire;
	const char *dom0_ifname;
	unsigned idle_timeout;		/* seconds, 0: never */
	unsigned poll_us;		/* --poll-us */
	int dp_nice;			/* --dp-nice */
	unsigned dp_threads;		/* --dp-threads, 0: auto */
	int fastpath;			/* --fastpath: FASTPATH_* */
	const char *run_dir;
	const char *console_dir;
	size_t console_ring;
	const char *metrics;		/* NULL: no metrics endpoint */
	enum xend_log_level level;
};

static int ready_fd = -1;		/* daemon mode: pipe to the parent */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						     noreturn));

/* Fatal error before the main loop. */
static void die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s", msg);
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xend [OPTION]...\n"
"xeno's daemon: hosts the virtual switch, runs domains, serves the control\n"
"socket.\n"
"\n"
"  -f, --foreground        stay in the foreground, log to stderr\n"
"  -s, --socket PATH       control socket (default " DEFAULT_SOCKET ")\n"
"  -g, --socket-group GRP  group allowed on the socket (default: xend's)\n"
"  -d, --state-dir DIR     persisted state (default " DEFAULT_STATE_DIR ")\n"
"  -p, --pidfile PATH      pidfile (default STATE_DIR/xend.pid)\n"
"  -w, --wire IFNAME       attach network interface IFNAME as the wire\n"
"      --dom0 IFNAME       name of dom0's TAP (default " XEND_DOM0_IFNAME ")\n"
"      --idle-timeout SECS close control clients idle for SECS seconds\n"
"                          (default 60; 0: never)\n"
"      --run-dir DIR       QEMU domains' QMP, serial and vhost-user sockets\n"
"                          and logs\n"
"                          (default: the control socket's directory)\n"
"      --console-dir DIR   the domains' console logs (default\n"
"                          " XEND_CONSOLE_DIR ")\n"
"      --console-ring BYTES  history kept per console (default 65536)\n"
"      --metrics ADDR      serve Prometheus metrics on GET /metrics at ADDR:\n"
"                          unix:PATH, IPV4:PORT or [IPV6]:PORT (default: off)\n"
"      --dp-threads N|auto data-plane threads, 1..16 (default auto: 1 on up\n"
"                          to 3 CPUs, else half the CPUs; or XEND_DP_THREADS)\n"
"      --dp-nice N         nice value of the data-plane threads (default -10)\n"
"      --poll-us USECS     after frames, poll the ports USECS microseconds\n"
"                          before sleeping (default 0: sleep at once)\n"
"      --fastpath on|off   the kernel fast path for netns domains: flows\n"
"                          the switch judged go from domain to domain in\n"
"                          the kernel (default: on where the kernel can;\n"
"                          or XEND_FASTPATH=on|off)\n"
"  -l, --log-level LEVEL   error, warn, info (default) or debug\n"
"  -h, --help              this help\n"
"  -V, --version           version\n");
}

/* The --metrics address, checked now so a typo fails at once. */
static const char *metrics_option(const char *arg)
{
	struct sockaddr_storage sa;
	socklen_t len;

	if (metrics_addr_parse(arg, &sa, &len))
		die("bad metrics address '%s' (unix:PATH, IPV4:PORT or "
		    "[IPV6]:PORT)", arg);
	return arg;
}

/* --dp-threads and XEND_DP_THREADS: N or "auto" (0) */
static unsigned dp_threads_option(const char *arg, const char *what)
{
	unsigned long n;
	char *end;

	if (!strcmp(arg, "auto"))
		return 0;
	errno = 0;
	n = strtoul(arg, &end, 10);
	if (!*arg || *end || errno || *arg == '-' || n < 1 ||
	    n > XEND_DP_THREADS_MAX)
		die("bad %s '%s' (1..%u or auto)", what, arg,
		    XEND_DP_THREADS_MAX);
	return (unsigned)n;
}

/* auto: one thread where the CPUs are few (the domains and the traffic's
 * senders need them too), else half the CPUs xend may run on. */
static unsigned dp_threads_auto(void)
{
	cpu_set_t set;
	unsigned n;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	n = (unsigned)CPU_COUNT(&set);
	if (n <= 3)
		return 1;
	n /= 2;
	return n > XEND_DP_THREADS_MAX ? XEND_DP_THREADS_MAX : n;
}

/* --fastpath and XEND_FASTPATH: on or off */
static int fastpath_option(const char *arg, const char *what)
{
	if (!strcmp(arg, "on"))
		return FASTPATH_ON;
	if (!strcmp(arg, "off"))
		return FASTPATH_OFF;
	die("bad %s '%s' (on or off)", what, arg);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "wire", required_argument, NULL, 'w' },
		{ "dom0", required_argument, NULL, 'D' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "console-dir", required_argument, NULL, 'C' },
		{ "console-ring", required_argument, NULL, 'B' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "poll-us", required_argument, NULL, 'P' },
		{ "dp-nice", required_argument, NULL, 'N' },
		{ "dp-threads", required_argument, NULL, 'T' },
		{ "fastpath", required_argument, NULL, 'F' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long secs;
	long lnice;
	int c, lvl;
	char *end;

	while ((c = getopt_long(argc, argv, "fs:g:d:p:w:l:hV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'f': o->foreground = true; break;
		case 's': o->socket = optarg; break;
		case 'g': o->socket_group = optarg; break;
		case 'd': o->state_dir = optarg; break;
		case 'p': o->pidfile = optarg; break;
		case 'w': o->wire = optarg; break;
		case 'D': o->dom0_ifname = optarg; break;
		case 'R': o->run_dir = optarg; break;
		case 'C': o->console_dir = optarg; break;
		case 'M': o->metrics = metrics_option(optarg); break;
		case 'B':
			errno = 0;
			secs = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-' ||
			    secs < 4096 || secs > 16 * 1024 * 1024)
				die("bad console ring size '%s' (4096..16777216 "
				    "bytes)", optarg);
			o->console_ring = secs;
			break;
		case 'N':
			errno = 0;
			lnice = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || lnice < -20 ||
			    lnice > 19)
				die("bad nice value '%s' (-20..19)", optarg);
			o->dp_nice = (int)lnice;
			break;
		case 'T':
			o->dp_threads = dp_threads_option(optarg, "--dp-threads");
			break;
		case 'F':
			o->fastpath = fastpath_option(optarg, "--fastpath");
			break;
		case 'P':
			errno = 0;
			secs = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-' ||
			    secs > XEND_DP_POLL_MAX_US)
				die("bad poll time '%s' (0..%u microseconds)",
				    optarg, XEND_DP_POLL_MAX_US);
			o->poll_us = (unsigned)secs;
			break;
		case 'I':
			errno = 0;
			secs = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || secs > 86400 ||
			    *optarg == '-')
				die("bad idle timeout '%s' (0..86400 seconds)",
				    optarg);
			o->idle_timeout = (unsigned)secs;
			break;
		case 'l':
			lvl = xend_log_level_parse(optarg);
			if (lvl < 0)
				die("unknown log level '%s' (error, warn, info, "
				    "debug)", optarg);
			o->level = (enum xend_log_level)lvl;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': puts(XEND_VERSION_STRING); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
}

/* Daemon mode: fork; the parent waits until the child reports readiness
 * (one byte on a pipe) or exits, and exits 0 or 1 accordingly. Done before
 * any thread exists. */
static void daemon_start(void)
{
	int fds[2];
	char c;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
		close(fds[1]);
		exit(read(fds[0], &c, 1) == 1 ? 0 : 1);
	}
	close(fds[0]);
	ready_fd = fds[1];
	if (setsid() < 0)
		die("setsid: %s", strerror(errno));
}

/* Daemon mode: tell the parent we are up, detach stdio, log to syslog. */
static void daemon_ready(enum xend_log_level level)
{
	int fd;

	if (ready_fd < 0)
		return;
	xend_log_setup(true, level);
	if (write(ready_fd, "", 1) != 1)
		log_warn("cannot notify the parent process");
	close(ready_fd);
	ready_fd = -1;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	if (chdir("/"))
		log_warn("chdir /: %s", strerror(errno));
}

/* The group of the control socket, which attach sockets get too. */
static int socket_gid(const char *path)
{
	struct stat st;

	return !path || stat(path, &st) ? -1 : (int)st.st_gid;
}

/* The directory of socket @path (malloc'd), "." for a bare name. */
static char *socket_dir(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static void mkdir_p(const char *dir, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s/", dir) >= (int)sizeof(buf))
		die("%s: path too long", dir);
	for (char *p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			die("mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
}

/* Lock and write the pidfile; the fd stays open (and locked) for life. */
static int pidfile_open(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		die("pidfile %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		n = (int)read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		die("another xend (pid %s) holds %s", *buf ? buf : "?", path);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
		die("pidfile %s: %s", path, strerror(errno));
	return fd;
}

/* Block the signals we handle and return a signalfd for them. */
static int signals_open(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		die("sigprocmask: %s", strerror(errno));
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		die("signalfd: %s", strerror(errno));
	return fd;
}

/* Read pending signals; false when xend should stop. */
static bool signals_handle(int fd)
{
	struct signalfd_siginfo si;
	bool run = true;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			xend_log_reopen();
			log_info("SIGHUP: log reopened");
		} else {
			log_info("%s: shutting down (domains keep running)",
				 strsignal((int)si.ssi_signo));
			run = false;
		}
	}
	return run;
}

static void epoll_add(int epfd, int fd, struct xend_evsrc *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl: %s", strerror(errno));
}

/* Ports the data plane stopped: rebuild them (domain.c). */
static void ports_failed(struct xend *x)
{
	unsigned ports[VS_PORTS_MAX];
	unsigned n = xend_dp_failed_ports(x->dp, ports, VS_PORTS_MAX);

	for (unsigned i = 0; i < n; i++)
		xend_port_failed(x, ports[i]);
}

/* Fast-path vifs whose veth was deleted behind xend's back: the TAP it
 * reads lives on, so the data plane cannot see it; rebuild them too. */
static void fastpath_lost(struct xend *x)
{
	unsigned ports[VS_PORTS_MAX];
	unsigned n = xend_fp_lost(xend_dp_fastpath_get(x->dp), ports,
				  VS_PORTS_MAX);

	for (unsigned i = 0; i < n; i++)
		xend_port_failed(x, ports[i]);
}

/* Once a second: what waits for time (consoles to reconnect, fast-path
 * vifs to rebuild). */
static void tick(struct xend *x, int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("timerfd: %s", strerror(errno));
	xend_console_tick(x);
	fastpath_lost(x);
}

/* A timerfd firing every second, in the main loop's epoll set. */
static int tick_open(int epfd)
{
	static struct xend_evsrc tick_src = { XEND_EV_TICK };
	struct itimerspec its = { .it_interval = { 1, 0 },
				  .it_value = { 1, 0 } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL))
		die("timerfd: %s", strerror(errno));
	epoll_add(epfd, fd, &tick_src);
	return fd;
}

/* The control loop; returns at SIGTERM/SIGINT. @msrv may be NULL. */
static void main_loop(int epfd, int sigfd, struct ctl_server *srv,
		      struct metrics_server *msrv, struct xend *x)
{
	struct epoll_event evs[32];
	int tickfd = tick_open(epfd);
	bool running = true;

	while (running) {
		int n = epoll_wait(epfd, evs, 32, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("epoll_wait: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			struct xend_evsrc *src = evs[i].data.ptr;

			switch (src->type) {
			case XEND_EV_LISTEN:
			case XEND_EV_CLIENT:
			case XEND_EV_CTL_TIMER:
				ctl_server_event(srv, src, evs[i].events);
				break;
			case XEND_EV_METRICS_LISTEN:
			case XEND_EV_METRICS_CLIENT:
			case XEND_EV_METRICS_TIMER:
				metrics_server_event(msrv, src, evs[i].events);
				break;
			case XEND_EV_SIGNAL:
				running = signals_handle(sigfd) && running;
				break;
			case XEND_EV_DP:
				ports_failed(x);
				break;
			case XEND_EV_CONSOLE:
			case XEND_EV_INIT:
			case XEND_EV_CONSOLE_LISTEN:
			case XEND_EV_CONSOLE_CLIENT:
				xend_console_event(x, src);
				break;
			case XEND_EV_TICK:
				tick(x, tickfd);
				break;
			case XEND_EV_CAPTURE:
			case XEND_EV_CAPTURE_TIMER:
				xend_cap_event(x, src, evs[i].events);
				break;
			case XEND_EV_DOMAIN:
				xend_dom_exited(x, ((struct xend_dom_ev *)
						    src)->id);
				xend_save(x);
				break;
			case XEND_EV_DOM0:
				if (xend_dom0_process(x->dom0))
					log_warn("dom0: address events failed");
				break;
			}
		}
		xend_notify_status(x);
	}
}

static void defaults(struct options *o)
{
	const char *env;

	memset(o, 0, sizeof(*o));
	o->socket = DEFAULT_SOCKET;
	o->state_dir = DEFAULT_STATE_DIR;
	o->dom0_ifname = XEND_DOM0_IFNAME;
	o->idle_timeout = CTL_IDLE_TIMEOUT_DEFAULT;
	o->dp_nice = XEND_DP_NICE;
	o->level = XEND_LOG_INFO;
	env = getenv("XEND_DP_THREADS");
	if (env)
		o->dp_threads = dp_threads_option(env, "XEND_DP_THREADS");
	env = getenv("XEND_FASTPATH");
	if (env)
		o->fastpath = fastpath_option(env, "XEND_FASTPATH");
}

/* The kernel fast path for new netns vifs: --fastpath on must have it,
 * the default takes it where the kernel gives it. */
static void fastpath_start(const struct options *o, struct xend *x)
{
	char why[160];

	if (o->fastpath == FASTPATH_OFF) {
		log_info("fast path: off (netns vifs are TAPs in their domain)");
		return;
	}
	if (!xend_dp_fastpath(x->dp, why, sizeof(why))) {
		if (o->fastpath == FASTPATH_ON)
			die("cannot start the fast path: %s", why);
		log_warn("fast path: not available (%s); netns vifs are TAPs "
			 "in their domain", why);
		return;
	}
	x->fastpath = true;
	log_info("fast path: on for netns domains");
}

/* Everything between the pidfile and the main loop. */
static void start(const struct options *o, struct xend *x, int epfd)
{
	static struct xend_evsrc dom0_src = { XEND_EV_DOM0 };
	static struct xend_evsrc dp_src = { XEND_EV_DP };
	static struct xend_state st;
	int ret;

	x->dp = xend_dp_new(o->dp_threads ? o->dp_threads : dp_threads_auto());
	if (!x->dp)
		die("cannot start the data plane: %s", strerror(errno));
	log_info("data plane: %u thread%s", xend_dp_threads(x->dp),
		 xend_dp_threads(x->dp) == 1 ? "" : "s");
	ret = xend_dp_set_nice(x->dp, o->dp_nice);
	if (ret)
		log_warn("data plane: cannot set nice %d: %s", o->dp_nice,
			 strerror(-ret));
	ret = xend_dp_set_poll(x->dp, o->poll_us);
	if (ret)
		die("cannot set the data plane's poll time: %s", strerror(-ret));
	epoll_add(epfd, xend_dp_fail_fd(x->dp), &dp_src);
	fastpath_start(o, x);
	x->dom0 = xend_dom0_start(x->dp, o->dom0_ifname);
	if (!x->dom0)
		die("cannot set up dom0's port %s: %s", o->dom0_ifname,
		    strerror(errno));
	epoll_add(epfd, xend_dom0_fd(x->dom0), &dom0_src);
	if (o->wire) {
		ret = xend_dp_attach_wire(x->dp, o->wire);
		if (ret < 0)
			die("cannot attach %s as the wire: %s", o->wire,
			    strerror(-ret));
		log_info("wire: %s", o->wire);
	}
	if (xend_sched_load(x->state_dir))
		log_warn("cannot read %s/sched.json: domains keep the host's "
			 "default scheduling", x->state_dir);
	xend_state_read(x->state_dir, &st);
	ret = xend_doms_restore(x, st.doms, st.n);
	st.n = 0;			/* the records are the table's now */
	x->nat = st.nat;
	x->nat_on = st.nat_on;
	xend_nat_sync(x);		/* every redirect, none doubled */
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		if (x->doms[i])
			xend_console_open(x, x->doms[i], false);
	xend_save(x);
	log_info("%d domain%s restored from %s/" XEND_STATE_FILE, ret,
		 ret == 1 ? "" : "s", x->state_dir);
}

int main(int argc, char **argv)
{
	static struct xend_evsrc sig_src = { XEND_EV_SIGNAL };
	static struct xend x;
	struct metrics_server *msrv = NULL;
	struct ctl_server *srv;
	char pidpath[PATH_MAX];
	struct options o;
	int epfd, sigfd, pidfd;

	defaults(&o);
	xend_log_setup(false, XEND_LOG_INFO);
	parse_options(argc, argv, &o);
	xend_log_setup(false, o.level);
	if (!o.foreground)
		daemon_start();

	mkdir_p(o.state_dir, 0755);
	x.state_dir = strdup(o.state_dir);
	x.dom0_ifname = o.dom0_ifname;
	x.console_dir = o.console_dir ? o.console_dir : XEND_CONSOLE_DIR;
	x.console_ring = o.console_ring ? o.console_ring : CON_RING_DEFAULT;
	x.run_dir = o.run_dir ? strdup(o.run_dir) : socket_dir(o.socket);
	if (!x.state_dir || !x.run_dir)
		die("out of memory");
	mkdir_p(x.run_dir, 0755);
	snprintf(pidpath, sizeof(pidpath), "%s/xend.pid", o.state_dir);
	if (!o.pidfile)
		o.pidfile = pidpath;
	pidfd = pidfile_open(o.pidfile);
	sigfd = signals_open();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	x.epfd = epfd;
	epoll_add(epfd, sigfd, &sig_src);
	srv = ctl_server_new(o.socket, o.socket_group, epfd, xend_cmd_table(), &x);
	if (!srv)
		die("control socket %s: %s", o.socket, errno == EADDRINUSE ?
		    "another xend is answering on it" : strerror(errno));
	ctl_server_set_idle_timeout(srv, o.idle_timeout);
	x.ctl_gid = socket_gid(o.socket);
	if (o.metrics) {
		msrv = metrics_server_new(o.metrics, (gid_t)x.ctl_gid, epfd,
					  xend_metrics_render, &x);
		if (!msrv)
			die("metrics endpoint %s: %s", o.metrics,
			    strerror(errno));
		log_info("metrics on %s", o.metrics);
	}
	start(&o, &x, epfd);
	log_info("xend %d ready on %s", (int)getpid(), o.socket);
	daemon_ready(o.level);
	xend_notify_ready(&x);

	main_loop(epfd, sigfd, srv, msrv, &x);

	xend_notify_stopping();
	metrics_server_free(msrv);
	xend_cap_stop_all(&x);
	ctl_server_free(srv);
	xend_doms_detach_all(&x);
	xend_dom0_stop(x.dom0);
	xend_dp_free(x.dp);
	unlink(o.pidfile);
	close(pidfd);
	close(sigfd);
	close(epfd);
	free(x.state_dir);
	free(x.run_dir);
	log_info("stopped");
	return 0;
}
