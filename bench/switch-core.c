// SPDX-License-Identifier: GPL-2.0-or-later
/* switch-core.c - micro-benchmark of the switch core's frame path
 *
 * 64-byte frames through vs_input(): parse, the full ingress policy,
 * lookup and delivery to ports whose tx op only counts (no I/O, no copy).
 * The switch has dom0, a wire and 16 vifs with 4 IPv4 addresses each; the
 * traffic mixes unicast IPv4 between vifs, ARP requests, broadcasts, IPv6,
 * traffic to the wire, and spoofed frames, in batches of VS_BATCH frames
 * from one ingress port each, on a virtual clock.
 *
 * The peer, measured in the same run on the same frames and batches, is a
 * minimal learning bridge: read the Ethernet header, learn the source,
 * hash-look-up the destination MAC, queue (or flood), one tx call per
 * port per batch, no policy. The ratio ours/peer says what the policy
 * costs over plain L2 forwarding on this machine.
 *
 * Then the same traffic through several threads at once, as xend
 * --dp-threads runs them: each thread with its own struct vs_batch takes
 * in the batches of its own ingress ports (ports split by number) and
 * delivers to any port under that port's lock. The peer there is this
 * switch on one thread without locks, in the same run: the ratio says
 * how the switch's own work scales with threads on this machine's CPUs
 * (the TAP I/O around it is bench/datapath.sh's). See bench/README.md.
 */

#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netdefs.h"
#include "vswitch.h"

#define NVIFS		16
#define NADDRS		4
#define NPORTS		(NVIFS + 2)	/* harness: 0 dom0, 1 wire, 2.. vifs */
#define FRAME_LEN	64
#define NBATCHES	128		/* distinct batches, reused in turn */
#define FRAMES_RUN	(1u << 22)	/* frames per timed run (default) */
#define RUNS		7
#define TARGET_MPPS	20.0

enum { H_DOM0, H_WIRE, H_VIF0 };

struct batch {
	int port;			/* harness ingress port */
	struct vs_frame f[VS_BATCH];
};

static uint8_t frames_mem[NBATCHES][VS_BATCH][FRAME_LEN];
static struct batch batches[NBATCHES];
/* flows: vif v sends one batch, all of it unicast IPv4 to vif v + 8 */
static uint8_t flow_mem[NVIFS][VS_BATCH][FRAME_LEN];
static struct batch flows[NVIFS];
static uint8_t port_mac[NPORTS][6];
/* frames each port's tx took; a cache line per port, so that threads
 * delivering to different ports do not share one */
static struct port_count {
	uint64_t n;
} __attribute__((aligned(64))) tx_count[NPORTS];
static volatile uint64_t sink;

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t remote_mac[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* Traffic ----------------------------------------------------------------*/

static uint32_t rng = 12345;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

/* IPv4 address @k (0..3) of vif @v: 10.<v>.0.<k+1>; the first one is
 * link-local instead, 169.254.1.<v+1>, as a domain's first vif has. */
static uint32_t vif_ip(unsigned v, unsigned k)
{
	return k ? 0x0a000000u | v << 16 | (k + 1) : xeno_ll_dom(v + 1);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void eth(uint8_t *f, const uint8_t *dst, const uint8_t *src,
		uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
}

/* IPv4/UDP filling the 64-byte frame (50 bytes of IP). */
static void udp4(uint8_t *f, uint32_t src, uint32_t dst)
{
	uint8_t *ip = f + 14;

	ip[0] = 0x45;
	put16(ip + 2, FRAME_LEN - 14);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 20, 1024);
	put16(ip + 22, 4789);
	put16(ip + 24, FRAME_LEN - 34);
}

static void arp_req(uint8_t *f, const uint8_t *sha, uint32_t spa,
		    uint32_t tpa)
{
	uint8_t *a = f + 14;

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, sha, 6);
	put32(a + 14, spa);
	put32(a + 24, tpa);
}

