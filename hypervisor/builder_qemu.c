// SPDX-License-Identifier: GPL-2.0-or-later
/* builder_qemu.c - the qemu builder: a domain as a QEMU virtual machine
 *
 * Theory of operation
 * -------------------
 * A QEMU domain N is one qemu-system-x86_64 process, xend's child, named
 * xeno-domN, started with -nodefaults, all guest memory in a shared memfd,
 * TCG unless KVM is really there (or the config asks), a QMP socket and a
 * serial socket in xend's run directory (RUN/xeno-domN.qmp, .serial), and
 * its standard error in RUN/xeno-domN.log. The guest's kernel line gets
 * xeno.name=, xeno.ip= (vif 0's addresses with their prefixes) and
 * xeno.gw= for the guest image's init (guest/), then the config's cmdline.
 *
 * Each vif K is, by default, a vhost-user device: QEMU listens on
 * RUN/xeno-domN.vifK.vu (-chardev socket,server=on,wait=off; -netdev
 * vhost-user) and xend's switch is its back end (port_vhost_user.h), the
 * client of that socket, reading and writing the guest's rings in the
 * shared memfd directly. QEMU waits at start-up until the back end has
 * connected, so these ports are attached before QEMU starts; the port
 * connects as soon as the socket is there. Under TCG the device gets
 * vectors=0 (QEMU 7.2 crashes with MSI-X on a vhost-user virtio-net
 * there). With `backend=tap` the vif is instead a TAP xvN.K made by xend
 * and handed to QEMU as -netdev tap,fd=F: QEMU holds the TAP's file, and
 * the switch attaches the TAP's dom0 side through AF_PACKET. Either way
 * the port is a vif (the guest's MAC) with the same policy as a netns
 * vif.
 *
 * xend watches QEMU's pidfd: a QEMU that ends on its own (the guest
 * powered off, or it crashed) is noticed at once and the domain removed
 * (domain.c). After an xend restart, a domain is adopted when its pid
 * still runs QEMU with this domain's name and QMP socket (checked in
 * /proc/PID/cmdline, so a reused pid is never taken for it): its vifs are
 * attached again and it keeps running.
 *
 * Lifecycle commands go through QMP: stop/start -> stop/cont; shutdown ->
 * system_powerdown, then destroy after a timeout; destroy -> quit, then
 * SIGKILL; pincpu -> the vCPU thread ids of query-cpus-fast and
 * sched_setaffinity().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builder.h"
#include "dataplane.h"
#include "dom_sched.h"
#include "domain.h"
#include "port_tap.h"
#include "qmp.h"

#define QEMU_BINARY		"qemu-system-x86_64"
#define QEMU_START_MS		10000	/* QEMU up and answering QMP */
#define QEMU_QUIT_MS		3000	/* after quit, before SIGKILL */
#define QEMU_ARGS_MAX		(64 + 4 * XEND_VIFS_MAX + 4 * XEND_VBDS_MAX)
#define SHUTDOWN_TIMEOUT_S	30
/* offload=no: the guest is offered neither checksum nor TSO offload */
#define NO_OFFLOAD		",csum=off,guest_csum=off,host_tso4=off," \
				"host_tso6=off,guest_tso4=off,guest_tso6=off," \
				"host_ecn=off,guest_ecn=off,host_ufo=off," \
				"guest_ufo=off"

/* ---- names ---- */

static void dom_path(const struct xend *x, const struct xend_domain *d,
		     const char *suffix, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.%s", x->run_dir, d->nsname, suffix);
}

static const char *cfg_str(const struct xend_domain *d, const char *key)
{
	json_object *v = NULL;

	if (!d->config || !json_object_object_get_ex(d->config, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/* ---- the process ---- */

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Is @pid QEMU running domain @d (its -name and QMP socket on the command
 * line)? Guards every signal xend sends to a pid it did not just fork. */
static bool is_our_qemu(const struct xend *x, const struct xend_domain *d,
			pid_t pid)
{
	char path[64], buf[8192], qmp[PATH_MAX], name[128];
	bool has_name = false, has_qmp = false;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	dom_path(x, d, "qmp", qmp, sizeof(qmp));
	snprintf(name, sizeof(name), "%s,debug-threads=on", d->nsname);
	for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
		has_name |= !strcmp(p, name);
		has_qmp |= strstr(p, qmp) != NULL;
	}
	return has_name && has_qmp;
}

/* Watch @d's process in the main loop. */
static int watch(struct xend *x, struct xend_domain *d)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->ev };

	d->pidfd = pidfd_open_(d->pid);
	if (d->pidfd < 0)
		return -errno;
	d->ev.src.type = XEND_EV_DOMAIN;
	d->ev.id = d->id;
	if (x->epfd > 0 && epoll_ctl(x->epfd, EPOLL_CTL_ADD, d->pidfd, &ev))
		return -errno;
	return 0;
}

static void unwatch(struct xend *x, struct xend_domain *d)
{
	if (d->pidfd < 0)
		return;
	if (x->epfd > 0)
		epoll_ctl(x->epfd, EPOLL_CTL_DEL, d->pidfd, NULL);
	close(d->pidfd);
	d->pidfd = -1;
}

/* Wait up to @ms for @d's QEMU to end (reaping it if it is our child).
 * true if it is gone. */
