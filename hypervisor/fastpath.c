// SPDX-License-Identifier: GPL-2.0-or-later
/* fastpath.c - xend's kernel fast path for netns domains (fastpath.h) */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "control.h"
#include "fastpath.h"
#include "netns.h"

#define FPATH_NTOHS(x) ntohs(x)
#include "bpf/fastpath.h"

static_assert(FPATH_SLOTS == VS_PORTS_MAX, "a fast-path slot is a switch port");

/* The BPF object, built from vswitch/bpf/fastpath.bpf.c (fastpath_obj.c) */
extern const unsigned char xend_fp_obj[];
extern const uint64_t xend_fp_obj_len;

/* Offers of a flow already installed are not installed again for this
 * long: the frames that were on their way through the switch when the
 * flow went in each offer it once more. After it, a flow the kernel's LRU
 * table evicted comes back at its next offer. */
#define OFFER_CACHE		1024
#define OFFER_AGAIN_NS		(50 * 1000000ull)

/* Flows a vif may have installed per second: a domain that sends to ever
 * new addresses (a scan, or on purpose) makes a flow of each frame; past
 * this its frames just take the switch, and cost xend no system call and
 * the other vifs none of their flows in the kernel's LRU table. */
#define OFFER_BUDGET		1000
#define OFFER_WINDOW_NS		1000000000ull

struct fp_vif {
	bool used;
	int veth, tap;			/* ifindexes */
	struct fpath_counts folded;	/* what xend_fp_fold() already added */
	uint64_t window;		/* start of its OFFER_WINDOW_NS */
	unsigned installs;		/* flows installed in that window */
};

struct offer_slot {
	struct fpath_key k;
	uint64_t epoch;			/* xend_fp->epoch when installed */
	uint64_t at;			/* when (CLOCK_MONOTONIC_COARSE) */
};

struct xend_fp {
	struct bpf_object *obj;
	int from_dom, to_dom;		/* program fds */
	int ports, flows, counts;	/* map fds */
	unsigned ncpus;
	struct fpath_counts *percpu;	/* a counts map value: one per CPU */
	uint64_t gen;			/* vs_switch_gen() at the last sync */

	pthread_mutex_t lock;		/* the rest: offers come from any
					 * data-plane thread */
	struct fp_vif vifs[FPATH_SLOTS];
	uint64_t epoch;			/* flushes so far, plus one */
	struct offer_slot cache[OFFER_CACHE];
};

static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char msg[512];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	log_debug("libbpf: %s", msg);
	return 0;
}

static int find_fds(struct xend_fp *fp)
{
	struct bpf_program *from, *to;

	from = bpf_object__find_program_by_name(fp->obj, "fp_from_dom");
	to = bpf_object__find_program_by_name(fp->obj, "fp_to_dom");
	if (!from || !to)
		return -ENOENT;
	fp->from_dom = bpf_program__fd(from);
	fp->to_dom = bpf_program__fd(to);
	fp->ports = bpf_object__find_map_fd_by_name(fp->obj, "fp_ports");
	fp->flows = bpf_object__find_map_fd_by_name(fp->obj, "fp_flows");
	fp->counts = bpf_object__find_map_fd_by_name(fp->obj, "fp_counts");
	if (fp->from_dom < 0 || fp->to_dom < 0 || fp->ports < 0 ||
	    fp->flows < 0 || fp->counts < 0)
		return -ENOENT;
	return 0;
}

/* Run @prog_fd at tc ingress of @ifindex, in place of whatever ran there
 * (a previous xend's program). */
static int tc_attach(int ifindex, int prog_fd)
{
	struct bpf_tc_hook hook = {
		.sz = sizeof(hook), .ifindex = ifindex,
		.attach_point = BPF_TC_INGRESS,
	};
	struct bpf_tc_opts opts = {
		.sz = sizeof(opts), .handle = 1, .priority = 1,
		.prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE,
	};
	int ret = bpf_tc_hook_create(&hook);

	if (ret && ret != -EEXIST)
		return ret;
	return bpf_tc_attach(&hook, &opts);
}