/* fe80::EUI-64 of @mac into @a (16 bytes). */
static void ll6(uint8_t *a, const uint8_t *mac)
{
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = mac[0] ^ 2;
	a[9] = mac[1];
	a[10] = mac[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	memcpy(a + 13, mac + 3, 3);
}

/* IPv6/UDP, 10 bytes of payload in the 64-byte frame. */
static void udp6(uint8_t *f, const uint8_t *src_mac, const uint8_t *dst_mac)
{
	uint8_t *ip = f + 14;

	ip[0] = 0x60;
	put16(ip + 4, FRAME_LEN - 54);
	ip[6] = 17;
	ip[7] = 64;
	ll6(ip + 8, src_mac);
	ll6(ip + 24, dst_mac);
}

/* One frame from vif @v, by mix: 55% unicast IPv4 to another vif, 10% ARP
 * requests for another vif's address, 5% broadcasts, 10% IPv6 unicast,
 * 10% IPv4 to the wire, 10% spoofed (MAC or IP). */
static void vif_frame(uint8_t *f, unsigned v)
{
	const uint8_t *me = port_mac[H_VIF0 + v];
	unsigned o = (v + 1 + rnd(NVIFS - 1)) % NVIFS, r = rnd(100);
	uint32_t src = vif_ip(v, rnd(NADDRS)), dst = vif_ip(o, rnd(NADDRS));

	if (r < 55) {
		eth(f, port_mac[H_VIF0 + o], me, 0x0800);
		udp4(f, src, dst);
	} else if (r < 65) {
		eth(f, bcast, me, 0x0806);
		arp_req(f, me, src, dst);
	} else if (r < 70) {
		eth(f, bcast, me, 0x0800);
		udp4(f, vif_ip(v, 1), 0x0affffffu);
	} else if (r < 80) {
		eth(f, port_mac[H_VIF0 + o], me, 0x86dd);
		udp6(f, me, port_mac[H_VIF0 + o]);
	} else if (r < 90) {
		eth(f, remote_mac, me, 0x0800);
		udp4(f, vif_ip(v, 1), 0x08080808u);
	} else if (r < 95) {
		eth(f, port_mac[H_VIF0 + o], port_mac[H_VIF0 + o], 0x0800);
		udp4(f, src, dst);			/* spoof_mac */
	} else {
		eth(f, port_mac[H_VIF0 + o], me, 0x0800);
		udp4(f, dst, src);			/* spoof_ip */
	}
}

/* Frames from dom0 (to vifs, half by ARP) and from the wire (to vifs). */
static void other_frame(uint8_t *f, int port)
{
	unsigned o = rnd(NVIFS);
	uint32_t dst = vif_ip(o, 1 + rnd(NADDRS - 1));

	if (port == H_DOM0 && rnd(2)) {
		eth(f, bcast, port_mac[H_DOM0], 0x0806);
		arp_req(f, port_mac[H_DOM0], 0x0a000001u, dst);
		return;
	}
	eth(f, port_mac[H_VIF0 + o],
	    port == H_DOM0 ? port_mac[H_DOM0] : remote_mac, 0x0800);
	udp4(f, port == H_DOM0 ? 0x0a000001u : 0x08080808u, dst);
}

/* 7 batches in 8 come from vifs, the rest from dom0 and the wire. */
static void make_traffic(void)
{
	unsigned b, i;

	for (b = 0; b < NBATCHES; b++) {
		struct batch *bt = &batches[b];

		bt->port = b % 8 == 7 ? (b % 16 == 7 ? H_DOM0 : H_WIRE) :
			   H_VIF0 + (int)rnd(NVIFS);
		for (i = 0; i < VS_BATCH; i++) {
			uint8_t *f = frames_mem[b][i];

			memset(f, 0, FRAME_LEN);
			if (bt->port >= H_VIF0)
				vif_frame(f, (unsigned)(bt->port - H_VIF0));
			else
				other_frame(f, bt->port);
			bt->f[i] = (struct vs_frame){ .data = f,
				.len = FRAME_LEN, .cap = FRAME_LEN };
		}
	}
}

static void make_flows(void)
{
	unsigned v, i, o;

	for (v = 0; v < NVIFS; v++) {
		o = (v + NVIFS / 2) % NVIFS;
		flows[v].port = H_VIF0 + (int)v;
		for (i = 0; i < VS_BATCH; i++) {
			uint8_t *f = flow_mem[v][i];

			memset(f, 0, FRAME_LEN);
			eth(f, port_mac[H_VIF0 + o], port_mac[H_VIF0 + v],
			    0x0800);
			udp4(f, vif_ip(v, i % NADDRS), vif_ip(o, 0));
			flows[v].f[i] = (struct vs_frame){ .data = f,
				.len = FRAME_LEN, .cap = FRAME_LEN };
		}
	}
}

/* Our switch ---------------------------------------------------------------*/

static unsigned count_tx(void *ctx, const struct vs_frame *const *frames,
			 unsigned n)
{
	(void)frames;
	tx_count[(uintptr_t)ctx].n += n;
	return n;
}

static const struct vs_port_ops count_ops = { .tx = count_tx };
static int port_no[NPORTS];

static struct vs_switch *build_switch(void)
{
	struct vs_switch *sw = vs_switch_new();
	struct vs_port_config cfg = { .ops = &count_ops };
	unsigned i, k;

	if (!sw)
		return NULL;
	for (i = 0; i < NPORTS; i++) {
		cfg.kind = i == H_DOM0 ? VS_PORT_DOM0 :
			   i == H_WIRE ? VS_PORT_WIRE : VS_PORT_VIF;
		cfg.domid = i < H_VIF0 ? 0 : i - 1;
		cfg.ctx = (void *)(uintptr_t)i;
		memcpy(cfg.mac, port_mac[i], 6);
		port_no[i] = vs_port_add(sw, &cfg);
		if (port_no[i] < 0)
			goto fail;
	}
	for (i = 0; i < NVIFS; i++)
		for (k = 0; k < NADDRS; k++) {
			struct in_addr a = { htonl(vif_ip(i, k)) };

			if (vs_addr4_add(sw, (unsigned)port_no[H_VIF0 + i], a))
				goto fail;
		}
	{
		struct in_addr d0[2] = { { htonl(XENO_LL_DOMS) },
					 { htonl(0x0a000001u) } };

		if (vs_addr4_add(sw, (unsigned)port_no[H_DOM0], d0[0]) ||
		    vs_addr4_add(sw, (unsigned)port_no[H_DOM0], d0[1]))
			goto fail;
	}
	return sw;
fail:
	vs_switch_free(sw);
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t vclock = 1000000000u;
static unsigned frames_run = FRAMES_RUN;

/* @nframes frames through the switch; returns wall ns. */
static uint64_t run_switch(struct vs_switch *sw, unsigned nframes)
{
	uint64_t t0 = now_ns();
	unsigned done = 0, b = 0;

	while (done < nframes) {
		const struct batch *bt = &batches[b];

		vclock += 1000;
		if (vs_input(sw, (unsigned)port_no[bt->port], bt->f, VS_BATCH,
			     vclock) != VS_BATCH)
			abort();	/* nothing here is rate limited */
		done += VS_BATCH;
		b = (b + 1) % NBATCHES;
	}
	return now_ns() - t0;
}

/* Several threads ----------------------------------------------------------*/

#define THREADS_MAX	8

struct worker {
	struct vs_switch *sw;
	struct vs_batch *b;
	const struct batch *set;	/* the traffic: batches[] or flows[] */
	unsigned nset;
	unsigned idx, n;		/* thread idx of n */
	unsigned nframes;
	pthread_barrier_t *go;
};

/* Thread @w->idx: the batches whose ingress port is its own. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t clock = 1000000000u;
	unsigned done = 0, b = 0;

	pthread_barrier_wait(w->go);
	while (done < w->nframes) {
		const struct batch *bt = &w->set[b];

		b = (b + 1) % w->nset;
		if ((unsigned)bt->port % w->n != w->idx)
			continue;
		clock += 1000;
		if (vs_input_batch(w->sw, w->b, (unsigned)port_no[bt->port],
				   bt->f, VS_BATCH, clock) != VS_BATCH)
			abort();
		done += VS_BATCH;
	}
	return NULL;
}

/* Thread @idx of a run on the @idx-th CPU we may use: this machine's
 * CPUs differ (another guest's load), so every run, the peer's too,
 * starts its thread 0 on the same CPU. */
static void pin(pthread_t t, unsigned idx)
{
	cpu_set_t set, one;
	unsigned cpu, k = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set) || k++ != idx)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_setaffinity_np(t, sizeof(one), &one);
		return;
	}
}