static bool wait_gone(const struct xend *x, struct xend_domain *d, int ms)
{
	struct pollfd p = { .fd = d->pidfd, .events = POLLIN };

	if (d->pid <= 0)
		return true;
	if (d->pidfd >= 0 && ms > 0)
		poll(&p, 1, ms);
	if (waitpid(d->pid, NULL, WNOHANG) == d->pid)
		return true;
	return !is_our_qemu(x, d, d->pid);
}

/* ---- vifs ---- */

/* Bring dom0's side of a TAP up with no IPv6 of its own, so dom0's stack
 * never speaks on it. */
static int tap_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			log_warn("%s: cannot disable IPv6", ifname);
		close(fd);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int tap_attach(struct xend *x, const struct xend_domain *d,
		      struct xend_vif *v, struct ctl_req *req);

/* The vhost-user socket QEMU listens on for vif @v. */
static void vu_path(const struct xend *x, const struct xend_domain *d,
		    const struct xend_vif *v, char *buf, size_t size)
{
	char suffix[16];

	snprintf(suffix, sizeof(suffix), "vif%u.vu", v->idx);
	dom_path(x, d, suffix, buf, size);
}

static bool vhost(const struct xend_vif *v)
{
	return v->backend == XEND_VIF_BACKEND_VHOST_USER;
}

/* Attach @v to the switch: a vhost-user port on its socket, or its TAP
 * (the TAP's dom0 side, @v->ifname) through AF_PACKET. */
static int vif_attach(struct xend *x, const struct xend_domain *d,
		      struct xend_vif *v, struct ctl_req *req)
{
	if (vhost(v)) {
		char path[PATH_MAX];

		vu_path(x, d, v, path, sizeof(path));
		return xend_vif_attach_vhost(x, d, v, path, req);
	}
	return tap_attach(x, d, v, req);
}

/* Attach the vifs of one back end kind: vhost-user ones before QEMU
 * starts (it waits for its back end), TAPs after (spawn() makes them). */
static int vifs_attach(struct xend *x, struct xend_domain *d, bool vu,
		       struct ctl_req *req)
{
	for (unsigned i = 0; i < d->nvifs; i++) {
		int ret;

		if (vhost(&d->vifs[i]) != vu)
			continue;
		ret = vif_attach(x, d, &d->vifs[i], req);
		if (ret)
			return ret;	/* the caller tears down */
	}
	return 0;
}

static int tap_attach(struct xend *x, const struct xend_domain *d,
		      struct xend_vif *v, struct ctl_req *req)
{
	struct vs_port_config cfg = {
		.kind = VS_PORT_VIF, .domid = d->id, .vifidx = v->idx,
	};
	struct xend_sw_apply r;
	char name[32];
	int ret;

	snprintf(name, sizeof(name), "vif%u.%u", d->id, v->idx);
	cfg.name = name;
	memcpy(cfg.mac, v->mac, XENO_MAC_LEN);
	ret = tap_up(v->ifname);
	if (!ret)
		ret = xend_dp_attach_packet(x->dp, v->ifname, &cfg);
	if (ret < 0) {
		ctl_fail(req, "cannot attach %s to the switch: %s", v->ifname,
			 strerror(-ret));
		return ret;
	}
	v->port = ret;
	xend_sw_vif_apply(x->dp, (unsigned)ret, v, &r);
	xend_vif_applied(d, v, &r);
	return 0;
}

/* ---- starting QEMU ---- */

struct argv {
	char *v[QEMU_ARGS_MAX];
	unsigned n;
	char buf[16384];
	size_t used;
};