/* Can programs be attached here? A kernel may load BPF and still lack the
 * clsact qdisc or the bpf classifier (modules not there): try on a veth
 * pair of our own, made and deleted at once. 0 or -errno. */
static int probe(struct xend_fp *fp)
{
	unsigned id = (unsigned)getpid() % 10000000u;
	char a[IFNAMSIZ], b[IFNAMSIZ];
	int ret;

	snprintf(a, sizeof(a), "xfp%u", id);
	snprintf(b, sizeof(b), "xfp%up", id);
	xend_netns_link_del(NULL, a);		/* a stray of a crashed xend */
	ret = xend_netns_veth_add(a, b);
	if (ret)
		return ret;
	ret = (int)if_nametoindex(a);
	ret = ret ? tc_attach(ret, fp->to_dom) : -ENODEV;
	xend_netns_link_del(NULL, a);
	return ret;
}

/* xend_fp_new() - see fastpath.h. */
struct xend_fp *xend_fp_new(char *why, size_t whylen)
{
	struct bpf_object_open_opts opts = {
		.sz = sizeof(opts), .object_name = "xeno_fp",
	};
	struct xend_fp *fp = calloc(1, sizeof(*fp));
	int ret, ncpus = libbpf_num_possible_cpus();

	if (!fp || ncpus <= 0) {
		snprintf(why, whylen, "%s", fp ? "cannot count the CPUs" :
			 "out of memory");
		free(fp);
		errno = fp ? -ncpus : ENOMEM;
		return NULL;
	}
	libbpf_set_print(libbpf_log);
	pthread_mutex_init(&fp->lock, NULL);
	fp->epoch = 1;
	fp->ncpus = (unsigned)ncpus;
	fp->percpu = calloc(fp->ncpus, sizeof(*fp->percpu));
	fp->obj = bpf_object__open_mem(xend_fp_obj, (size_t)xend_fp_obj_len,
				       &opts);
	ret = fp->percpu && fp->obj ? 0 : -(errno ? errno : ENOMEM);
	if (ret) {
		snprintf(why, whylen, "cannot open the BPF object: %s",
			 strerror(-ret));
		goto fail;
	}
	ret = bpf_object__load(fp->obj);
	if (ret) {
		snprintf(why, whylen, "cannot load the BPF programs: %s",
			 strerror(-ret));
		goto fail;
	}
	ret = find_fds(fp);
	if (ret) {
		snprintf(why, whylen, "the BPF object lacks a program or map");
		goto fail;
	}
	ret = probe(fp);
	if (ret) {
		snprintf(why, whylen, "cannot attach a tc program here: %s",
			 strerror(-ret));
		goto fail;
	}
	return fp;
fail:
	xend_fp_free(fp);
	errno = -ret;
	return NULL;
}

/* xend_fp_free() - see fastpath.h. */
void xend_fp_free(struct xend_fp *fp)
{
	if (!fp)
		return;
	bpf_object__close(fp->obj);
	free(fp->percpu);
	pthread_mutex_destroy(&fp->lock);
	free(fp);
}

/* Zero port @port's counters on every CPU. */
static int counts_reset(struct xend_fp *fp, unsigned port)
{
	__u32 key = port;

	memset(fp->percpu, 0, fp->ncpus * sizeof(*fp->percpu));
	return bpf_map_update_elem(fp->counts, &key, fp->percpu, BPF_ANY) ?
	       -errno : 0;
}