/* @nframes frames through the switch by @n threads, with the ports'
 * locks when @locks; returns wall ns. */
static uint64_t run_threads(struct vs_switch *sw, unsigned n,
			    unsigned nframes, bool locks,
			    const struct batch *set, unsigned nset)
{
	struct worker w[THREADS_MAX];
	pthread_t th[THREADS_MAX];
	pthread_barrier_t go;
	uint64_t t0;
	unsigned i;

	pthread_barrier_init(&go, NULL, n + 1);
	vs_switch_set_threaded(sw, locks);
	for (i = 0; i < n; i++) {
		w[i] = (struct worker){ .sw = sw, .b = vs_batch_new(sw),
					.set = set, .nset = nset,
					.idx = i, .n = n,
					.nframes = nframes / n, .go = &go };
		if (!w[i].b || pthread_create(&th[i], NULL, worker_run, &w[i]))
			abort();
		pin(th[i], i);
	}
	pthread_barrier_wait(&go);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	t0 = now_ns() - t0;
	for (i = 0; i < n; i++)
		vs_batch_free(sw, w[i].b);
	vs_switch_set_threaded(sw, false);
	pthread_barrier_destroy(&go);
	return t0;
}

/* The peer: a learning bridge --------------------------------------------*/

#define L2_SIZE		1024