static void add(struct argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append one argument; one that does not fit is left out (the caller's
 * bounds make that impossible; QEMU would then refuse to start). */
static void add(struct argv *a, const char *fmt, ...)
{
	size_t room = sizeof(a->buf) - a->used;
	va_list ap;
	int n;

	if (a->n + 1 >= QEMU_ARGS_MAX)
		return;
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return;
	a->v[a->n++] = a->buf + a->used;
	a->used += (size_t)n + 1;
}

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* "xeno.ip=A/P,B/Q xeno.gw=G": what the guest image's init reads. */
static void guest_params(const struct xend_domain *d, char *buf, size_t size)
{
	const struct xend_vif *v = &d->vifs[0];
	char s[INET6_ADDRSTRLEN];
	size_t n;

	n = (size_t)snprintf(buf, size, "console=ttyS0 xeno.name=%s xeno.ip=",
			     d->name);
	for (unsigned i = 0, k = 0; i < v->naddrs && n < size; i++) {
		if (!v->addrs[i].ns)
			continue;
		xend_addr_format(&v->addrs[i].a, s);
		n += (size_t)snprintf(buf + n, size - n, "%s%s/%u", k++ ? "," : "",
				      s, v->addrs[i].a.plen);
	}
	if (d->has_gateway && n < size) {
		inet_ntop(AF_INET, &d->gateway, s, sizeof(s));
		n += (size_t)snprintf(buf + n, size - n, " xeno.gw=%s", s);
	}
	if (*cfg_str(d, "cmdline") && n < size)
		snprintf(buf + n, size - n, " %s", cfg_str(d, "cmdline"));
}

static void vbd_args(struct argv *a, const struct xend_vbd *b)
{
	char path[PATH_MAX];

	if (rec_vbd_path(b, path, sizeof(path)))
		return;
	add(a, "-blockdev");
	add(a, "driver=%s,node-name=vbd-%s,filename=%s,read-only=%s",
	    strncmp(b->uname, "phy:", 4) ? "file" : "host_device", b->dev,
	    path, b->mode[0] == 'r' ? "on" : "off");
	add(a, "-device");
	add(a, "virtio-blk-pci,drive=vbd-%s,id=vbd-%s", b->dev, b->dev);
}

static void build_argv(const struct xend *x, const struct xend_domain *d,
		       const int *tapfd, const char *incoming, struct argv *a)
{
	char path[PATH_MAX], params[2048], mac[XENO_MAC_STRLEN];
	const char *accel = cfg_str(d, "accel");
	bool kvm = !strcmp(accel, "kvm") ||
		   (strcmp(accel, "tcg") && kvm_usable());
	uint64_t mb = d->mem_kb / 1024;

	add(a, QEMU_BINARY);
	add(a, "-name");
	add(a, "%s,debug-threads=on", d->nsname);
	add(a, "-nodefaults");
	add(a, "-no-user-config");
	add(a, "-display");
	add(a, "none");
	add(a, "-no-reboot");
	add(a, "-machine");
	add(a, "pc,memory-backend=mem0");
	add(a, "-accel");
	add(a, kvm ? "kvm" : "tcg,tb-size=16");
	add(a, "-object");
	add(a, "memory-backend-memfd,id=mem0,size=%lluM,share=on",
	    (unsigned long long)mb);
	add(a, "-m");
	add(a, "%llu", (unsigned long long)mb);
	add(a, "-smp");
	add(a, "%u", d->vcpus);
	add(a, "-kernel");
	add(a, "%s", cfg_str(d, "kernel"));
	if (*cfg_str(d, "ramdisk")) {
		add(a, "-initrd");
		add(a, "%s", cfg_str(d, "ramdisk"));
	}
	guest_params(d, params, sizeof(params));
	add(a, "-append");
	add(a, "%s", params);
	dom_path(x, d, "serial", path, sizeof(path));
	add(a, "-chardev");
	add(a, "socket,id=ser0,path=%s,server=on,wait=off", path);
	add(a, "-serial");
	add(a, "chardev:ser0");
	dom_path(x, d, "qmp", path, sizeof(path));
	add(a, "-qmp");
	add(a, "unix:%s,server=on,wait=off", path);
	for (unsigned i = 0; i < d->nvifs; i++) {
		vs_mac_format(d->vifs[i].mac, mac);
		if (vhost(&d->vifs[i])) {
			vu_path(x, d, &d->vifs[i], path, sizeof(path));
			add(a, "-chardev");
			add(a, "socket,id=vu%u,path=%s,server=on,wait=off", i,
			    path);
			add(a, "-netdev");
			add(a, "vhost-user,id=net%u,chardev=vu%u", i, i);
		} else {
			add(a, "-netdev");
			add(a, "tap,id=net%u,fd=%d", i, tapfd[i]);
		}
		add(a, "-device");
		/* QEMU 7.2 segfaults with MSI-X on vhost-user under TCG */
		add(a, "virtio-net-pci,netdev=net%u,mac=%s,id=vif%u%s%s", i,
		    mac, i, vhost(&d->vifs[i]) && !kvm ? ",vectors=0" : "",
		    d->vifs[i].no_offload ? NO_OFFLOAD : "");
	}
	for (unsigned i = 0; i < d->nvbds; i++)
		vbd_args(a, &d->vbds[i]);
	if (incoming) {
		add(a, "-incoming");
		add(a, "%s", incoming);
	}
	a->v[a->n] = NULL;
}

/* In the child, between fork and exec: only async-signal-safe calls.
 * @tapfd holds the TAPs and, past them, the incoming migration's file. */
static void child(const struct argv *a, int logfd, const int *tapfd,
		  unsigned ntaps)
{
	sigset_t none;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(logfd, STDOUT_FILENO);
	dup2(logfd, STDERR_FILENO);
	for (unsigned i = 0; i < ntaps; i++)
		if (tapfd[i] >= 0)
			fcntl(tapfd[i], F_SETFD, 0);	/* keep it across exec */
	execvp(a->v[0], a->v);
	_exit(127);
}

/* The last line QEMU wrote to its log, for an error message. */
static void log_tail(const char *path, char *out, size_t size)
{
	char buf[1024];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	out[0] = '\0';
	if (fd < 0)
		return;
	if (lseek(fd, -(off_t)(sizeof(buf) - 1), SEEK_END) < 0)
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	{
		const char *last = strrchr(buf, '\n') ? strrchr(buf, '\n') + 1 :
				   buf;
		size_t len = strlen(last) < size - 1 ? strlen(last) : size - 1;

		memcpy(out, last, len);
		out[len] = '\0';
	}
}

/* Start QEMU for @d with its TAPs, wait until QMP answers. With @infd
 * >= 0, QEMU loads a saved domain from that file (-incoming fd:). */
static int spawn(struct xend *x, struct xend_domain *d, int infd,
		 struct ctl_req *req)
{
	static struct argv a;		/* large; main thread only */
	int tapfd[XEND_VIFS_MAX + 1] = { 0 }, logfd, ret = 0;
	char incoming[32];
	char logp[PATH_MAX], qmpp[PATH_MAX], err[QMP_ERR_MAX], tail[256];
	struct qmp *q = NULL;
	unsigned n = 0;
	pid_t pid;

	dom_path(x, d, "log", logp, sizeof(logp));
	dom_path(x, d, "qmp", qmpp, sizeof(qmpp));
	unlink(qmpp);
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (logfd < 0) {
		ret = -errno;
		ctl_fail(req, "cannot open %s: %s", logp, strerror(errno));
		return ret;
	}
	for (; n < d->nvifs; n++) {
		tapfd[n] = -1;
		if (vhost(&d->vifs[n]))
			continue;
		tapfd[n] = port_tap_open(d->vifs[n].ifname, false);
		if (tapfd[n] < 0) {
			ret = tapfd[n];
			ctl_fail(req, "cannot create TAP %s: %s",
				 d->vifs[n].ifname, strerror(-ret));
			goto out;
		}
	}
	memset(&a, 0, sizeof(a));
	snprintf(incoming, sizeof(incoming), "fd:%d", infd);
	build_argv(x, d, tapfd, infd >= 0 ? incoming : NULL, &a);
	if (infd >= 0)
		tapfd[n] = infd;	/* passed like the TAPs, closed by caller */
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		ctl_fail(req, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(&a, logfd, tapfd, n + (infd >= 0));
	d->pid = pid;
	ret = watch(x, d);
	if (!ret)
		ret = qmp_open(qmpp, QEMU_START_MS, &q, err, sizeof(err));
	qmp_close(q);
	if (ret) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		unwatch(x, d);
		d->pid = 0;
		log_tail(logp, tail, sizeof(tail));
		ctl_fail(req, "QEMU did not start: %s", tail[0] ? tail : err);
	}
out:
	while (n--)
		if (tapfd[n] >= 0)
			close(tapfd[n]);	/* QEMU has its own copies */
	close(logfd);
	return ret;
}

/* ---- builder operations ---- */

/* QMP @cmd on @d; the reply in *@ret if wanted. */
static int qmp_do(const struct xend *x, const struct xend_domain *d,
		  const char *cmd, json_object *args, json_object **ret,
		  struct ctl_req *req)
{
	char path[PATH_MAX], err[QMP_ERR_MAX];
	struct qmp *q;
	int r;

	dom_path(x, d, "qmp", path, sizeof(path));
	r = qmp_open(path, QMP_TIMEOUT_MS, &q, err, sizeof(err));
	if (!r) {
		r = qmp_call(q, cmd, args, ret, err, sizeof(err),
			     QMP_TIMEOUT_MS);
		args = NULL;
		qmp_close(q);
	}
	json_object_put(args);
	if (r && req)
		ctl_fail(req, "domain %u: %s", d->id, err);
	return r;
}

static void qemu_teardown(struct xend *x, struct xend_domain *d);
static void sched_join(struct xend *x, struct xend_domain *d, bool fresh);

static int qemu_build(struct xend *x, struct xend_domain *d,
		      struct ctl_req *req)
{
	struct stat st;
	int ret;

	if (!*cfg_str(d, "kernel")) {
		ctl_fail(req, "builder 'qemu' needs a kernel");
		return -EINVAL;
	}
	if (stat(cfg_str(d, "kernel"), &st) || !S_ISREG(st.st_mode)) {
		ctl_fail(req, "kernel %s: %s", cfg_str(d, "kernel"),
			 strerror(errno ? errno : EINVAL));
		return -ENOENT;
	}
	if (*cfg_str(d, "ramdisk") && stat(cfg_str(d, "ramdisk"), &st)) {
		ctl_fail(req, "ramdisk %s: %s", cfg_str(d, "ramdisk"),
			 strerror(errno));
		return -ENOENT;
	}
	ret = vifs_attach(x, d, true, req);
	if (!ret)
		ret = spawn(x, d, -1, req);
	if (!ret)
		ret = vifs_attach(x, d, false, req);
	if (ret)
		return ret;		/* the caller tears down */
	sched_join(x, d, true);
	log_info("domain %u: QEMU %d (%s)", d->id, d->pid,
		 cfg_str(d, "kernel"));
	return 0;
}

static void qemu_teardown(struct xend *x, struct xend_domain *d)
{
	char path[PATH_MAX];

	for (unsigned i = 0; i < d->nvifs; i++)
		xend_vif_detach(x, d, &d->vifs[i]);
	if (d->pid > 0 && is_our_qemu(x, d, d->pid)) {
		if (qmp_do(x, d, "quit", NULL, NULL, NULL) ||
		    !wait_gone(x, d, QEMU_QUIT_MS)) {
			log_warn("domain %u: QEMU %d did not quit: SIGKILL",
				 d->id, d->pid);
			kill(d->pid, SIGKILL);
			wait_gone(x, d, QEMU_QUIT_MS);
		}
	}
	if (d->pid > 0) {
		waitpid(d->pid, NULL, WNOHANG);	/* if it died by itself */
		xend_sched_dom_del(d->id);
	}
	unwatch(x, d);
	d->pid = 0;
	dom_path(x, d, "qmp", path, sizeof(path));
	unlink(path);
	dom_path(x, d, "serial", path, sizeof(path));
	unlink(path);
	for (unsigned i = 0; i < d->nvifs; i++) {
		if (!vhost(&d->vifs[i]))
			continue;
		vu_path(x, d, &d->vifs[i], path, sizeof(path));
		unlink(path);
	}
}

static int qemu_adopt(struct xend *x, struct xend_domain *d)
{
	struct ctl_req req = { 0 };
	json_object *st = NULL, *status = NULL;

	if (!is_our_qemu(x, d, d->pid)) {
		d->pid = 0;		/* never signal what is not ours */
		return -ENOENT;
	}
	if (watch(x, d) ||
	    qmp_do(x, d, "query-status", NULL, &st, &req)) {
		log_warn("domain %u: QEMU %d does not answer: %s", d->id,
			 d->pid, req.error);
		json_object_put(st);
		return -ENOENT;
	}
	if (json_object_object_get_ex(st, "status", &status))
		d->stopped = !strcmp(json_object_get_string(status), "paused");
	json_object_put(st);
	sched_join(x, d, false);
	for (unsigned i = 0; i < d->nvifs; i++) {
		struct xend_vif *v = &d->vifs[i];

		memset(&req, 0, sizeof(req));
		v->port = -1;
		if (vif_attach(x, d, v, &req))
			xend_vif_not_restored(d, v, req.error);
	}
	return 0;
}

static int qemu_vif_rebuild(struct xend *x, struct xend_domain *d,
			    struct xend_vif *v, struct ctl_req *req)
{
	/* QEMU holds the TAP; if its dom0 side is gone there is nothing to
	 * attach to until the domain is restarted. A vhost-user port never
	 * fails this way: it reconnects by itself. */
	return vif_attach(x, d, v, req);
}

/* CPU time and memory of @pid from /proc. */
static void proc_usage(pid_t pid, uint64_t *time_s, uint64_t *rss_kb)
{
	char path[64], buf[2048], *p;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks = 0;
	ssize_t n;
	int fd;

	if (!xend_proc_ticks(pid, &ticks))
		*time_s = ticks / (uint64_t)(hz > 0 ? hz : 100);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		p = strstr(buf, "VmRSS:");
		if (p)
			*rss_kb = strtoull(p + 6, NULL, 10);
	}
}

