// SPDX-License-Identifier: GPL-2.0-or-later
/* fastpath.bpf.c - xend's kernel fast path: tc programs on a netns vif
 *
 * A netns vif with the fast path is three devices (docs/architecture.md):
 *
 *   domain netns          dom0 (xend's netns)
 *   [ethK]==veth======[xvN.Kv]  --fp_from_dom-->  hit:  redirect to the
 *                                                      destination's ethK
 *                                                 miss: out of [xvN.K],
 *                                                      the TAP xend reads
 *   [ethK]<=peer======[xvN.Kv] <--fp_to_dom--     [xvN.K]: what xend
 *                                                 writes to the TAP
 *
 * fp_from_dom runs at tc ingress of the veth's dom0 end: every frame the
 * domain sends. fp_to_dom runs at tc ingress of the TAP: every frame xend
 * writes for the domain. Neither lets a frame into dom0's own stack; a
 * device the maps do not know drops everything (fail closed).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define FPATH_NTOHS(x) bpf_ntohs(x)
#include "fastpath.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * FPATH_SLOTS);
	__type(key, __u32);			/* ifindex */
	__type(value, struct fpath_port);
} fp_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FPATH_FLOWS_MAX);
	__type(key, struct fpath_key);
	__type(value, struct fpath_flow);
} fp_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FPATH_SLOTS);
	__type(key, __u32);
	__type(value, struct fpath_counts);
} fp_counts SEC(".maps");

static __always_inline void count(__u32 slot, __u32 len, int tx)
{
	struct fpath_counts *c = bpf_map_lookup_elem(&fp_counts, &slot);

	if (!c)
		return;
	if (tx) {
		c->tx_packets++;
		c->tx_bytes += len;
	} else {
		c->rx_packets++;
		c->rx_bytes += len;
	}
}

SEC("tc")
int fp_from_dom(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 ifindex = skb->ifindex;
	struct fpath_key k = { 0 };
	struct fpath_port *p;
	struct fpath_flow *f;

	p = bpf_map_lookup_elem(&fp_ports, &ifindex);
	if (!p || p->role != FPATH_ROLE_VETH)
		return TC_ACT_SHOT;
	k.ifindex = ifindex;
	if (!fpath_parse(data, end, skb->len, &k)) {
		f = bpf_map_lookup_elem(&fp_flows, &k);
		if (f) {
			count(f->in_slot, skb->len, 1);
			count(f->out_slot, skb->len, 0);
			return (int)bpf_redirect_peer(f->out_ifindex, 0);
		}
	}
	return (int)bpf_redirect(p->peer_ifindex, 0);	/* to xend */
}

SEC("tc")
int fp_to_dom(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	struct fpath_port *p = bpf_map_lookup_elem(&fp_ports, &ifindex);

	if (!p || p->role != FPATH_ROLE_TAP)
		return TC_ACT_SHOT;
	return (int)bpf_redirect_peer(p->peer_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