struct l2_ent {
	uint64_t key;			/* MAC | 1 << 63; 0 = empty */
	uint16_t port;
};

struct l2_port {
	const struct vs_frame *out[VS_BATCH];
	unsigned nout;
};

static struct l2 {
	struct l2_ent tbl[L2_SIZE];
	struct l2_port ports[NPORTS];
	uint16_t touched[NPORTS];
	unsigned ntouched;
} l2;

static uint64_t l2_key(const uint8_t *m)
{
	uint64_t k = 0;
	unsigned i;

	for (i = 0; i < 6; i++)
		k = k << 8 | m[i];
	return k | 1ULL << 63;
}

static unsigned l2_hash(uint64_t k)
{
	return (unsigned)((k * 0x9e3779b97f4a7c15ULL) >> 40) & (L2_SIZE - 1);
}

static struct l2_ent *l2_find(uint64_t key)
{
	unsigned i = l2_hash(key);

	while (l2.tbl[i].key && l2.tbl[i].key != key)
		i = (i + 1) & (L2_SIZE - 1);
	return &l2.tbl[i];
}

static void l2_queue(unsigned to, const struct vs_frame *f)
{
	struct l2_port *p = &l2.ports[to];

	if (!p->nout)
		l2.touched[l2.ntouched++] = (uint16_t)to;
	p->out[p->nout++] = f;
}

static void l2_input(unsigned in, const struct vs_frame *frames, unsigned n)
{
	unsigned i, t, to;

	for (i = 0; i < n; i++) {
		const struct vs_frame *f = &frames[i];
		struct l2_ent *e;

		if (f->len < 14)
			continue;
		if (!(f->data[6] & 1)) {		/* learn the source */
			e = l2_find(l2_key(f->data + 6));
			e->key = l2_key(f->data + 6);
			e->port = (uint16_t)in;
		}
		e = (f->data[0] & 1) ? NULL : l2_find(l2_key(f->data));
		if (e && e->key) {
			if (e->port != in)
				l2_queue(e->port, f);
			continue;
		}
		for (to = 0; to < NPORTS; to++)		/* flood */
			if (to != in)
				l2_queue(to, f);
	}
	for (t = 0; t < l2.ntouched; t++) {
		struct l2_port *p = &l2.ports[l2.touched[t]];

		count_tx((void *)(uintptr_t)l2.touched[t], p->out, p->nout);
		p->nout = 0;
	}
	l2.ntouched = 0;
}

static uint64_t run_peer(unsigned nframes)
{
	uint64_t t0 = now_ns();
	unsigned done = 0, b = 0;

	while (done < nframes) {
		const struct batch *bt = &batches[b];

		l2_input((unsigned)bt->port, bt->f, VS_BATCH);
		done += VS_BATCH;
		b = (b + 1) % NBATCHES;
	}
	return now_ns() - t0;
}

/* Driver -------------------------------------------------------------------*/

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median_ns_per_frame(uint64_t *ns)
{
	const unsigned mid = RUNS / 2;

	qsort(ns, RUNS, sizeof(ns[0]), cmp_u64);
	return (double)ns[mid] / (double)frames_run;
}

static uint64_t tx_total(void)
{
	uint64_t s = 0;
	unsigned i;

	for (i = 0; i < NPORTS; i++)
		s += tx_count[i].n;
	return s;
}

/* What the switch did with one pass over the batches: the mix, checked. */
static void print_mix(struct vs_switch *sw)
{
	struct vs_stats st;
	unsigned r;

	vs_switch_stats(sw, &st);
	printf("  one pass: %llu frames, %llu delivered (%llu copies out)",
	       (unsigned long long)st.in_frames,
	       (unsigned long long)st.delivered,
	       (unsigned long long)tx_total());
	for (r = 0; r < VS_DROP__MAX; r++)
		if (st.drops[r])
			printf(", %s %llu", vs_drop_names[r],
			       (unsigned long long)st.drops[r]);
	printf("\n");
}

/* The switch on 1..CPUs threads (at most THREADS_MAX) against itself on
 * one thread without locks, on traffic @set, runs interleaved. Every run
 * is made of new threads, the peer's too, so all are placed on the CPUs
 * alike. */