static void qemu_usage(const struct xend_domain *d, struct xend_dom_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->cpu = d->cpu;
	u->running = d->pid > 0 && kill(d->pid, 0) == 0;
	u->stopped = d->stopped;
	if (u->running)
		proc_usage(d->pid, &u->time_s, &u->mem_kb);
}

static int qemu_stop(struct xend *x, struct xend_domain *d,
		     struct ctl_req *req)
{
	if (qmp_do(x, d, "stop", NULL, NULL, req))
		return -EIO;
	d->stopped = true;
	log_info("domain %u stopped", d->id);
	return 0;
}

static int qemu_start(struct xend *x, struct xend_domain *d,
		      struct ctl_req *req)
{
	if (qmp_do(x, d, "cont", NULL, NULL, req))
		return -EIO;
	d->stopped = false;
	log_info("domain %u started", d->id);
	return 0;
}

/* system_powerdown and wait for the guest to power off; the caller then
 * removes the domain (destroying it if it did not go). */
static int qemu_shutdown(struct xend *x, struct xend_domain *d,
			 struct ctl_req *req)
{
	json_object *t = NULL;
	int64_t secs = SHUTDOWN_TIMEOUT_S;

	if (json_object_object_get_ex(req->msg, "timeout", &t)) {
		if (!json_object_is_type(t, json_type_int) ||
		    json_object_get_int64(t) < 0 ||
		    json_object_get_int64(t) > 3600) {
			ctl_fail(req, "field 'timeout' must be 0..3600");
			return -EINVAL;
		}
		secs = json_object_get_int64(t);
	}
	if (d->stopped)
		qmp_do(x, d, "cont", NULL, NULL, NULL);
	if (qmp_do(x, d, "system_powerdown", NULL, NULL, NULL) ||
	    !wait_gone(x, d, (int)secs * 1000))
		log_warn("domain %u did not power off within %llds: "
			 "destroying it", d->id, (long long)secs);
	else
		log_info("domain %u powered off", d->id);
	return 0;
}