/* xend_fp_vif_add() - see fastpath.h. */
int xend_fp_vif_add(struct xend_fp *fp, unsigned port, const char *veth,
		    const char *tap)
{
	int vi = (int)if_nametoindex(veth), ti = (int)if_nametoindex(tap);
	struct fpath_port pv = { .role = FPATH_ROLE_VETH }, pt = { .role = FPATH_ROLE_TAP };
	__u32 kv = (__u32)vi, kt = (__u32)ti;
	int ret;

	if (port >= FPATH_SLOTS)
		return -EINVAL;
	if (!vi || !ti)
		return -ENODEV;
	pv.peer_ifindex = kt;
	pt.peer_ifindex = kv;
	pv.slot = pt.slot = (__u16)port;
	pthread_mutex_lock(&fp->lock);
	ret = counts_reset(fp, port);
	if (!ret && (bpf_map_update_elem(fp->ports, &kv, &pv, BPF_ANY) ||
		     bpf_map_update_elem(fp->ports, &kt, &pt, BPF_ANY)))
		ret = -errno;
	if (!ret)
		fp->vifs[port] = (struct fp_vif){ .used = true, .veth = vi,
						  .tap = ti };
	pthread_mutex_unlock(&fp->lock);
	/* The map first: a program that does not find its device drops. */
	if (!ret)
		ret = tc_attach(ti, fp->to_dom);
	if (!ret)
		ret = tc_attach(vi, fp->from_dom);
	return ret;
}

/* Empty the flow table; the caller holds the lock. */
static void flush(struct xend_fp *fp)
{
	struct fpath_key k;

	while (!bpf_map_get_next_key(fp->flows, NULL, &k))
		if (bpf_map_delete_elem(fp->flows, &k) && errno != ENOENT)
			break;
	fp->epoch++;
}

/* xend_fp_vif_del() - see fastpath.h. */
void xend_fp_vif_del(struct xend_fp *fp, unsigned port)
{
	struct fp_vif *v;
	__u32 k;

	if (!fp || port >= FPATH_SLOTS)
		return;
	pthread_mutex_lock(&fp->lock);
	if (!fp->vifs[port].used) {
		pthread_mutex_unlock(&fp->lock);
		return;
	}
	v = &fp->vifs[port];
	k = (__u32)v->veth;
	bpf_map_delete_elem(fp->ports, &k);
	k = (__u32)v->tap;
	bpf_map_delete_elem(fp->ports, &k);
	flush(fp);
	counts_reset(fp, port);
	memset(v, 0, sizeof(*v));
	pthread_mutex_unlock(&fp->lock);
}

/* xend_fp_lost() - see fastpath.h. */
unsigned xend_fp_lost(struct xend_fp *fp, unsigned *ports, unsigned max)
{
	char name[IF_NAMESIZE];
	unsigned n = 0;

	if (!fp)
		return 0;
	pthread_mutex_lock(&fp->lock);
	for (unsigned p = 0; p < FPATH_SLOTS && n < max; p++) {
		const struct fp_vif *v = &fp->vifs[p];

		if (v->used && (!if_indextoname((unsigned)v->veth, name) ||
				!if_indextoname((unsigned)v->tap, name)))
			ports[n++] = p;
	}
	pthread_mutex_unlock(&fp->lock);
	return n;
}

/* xend_fp_is_vif() - see fastpath.h. */
bool xend_fp_is_vif(struct xend_fp *fp, unsigned port)
{
	bool ret;

	if (!fp || port >= FPATH_SLOTS)
		return false;
	pthread_mutex_lock(&fp->lock);
	ret = fp->vifs[port].used;
	pthread_mutex_unlock(&fp->lock);
	return ret;
}

static uint64_t coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned key_hash(const struct fpath_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h % OFFER_CACHE;
}

/* May vif @v install one more flow at @now? */
static bool budget(struct fp_vif *v, uint64_t now)
{
	if (now - v->window >= OFFER_WINDOW_NS) {
		v->window = now;
		v->installs = 0;
	}
	if (v->installs >= OFFER_BUDGET)
		return false;
	v->installs++;
	return true;
}