static void scaling(struct vs_switch *sw, const char *what,
		    const struct batch *set, unsigned nset)
{
	uint64_t one[RUNS], multi[THREADS_MAX + 1][RUNS];
	cpu_set_t cpus;
	unsigned ncpu = 1, n, r;
	double ns_one;

	if (!sched_getaffinity(0, sizeof(cpus), &cpus))
		ncpu = (unsigned)CPU_COUNT(&cpus);
	if (ncpu > THREADS_MAX)
		ncpu = THREADS_MAX;
	for (r = 0; r < RUNS; r++) {
		one[r] = run_threads(sw, 1, frames_run, false, set, nset);
		for (n = 1; n <= ncpu; n++)
			multi[n][r] = run_threads(sw, n, frames_run, true, set,
						  nset);
	}
	ns_one = median_ns_per_frame(one);
	printf("switch-core, %u CPUs, %s:\n", ncpu, what);
	printf("  %-28s %7.2f Mpps\n", "peer: 1 thread, no locks",
	       1e3 / ns_one);
	for (n = 1; n <= ncpu; n++) {
		double ns = median_ns_per_frame(multi[n]);

		printf("  %u thread%s, ports' locks    %7.2f Mpps   %.2fx\n", n,
		       n == 1 ? " " : "s", 1e3 / ns, ns_one / ns);
	}
}

/* switch-core [FRAMES]: FRAMES per timed run (e.g. fewer under valgrind). */
int main(int argc, char **argv)
{
	uint64_t ours[RUNS], peer[RUNS], copies_ours, copies_peer;
	double ns_ours, ns_peer;
	struct vs_switch *sw;
	unsigned i, r;

	for (i = 0; i < NPORTS; i++) {
		memcpy(port_mac[i], (const uint8_t[6]){ 0xaa, 0, 0, 0, 0, 0 },
		       6);
		port_mac[i][5] = (uint8_t)i;
	}
	port_mac[H_WIRE][0] = 0x02;
	if (argc > 1) {
		char *end;
		unsigned long v = strtoul(argv[1], &end, 10);

		if (*end || v < VS_BATCH || v > 1UL << 30) {
			fprintf(stderr, "usage: switch-core [FRAMES >= %d]\n",
				VS_BATCH);
			return 2;
		}
		frames_run = (unsigned)v;
	}
	make_traffic();
	make_flows();
	sw = build_switch();
	if (!sw) {
		fprintf(stderr, "switch-core: cannot build the switch\n");
		return 1;
	}

	printf("switch-core: %d-byte frames, %d vifs x %d IPv4 + dom0 + wire, "
	       "batches of %d, %u frames x %d runs\n", FRAME_LEN, NVIFS,
	       NADDRS, VS_BATCH, frames_run, RUNS);
	run_switch(sw, NBATCHES * VS_BATCH);
	print_mix(sw);
	memset(tx_count, 0, sizeof(tx_count));
	run_peer(NBATCHES * VS_BATCH);
	copies_peer = tx_total();
	memset(tx_count, 0, sizeof(tx_count));
	run_switch(sw, NBATCHES * VS_BATCH);
	copies_ours = tx_total();
	printf("  copies out per pass: ours %llu, peer %llu\n",
	       (unsigned long long)copies_ours,
	       (unsigned long long)copies_peer);

	/* Interleave the runs so both see the same machine state. */
	for (r = 0; r < RUNS; r++) {
		ours[r] = run_switch(sw, frames_run);
		peer[r] = run_peer(frames_run);
	}
	for (i = 0; i < NPORTS; i++)
		sink += tx_count[i].n;
	ns_ours = median_ns_per_frame(ours);
	ns_peer = median_ns_per_frame(peer);

	printf("  %-28s %7.1f ns/frame %7.2f Mpps\n",
	       "xeno vs_input (full policy)", ns_ours, 1e3 / ns_ours);
	printf("  %-28s %7.1f ns/frame %7.2f Mpps\n",
	       "peer: learning bridge", ns_peer, 1e3 / ns_peer);
	printf("  ratio ours/peer (Mpps): %.2f\n", ns_peer / ns_ours);
	printf("  target %.0f Mpps on one core: %s\n", TARGET_MPPS,
	       1e3 / ns_ours >= TARGET_MPPS ? "met" : "NOT met");
	printf("threads: each its own ingress ports (port number modulo "
	       "threads), delivering to any port\n");
	scaling(sw, "the mix above (most batches reach every port)", batches,
		NBATCHES);
	scaling(sw, "flows (each batch 64 frames to one vif)", flows, NVIFS);
	vs_switch_free(sw);
	return 0;
}