/* QEMU's process (for the cgroup) and its vCPU threads (for the slice
 * and the pin), from query-cpus-fast. */
static int vcpu_tasks(const struct xend *x, const struct xend_domain *d,
		      struct xend_sched_tasks *t, struct ctl_req *req)
{
	json_object *cpus = NULL;
	int ret = xend_sched_tasks_add_proc(t, d->pid);

	if (ret)
		return ret;
	if (qmp_do(x, d, "query-cpus-fast", NULL, &cpus, req))
		return -EIO;
	for (size_t i = 0; i < json_object_array_length(cpus) && !ret; i++) {
		json_object *c = json_object_array_get_idx(cpus, i), *tid;

		if (json_object_object_get_ex(c, "thread-id", &tid))
			ret = xend_sched_tasks_add_tid(t, (pid_t)json_object_get_int(tid));
	}
	json_object_put(cpus);
	return ret;
}

static int qemu_pincpu(struct xend *x, struct xend_domain *d, int cpu,
		       struct ctl_req *req)
{
	struct xend_sched_tasks t = { 0 };
	int ret;

	ret = vcpu_tasks(x, d, &t, req);
	if (!ret)
		ret = xend_sched_set_cpu(d->id, cpu, &t, req);
	xend_sched_tasks_free(&t);
	if (ret)
		return -EINVAL;
	d->cpu = cpu;
	if (cpu < 0)
		log_info("domain %u: vCPUs on any CPU", d->id);
	else
		log_info("domain %u: vCPUs pinned to CPU %d", d->id, cpu);
	return 0;
}