/* xend_fp_offer() - see fastpath.h: the flow of @f from @in goes to @out. */
void xend_fp_offer(void *ctx, unsigned in, unsigned out,
		   const struct vs_frame *f)
{
	struct xend_fp *fp = ctx;
	struct fpath_key k;
	struct fpath_flow fl;
	struct offer_slot *s;
	uint64_t now;

	memset(&k, 0, sizeof(k));
	if (in >= FPATH_SLOTS || out >= FPATH_SLOTS ||
	    fpath_parse(f->data, f->data + vs_frame_head_len(f), f->len, &k))
		return;
	pthread_mutex_lock(&fp->lock);
	if (!fp->vifs[in].used || !fp->vifs[out].used)
		goto out;
	k.ifindex = (__u32)fp->vifs[in].veth;
	s = &fp->cache[key_hash(&k)];
	now = coarse_now();
	if (s->epoch == fp->epoch && now - s->at < OFFER_AGAIN_NS &&
	    !memcmp(&s->k, &k, sizeof(k)))
		goto out;
	if (!budget(&fp->vifs[in], now))
		goto out;
	fl = (struct fpath_flow){ .out_ifindex = (__u32)fp->vifs[out].veth,
			       .in_slot = (__u16)in, .out_slot = (__u16)out };
	if (bpf_map_update_elem(fp->flows, &k, &fl, BPF_ANY)) {
		log_debug("fast path: cannot install a flow of port %u: %s",
			  in, strerror(errno));
		goto out;
	}
	s->k = k;
	s->epoch = fp->epoch;
	s->at = now;
out:
	pthread_mutex_unlock(&fp->lock);
}

/* Port @port's counters summed over the CPUs into @sum; 0 or -errno. */
static int counts_read(struct xend_fp *fp, unsigned port,
		       struct fpath_counts *sum)
{
	__u32 key = port;

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(fp->counts, &key, fp->percpu))
		return -errno;
	for (unsigned c = 0; c < fp->ncpus; c++) {
		sum->tx_packets += fp->percpu[c].tx_packets;
		sum->tx_bytes += fp->percpu[c].tx_bytes;
		sum->rx_packets += fp->percpu[c].rx_packets;
		sum->rx_bytes += fp->percpu[c].rx_bytes;
	}
	return 0;
}

/* xend_fp_fold() - see fastpath.h. */
void xend_fp_fold(struct xend_fp *fp, struct vs_switch *sw)
{
	struct fpath_counts now;

	pthread_mutex_lock(&fp->lock);
	for (unsigned p = 0; p < FPATH_SLOTS; p++) {
		struct fp_vif *v = &fp->vifs[p];

		if (!v->used || counts_read(fp, p, &now))
			continue;
		if (now.tx_packets == v->folded.tx_packets &&
		    now.rx_packets == v->folded.rx_packets)
			continue;
		vs_port_add_offloaded(sw, p,
				      now.tx_packets - v->folded.tx_packets,
				      now.tx_bytes - v->folded.tx_bytes,
				      now.rx_packets - v->folded.rx_packets,
				      now.rx_bytes - v->folded.rx_bytes);
		v->folded = now;
	}
	pthread_mutex_unlock(&fp->lock);
}

/* xend_fp_sync() - see fastpath.h. */
void xend_fp_sync(struct xend_fp *fp, const struct vs_switch *sw)
{
	uint64_t gen = vs_switch_gen(sw);

	if (gen == fp->gen)
		return;
	pthread_mutex_lock(&fp->lock);
	flush(fp);
	fp->gen = gen;
	pthread_mutex_unlock(&fp->lock);
}

/* xend_fp_flows() - see fastpath.h. No lock: the walk may take a while
 * and the kernel's map is consistent on its own. */
int xend_fp_flows(struct xend_fp *fp)
{
	struct fpath_key k, next;
	int n = 0;

	if (!fp)
		return -ENODEV;
	if (bpf_map_get_next_key(fp->flows, NULL, &k))
		return 0;
	for (n = 1; !bpf_map_get_next_key(fp->flows, &k, &next); n++)
		k = next;
	return n;
}
