#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# datapath.sh - xend's real data path against the Linux bridge, same run
#
# Two network namespaces talk through
#   ours: xend (netns domains: TAP eth0 -> xend's data-plane thread -> TAP)
#   peer: the kernel's bridge (veth eth0 -> br -> veth), no userspace hop
# and we measure, for each, TCP throughput (iperf3, one stream, GSO on),
# TCP throughput at MTU-sized segments (GSO off: per-frame cost), and
# round-trip latency (ping). The figures are printed side by side with the
# ratio ours/peer. Root; needs no other xend on the machine (vif0.0).
#
#   bench/datapath.sh [SECONDS]     (default 5 per iperf3 run)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$top/build}
T=${1:-5}
work=$(mktemp -d /tmp/xeno-bench.XXXXXX)
sock=$work/xend.sock
xend_pid=

cleanup() {
	set +e
	for d in 1 2; do
		[ -n "$xend_pid" ] && "$B/xc_dom_control" --socket "$sock" destroy $d >/dev/null 2>&1
	done
	[ -n "$xend_pid" ] && kill "$xend_pid" 2>/dev/null && wait "$xend_pid" 2>/dev/null
	for n in xb-a xb-b xb-br; do ip netns del $n 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "datapath.sh: run as root" >&2; exit 1; }
if ip link show vif0.0 >/dev/null 2>&1; then
	echo "datapath.sh: another xend owns vif0.0; stop it first" >&2
	exit 1
fi

# iperf3 client in namespace $1 to $2; extra args; prints Gbit/s.
tput() {
	local from=$1 to=$2
	shift 2
	ip netns exec "$from" iperf3 -c "$to" -t "$T" -J "$@" |
		/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.2f" % (j["end"]["sum_received"]["bits_per_second"]/1e9))'
}

# average ping round trip in namespace $1 to $2, in microseconds
rtt() {
	ip netns exec "$1" ping -q -c 200 -i 0.005 "$2" |
		awk -F/ '/^rtt/ { printf "%.0f\n", $5 * 1000 }'
}

# gso on|off for eth0 in namespaces $1 $2
gso() {
	local ns
	for ns in "$1" "$2"; do
		ip netns exec "$ns" ethtool -K eth0 tso "$3" gso "$3" gro "$3" \
			>/dev/null 2>&1 || true
	done
}

measure() {	# ns_a ns_b addr_b -> "gbps gbps_mtu rtt_us"
	local a=$1 b=$2 addr=$3 g m r
	ip netns exec "$b" iperf3 -s -D -B "$addr" --logfile "$work/iperf-$b.log"
	sleep 0.5
	ip netns exec "$a" ping -c 1 -W 2 "$addr" >/dev/null
	g=$(tput "$a" "$addr")
	gso "$a" "$b" off
	m=$(tput "$a" "$addr")
	gso "$a" "$b" on
	r=$(rtt "$a" "$addr")
	pkill -f "iperf3 -s -D -B $addr" || true
	echo "$g $m $r"
}

# --- peer: the Linux bridge -------------------------------------------------
ip netns add xb-br
ip netns add xb-a
ip netns add xb-b
ip -n xb-br link add br0 type bridge
ip -n xb-br link set br0 up
for n in a b; do
	ip -n xb-br link add "v$n" type veth peer name eth0 netns "xb-$n"
	ip -n xb-br link set "v$n" master br0 up
	ip -n "xb-$n" link set lo up
	ip -n "xb-$n" link set eth0 up
done
ip -n xb-a addr add 169.254.2.1/16 dev eth0
ip -n xb-b addr add 169.254.2.2/16 dev eth0
read -r peer_g peer_m peer_r < <(measure xb-a xb-b 169.254.2.2)
for n in xb-a xb-b xb-br; do ip netns del $n; done

# --- ours: xend with two netns domains --------------------------------------
"$B/xend" --foreground --socket "$sock" --state-dir "$work/state" \
	--log-level warn 2>"$work/xend.log" &
xend_pid=$!
for _ in $(seq 100); do
	"$B/xc_dom_control" --socket "$sock" list >/dev/null 2>&1 && break
	sleep 0.1
done
cat >"$work/dom.cfg" <<'EOF'
name = "${name}"
builder = "netns"
EOF
"$B/xc_dom_create" --socket "$sock" -f "$work/dom.cfg" -D name=bench-a >/dev/null
"$B/xc_dom_create" --socket "$sock" -f "$work/dom.cfg" -D name=bench-b >/dev/null
read -r our_g our_m our_r < <(measure xeno-dom1 xeno-dom2 169.254.1.2)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '\ndatapath: one TCP stream between two namespaces, %ss per run\n' "$T"
printf '%-34s %12s %12s %8s\n' "" "xend (ours)" "bridge" "ratio"
printf '%-34s %12s %12s %8s\n' "TCP, GSO on (Gbit/s)" "$our_g" "$peer_g" "$(ratio "$our_g" "$peer_g")"
printf '%-34s %12s %12s %8s\n' "TCP, GSO off, 1500 MTU (Gbit/s)" "$our_m" "$peer_m" "$(ratio "$our_m" "$peer_m")"
printf '%-34s %12s %12s %8s\n' "ping round trip (us, lower=better)" "$our_r" "$peer_r" "$(ratio "$our_r" "$peer_r")"