/* cpu_bvtset (dom_sched.h has the mapping): QEMU's cgroup weight and its
 * vCPU threads' slice. */
static int qemu_sched(struct xend *x, struct xend_domain *d,
		      const uint32_t bvt[4], struct ctl_req *req)
{
	struct xend_sched_tasks t = { 0 };
	int ret;

	ret = vcpu_tasks(x, d, &t, req);
	if (!ret)
		ret = xend_sched_set_bvt(d->id, bvt, &t, req);
	xend_sched_tasks_free(&t);
	return ret ? -EINVAL : 0;
}

/* A new or restored QEMU joins its domain's cgroup. */
static void sched_join(struct xend *x, struct xend_domain *d, bool fresh)
{
	struct ctl_req req = { 0 };
	struct xend_sched_tasks t = { 0 };
	int ret;

	ret = fresh ? xend_sched_dom_new(d->id) : 0;
	if (!ret)
		ret = vcpu_tasks(x, d, &t, &req);
	if (!ret)
		ret = xend_sched_dom_apply(d->id, &t);
	if (ret)
		log_warn("domain %u: scheduling: %s", d->id,
			 req.error[0] ? req.error : strerror(-ret));
	xend_sched_tasks_free(&t);
}

/* ---- save and restore ----
 *
 * A save file: the line "xeno-save 1", a line with the length of the
 * domain's record, the record (JSON, as in the state file), a newline,
 * then QEMU's migration stream. QEMU writes and reads the stream through a
 * file descriptor xend opened (QMP getfd + migrate "fd:", -incoming fd:N):
 * no shell ever sees the file's name. */

#define SAVE_MAGIC		"xeno-save 1\n"
#define SAVE_RECORD_MAX		(1024 * 1024)
#define MIGRATE_MS		120000

static int write_header(int fd, const struct xend_domain *d)
{
	json_object *o = rec_state_json(d);
	const char *text;
	char head[64];
	int n, ret = 0;

	json_object_object_del(o, "qemu");	/* runtime, not the guest */
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	n = snprintf(head, sizeof(head), SAVE_MAGIC "%zu\n", strlen(text));
	if (write(fd, head, (size_t)n) != n ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    write(fd, "\n", 1) != 1)
		ret = errno ? -errno : -EIO;
	json_object_put(o);
	return ret;
}

/* Poll query-migrate until it is done. 0, or -errno with req set. */
static int migrate_wait(const struct xend *x, const struct xend_domain *d,
			struct ctl_req *req)
{
	for (int ms = 0; ms < MIGRATE_MS; ms += 100) {
		json_object *r = NULL, *st = NULL;
		const char *s;

		if (qmp_do(x, d, "query-migrate", NULL, &r, req))
			return -EIO;
		json_object_object_get_ex(r, "status", &st);
		s = st ? json_object_get_string(st) : "";
		if (!strcmp(s, "completed")) {
			json_object_put(r);
			return 0;
		}
		if (!strcmp(s, "failed") || !strcmp(s, "cancelled")) {
			json_object *e = NULL;

			json_object_object_get_ex(r, "error-desc", &e);
			ctl_fail(req, "domain %u: migration %s: %s", d->id, s,
				 e ? json_object_get_string(e) : "?");
			json_object_put(r);
			return -EIO;
		}
		json_object_put(r);
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	ctl_fail(req, "domain %u: save did not finish in %d s", d->id,
		 MIGRATE_MS / 1000);
	return -ETIMEDOUT;
}

static int qemu_save(struct xend *x, struct xend_domain *d, const char *file,
		     struct ctl_req *req)
{
	char path[PATH_MAX], err[QMP_ERR_MAX];
	struct qmp *q = NULL;
	json_object *args;
	int fd, ret;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		ctl_fail(req, "%s: %s", file, strerror(errno));
		return ret;
	}
	ret = write_header(fd, d);
	if (ret) {
		ctl_fail(req, "%s: %s", file, strerror(-ret));
		goto out;
	}
	if (!d->stopped && qmp_do(x, d, "stop", NULL, NULL, req)) {
		ret = -EIO;
		goto out;
	}
	dom_path(x, d, "qmp", path, sizeof(path));
	ret = qmp_open(path, QMP_TIMEOUT_MS, &q, err, sizeof(err));
	if (!ret)
		ret = qmp_send_fd(q, fd, "xeno-save", err, sizeof(err));
	args = json_object_new_object();
	json_object_object_add(args, "uri", json_object_new_string("fd:xeno-save"));
	if (!ret)
		ret = qmp_call(q, "migrate", args, NULL, err, sizeof(err),
			       QMP_TIMEOUT_MS);
	else
		json_object_put(args);
	qmp_close(q);
	if (ret)
		ctl_fail(req, "domain %u: %s", d->id, err);
	else
		ret = migrate_wait(x, d, req);
	if (ret) {
		if (!d->stopped)	/* leave it as it was */
			qmp_do(x, d, "cont", NULL, NULL, NULL);
		goto out;
	}
	if (fsync(fd))
		log_warn("domain %u: fsync %s: %s", d->id, file,
			 strerror(errno));
	log_info("domain %u saved to %s", d->id, file);
out:
	close(fd);
	if (ret)
		unlink(file);
	return ret;
}

/* Read a save file's header: the record (checked as the state file's
 * are) and the file positioned at QEMU's stream. */
static struct xend_domain *read_header(int fd, const char *file,
				       struct ctl_req *req)
{
	char head[64], err[CTL_ERROR_MAX], *text = NULL, *end;
	struct xend_domain *d = NULL;
	json_object *o = NULL;
	size_t len;
	ssize_t n;

	n = pread(fd, head, sizeof(head) - 1, 0);
	head[n > 0 ? n : 0] = '\0';
	if (n < (ssize_t)strlen(SAVE_MAGIC) ||
	    strncmp(head, SAVE_MAGIC, strlen(SAVE_MAGIC))) {
		ctl_fail(req, "%s is not a xeno save file", file);
		return NULL;
	}
	len = strtoul(head + strlen(SAVE_MAGIC), &end, 10);
	if (*end != '\n' || !len || len > SAVE_RECORD_MAX) {
		ctl_fail(req, "%s: damaged header", file);
		return NULL;
	}
	text = malloc(len + 1);
	if (!text || pread(fd, text, len + 1, end + 1 - head) != (ssize_t)len + 1 ||
	    text[len] != '\n') {
		ctl_fail(req, "%s: damaged header", file);
		goto out;
	}
	text[len] = '\0';
	o = json_tokener_parse(text);
	d = o ? rec_state_parse(o, err, sizeof(err)) : NULL;
	if (!d)
		ctl_fail(req, "%s: damaged domain record: %s", file,
			 o ? err : "not JSON");
	else if (d->builder != XEND_BUILDER_QEMU) {
		ctl_fail(req, "%s: not a QEMU domain", file);
		rec_domain_free(d);
		d = NULL;
	} else if (lseek(fd, end + 1 - head + (off_t)len + 1, SEEK_SET) < 0) {
		ctl_fail(req, "%s: %s", file, strerror(errno));
		rec_domain_free(d);
		d = NULL;
	}
out:
	json_object_put(o);
	free(text);
	return d;
}

/* Wait until the incoming QEMU has loaded the stream and runs. */
static int incoming_wait(const struct xend *x, struct xend_domain *d,
			 struct ctl_req *req)
{
	for (int ms = 0; ms < MIGRATE_MS; ms += 100) {
		json_object *r = NULL, *st = NULL;
		const char *s;

		if (qmp_do(x, d, "query-status", NULL, &r, req))
			return -EIO;
		json_object_object_get_ex(r, "status", &st);
		s = st ? json_object_get_string(st) : "";
		if (!strcmp(s, "running")) {
			json_object_put(r);
			return 0;
		}
		if (!strcmp(s, "paused")) {
			/* a saved guest was stopped for the save: loaded,
			 * it carries on */
			json_object_put(r);
			return qmp_do(x, d, "cont", NULL, NULL, req) ? -EIO : 0;
		}
		if (strcmp(s, "inmigrate") && strcmp(s, "prelaunch")) {
			ctl_fail(req, "domain %u: the saved state did not load "
				 "(QEMU is %s)", d->id, s);
			json_object_put(r);
			return -EIO;
		}
		json_object_put(r);
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	ctl_fail(req, "domain %u: restore did not finish", d->id);
	return -ETIMEDOUT;
}

static int qemu_restore(struct xend *x, const char *file, struct ctl_req *req)
{
	struct xend_domain *d;
	int fd, ret;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ctl_fail(req, "%s: %s", file, strerror(errno));
		return ret;
	}
	d = read_header(fd, file, req);
	if (!d) {
		close(fd);
		return -EINVAL;
	}
	/* the guest keeps 169.254.1.N: it comes back as domain N */
	if (xend_dom_get(x, d->id) || xend_dom_check_new(x, d, req)) {
		if (xend_dom_get(x, d->id))
			ctl_fail(req, "domain %u, whose link-local address the "
				 "saved guest has, exists", d->id);
		ret = -EEXIST;
		goto fail;
	}
	d->state = XEND_DOM_BUILDING;
	d->stopped = false;
	d->cpu = -1;
	x->doms[d->id] = d;
	xend_save(x);
	ret = vifs_attach(x, d, true, req);
	if (!ret)
		ret = spawn(x, d, fd, req);
	if (!ret)
		ret = incoming_wait(x, d, req);
	if (!ret)
		ret = vifs_attach(x, d, false, req);
	if (ret) {
		qemu_teardown(x, d);
		x->doms[d->id] = NULL;
		xend_save(x);
		goto fail;
	}
	close(fd);
	sched_join(x, d, true);
	d->state = XEND_DOM_RUNNING;
	json_object_object_add(req->reply, "dom", json_object_new_int64(d->id));
	log_info("domain %u (%s) restored from %s", d->id, d->name, file);
	return 0;
fail:
	close(fd);
	rec_domain_free(d);
	return ret;
}

/* ---- block devices ---- */

#define VBD_UNPLUG_MS		10000

static int qemu_vbd_add(struct xend *x, struct xend_domain *d,
			const struct xend_vbd *b, struct ctl_req *req)
{
	json_object *args, *file;
	char path[PATH_MAX], id[48];
	long long size;

	for (unsigned i = 0; i < d->nvbds; i++) {
		if (!strcmp(d->vbds[i].dev, b->dev)) {
			ctl_fail(req, "domain %u already has %s", d->id,
				 b->dev);
			return -EEXIST;
		}
	}
	if (d->nvbds >= XEND_VBDS_MAX) {
		ctl_fail(req, "domain %u has %d vbds already", d->id,
			 XEND_VBDS_MAX);
		return -ENOSPC;
	}
	size = rec_vbd_size(b);
	if (size < 0 || rec_vbd_path(b, path, sizeof(path))) {
		ctl_fail(req, "%s: %s", b->uname,
			 strerror(size < 0 ? (int)-size : EINVAL));
		return -ENOENT;
	}
	snprintf(id, sizeof(id), "vbd-%s", b->dev);
	file = json_object_new_object();
	json_object_object_add(file, "driver", json_object_new_string(
		strncmp(b->uname, "phy:", 4) ? "file" : "host_device"));
	json_object_object_add(file, "filename", json_object_new_string(path));
	args = json_object_new_object();
	json_object_object_add(args, "driver", json_object_new_string("raw"));
	json_object_object_add(args, "node-name", json_object_new_string(id));
	json_object_object_add(args, "read-only",
			       json_object_new_boolean(b->mode[0] == 'r'));
	json_object_object_add(args, "file", file);
	if (qmp_do(x, d, "blockdev-add", args, NULL, req))
		return -EIO;
	args = json_object_new_object();
	json_object_object_add(args, "driver",
			       json_object_new_string("virtio-blk-pci"));
	json_object_object_add(args, "drive", json_object_new_string(id));
	json_object_object_add(args, "id", json_object_new_string(id));
	if (qmp_do(x, d, "device_add", args, NULL, req)) {
		args = json_object_new_object();
		json_object_object_add(args, "node-name",
				       json_object_new_string(id));
		qmp_do(x, d, "blockdev-del", args, NULL, NULL);
		return -EIO;
	}
	d->vbds[d->nvbds++] = *b;
	log_info("domain %u: %s attached as %s (%s, %lld MB)", d->id, b->uname,
		 b->dev, b->mode, size / (1024 * 1024));
	return 0;
}

/* device_del, wait for the guest to let it go, blockdev-del. */
static int qemu_vbd_remove(struct xend *x, struct xend_domain *d,
			   const char *dev, struct ctl_req *req)
{
	char path[PATH_MAX], id[48], err[QMP_ERR_MAX];
	json_object *args;
	struct qmp *q;
	unsigned i;
	int ret;

	for (i = 0; i < d->nvbds && strcmp(d->vbds[i].dev, dev); i++)
		;
	if (i == d->nvbds) {
		ctl_fail(req, "domain %u has no vbd %s", d->id, dev);
		return -ENOENT;
	}
	snprintf(id, sizeof(id), "vbd-%s", dev);
	dom_path(x, d, "qmp", path, sizeof(path));
	ret = qmp_open(path, QMP_TIMEOUT_MS, &q, err, sizeof(err));
	args = json_object_new_object();
	json_object_object_add(args, "id", json_object_new_string(id));
	if (!ret)
		ret = qmp_call(q, "device_del", args, NULL, err, sizeof(err),
			       QMP_TIMEOUT_MS);
	else
		json_object_put(args);
	if (!ret && qmp_wait_event(q, "DEVICE_DELETED", VBD_UNPLUG_MS)) {
		snprintf(err, sizeof(err), "the guest did not release %s in "
			 "%d s", dev, VBD_UNPLUG_MS / 1000);
		ret = -ETIMEDOUT;
	}
	if (!ret) {
		args = json_object_new_object();
		json_object_object_add(args, "node-name",
				       json_object_new_string(id));
		ret = qmp_call(q, "blockdev-del", args, NULL, err, sizeof(err),
			       QMP_TIMEOUT_MS);
	}
	qmp_close(q);
	if (ret) {
		ctl_fail(req, "domain %u: %s", d->id, err);
		return ret;
	}
	memmove(&d->vbds[i], &d->vbds[i + 1],
		(d->nvbds - i - 1) * sizeof(d->vbds[0]));
	d->nvbds--;
	log_info("domain %u: %s detached", d->id, dev);
	return 0;
}

const struct xend_builder xend_builder_qemu = {
	.name = "qemu",
	.build = qemu_build,
	.teardown = qemu_teardown,
	.adopt = qemu_adopt,
	.vif_rebuild = qemu_vif_rebuild,
	.usage = qemu_usage,
	.stop = qemu_stop,
	.start = qemu_start,
	.shutdown = qemu_shutdown,
	.pincpu = qemu_pincpu,
	.sched = qemu_sched,
	.save = qemu_save,
	.restore = qemu_restore,
	.vbd_add = qemu_vbd_add,
	.vbd_remove = qemu_vbd_remove,
};
