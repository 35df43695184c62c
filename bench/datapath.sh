#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# datapath.sh - xend's real data path against OVS's userspace datapath and
# the Linux bridge, same run
#
# Two network namespaces, A and B, talk through
#   xend:   netns domains with xend's kernel fast path (the default): veth
#           eth0 -> tc -> the first frames of a flow through xend's TAP and
#           switch, the rest straight into B's veth -> eth0
#   xtap:   netns domains made with xend --fastpath off (TAP eth0 -> xend's
#           data-plane thread -> TAP: every frame through the switch),
#           in the same xend
#   OVS:    veth eth0 -> ovs-vswitchd, datapath_type=netdev (userspace,
#           AF_PACKET on the host ends, userspace TSO on) -> veth
#   bridge: veth eth0 -> the kernel's br -> veth, no userspace hop
# and for each we measure TCP throughput (one iperf3 stream, GSO on), the
# same with TSO/GSO/GRO off (1500-byte frames: per-frame cost), the median
# ping round trip, and the frames per second delivered from a sendmmsg
# sender (build/bench/udpflood) at 64 and 1518 bytes, counted at B's eth0.
# Each measurement is taken for the three switches one after the other, so
# a change in the machine's load hits all three alike. The figures are
# printed side by side with the ratios xend/OVS, xend/bridge and xtap/OVS,
# then where each switch lost the frames of the floods. The ping is
# measured once more through xtap with xend restarted with --poll-us
# POLL_US (default 3000, wider than
# the pings' 2 ms interval), with the data-plane thread's CPU meanwhile,
# the average round trip of pings sent back to back (ping -f),
# and beside it the floor of any switch that sleeps between frames: two
# threads waking each other through eventfds, 2 ms apart, on two CPUs
# (build/bench/wakeup): a ping through a user-space switch wakes two
# sleeping threads (the switch's, then ping's), the bridge none.
#
# Root. Everything runs in a private network and mount namespace (the
# script re-executes itself under unshare), so another xend, OVS or bridge
# on the machine is neither seen nor disturbed; no kernel module is loaded.
# Needs iperf3, ping, ethtool, nft and openvswitch-switch
# (scripts/install-deps).
#
#   [POLL_US=N] [TCP_ROUNDS=N] bench/datapath.sh [SECONDS]
#                                   (default 5 per iperf3 and udpflood run;
#                                   each TCP figure the median of 3 runs)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$top/build}
T=${1:-5}
POLL_US=${POLL_US:-3000}
TCP_ROUNDS=${TCP_ROUNDS:-3}
prog=datapath.sh

[ "$(id -u)" = 0 ] || { echo "$prog: run as root" >&2; exit 1; }
for c in iperf3 ping ethtool nft ovsdb-server ovs-vswitchd ovs-vsctl; do
	command -v "$c" >/dev/null ||
		{ echo "$prog: $c missing (scripts/install-deps)" >&2; exit 1; }
done
for f in xend xc_dom_create xc_dom_control bench/udpflood bench/wakeup; do
	[ -x "$B/$f" ] || { echo "$prog: $B/$f missing (make)" >&2; exit 1; }
done

# A private network and mount namespace: our vif0.0, 169.254.1.0/16,
# xeno-domN and /run/netns entries clash with nobody's. unshare without
# --fork executes us in place, so $$ stays this script's PID.
if [ "${XENO_DATAPATH_PRIVATE:-}" != 1 ]; then
	export XENO_DATAPATH_PRIVATE=1
	exec unshare --net --mount -- /bin/bash "$0" "$@"
fi
mount --make-rprivate /
mkdir -p /run/netns
mount -t tmpfs -o size=1m,mode=0755 xeno-bench /run/netns
ip link set lo up

work=$(mktemp -d /tmp/xeno-bench-dp.XXXXXX)
sock=$work/xend.sock
ovs=$work/ovs
sfx=$$
dom0=xbd$sfx
xend_pid=
ovsdb_pid=
vswitchd_pid=
iperf_pids=()
nets=()

vsctl() { ovs-vsctl --db="unix:$ovs/db.sock" --timeout=10 "$@"; }

cleanup() {
	set +e
	local p n
	for p in "${iperf_pids[@]}"; do kill "$p" 2>/dev/null; done
	if [ -n "$xend_pid" ]; then
		for n in 1 2; do
			"$B/xc_dom_control" --socket "$sock" destroy $n >/dev/null 2>&1
		done
		kill "$xend_pid" 2>/dev/null
		wait "$xend_pid" 2>/dev/null
	fi
	[ -n "$vswitchd_pid" ] && vsctl --if-exists del-br "obr$sfx" 2>/dev/null
	# they detached: init reaps them, so a zombie counts as gone
	for p in $vswitchd_pid $ovsdb_pid; do
		kill "$p" 2>/dev/null
		for _ in $(seq 50); do
			case $(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null) in
			''|Z) break ;;
			esac
			sleep 0.1
		done
	done
	for n in "${nets[@]}"; do ip netns del "$n" 2>/dev/null; done
	ip link del "br$sfx" 2>/dev/null
	umount /run/netns 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

die() { echo "$prog: $*" >&2; exit 1; }

# pidof_file FILE: the PID a daemon wrote, once it has (5 s at most)
pidof_file() {
	for _ in $(seq 50); do
		[ -s "$1" ] && { cat "$1"; return 0; }
		sleep 0.1
	done
	return 1
}

# two namespaces A, B joined by veth pairs whose host ends are $2a, $2b
veth_pair_ns() {	# prefix hostprefix addrA addrB
	local n
	for n in a b; do
		ip netns add "$1-$n"
		nets+=("$1-$n")
		ip link add "$2$n" type veth peer name eth0 netns "$1-$n"
		ip link set "$2$n" up
		ip -n "$1-$n" link set lo up
		ip -n "$1-$n" link set eth0 up
	done
	ip -n "$1-a" addr add "$3/24" dev eth0
	ip -n "$1-b" addr add "$4/24" dev eth0
}

# --- bridge: the kernel's --------------------------------------------------
ip link add "br$sfx" type bridge
ip link set "br$sfx" up
veth_pair_ns "xbr$sfx" "vbr$sfx" 10.1.0.1 10.1.0.2
ip link set "vbr${sfx}a" master "br$sfx"
ip link set "vbr${sfx}b" master "br$sfx"

# --- OVS: userspace datapath, its own database and run directory -----------
# The ports are netdev-linux "system" ports (AF_PACKET on the host ends of
# the veths): not PMD ports, so no PMD thread is made; ovs-vswitchd's main
# thread polls them, sleeping in poll() when idle. Nothing is pinned (xend's
# data-plane thread is not either). Both daemons run at nice -10, as
# ovs-ctl starts them; xend's data-plane thread runs at -10 by default.
mkdir -p "$ovs"
export OVS_RUNDIR=$ovs OVS_DBDIR=$ovs OVS_LOGDIR=$ovs OVS_SYSCONFDIR=$ovs
ovsdb-tool create "$ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema
nice -n -10 ovsdb-server "$ovs/conf.db" --remote="punix:$ovs/db.sock" \
	--pidfile="$ovs/ovsdb.pid" --unixctl="$ovs/ovsdb.ctl" \
	--log-file="$ovs/ovsdb.log" --no-chdir --detach 2>/dev/null ||
	die "ovsdb-server did not start: $(tail -3 "$ovs/ovsdb.log")"
ovsdb_pid=$(pidof_file "$ovs/ovsdb.pid") || die "ovsdb-server: no pidfile"
vsctl --no-wait init
# read once, at start: set before ovs-vswitchd runs
vsctl --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
nice -n -10 ovs-vswitchd "unix:$ovs/db.sock" --pidfile="$ovs/vswitchd.pid" \
	--unixctl="$ovs/vswitchd.ctl" --log-file="$ovs/vswitchd.log" \
	--no-chdir --detach 2>/dev/null ||
	die "ovs-vswitchd did not start: $(tail -3 "$ovs/vswitchd.log")"
vswitchd_pid=$(pidof_file "$ovs/vswitchd.pid") || die "ovs-vswitchd: no pidfile"
vsctl add-br "obr$sfx" -- set bridge "obr$sfx" datapath_type=netdev
veth_pair_ns "xov$sfx" "vov$sfx" 10.2.0.1 10.2.0.2
for n in a b; do
	vsctl add-port "obr$sfx" "vov$sfx$n" -- set interface "vov$sfx$n" type=system
done
ip link set "obr$sfx" up

# --- xend: two netns domains ----------------------------------------------
# start_xend [OPTION...]: xend, with its domains if it had them already
start_xend() {
	"$B/xend" --foreground --socket "$sock" --state-dir "$work/state" \
		--run-dir "$work" --console-dir "$work/console" --dom0 "$dom0" \
		--log-level warn "$@" 2>>"$work/xend.log" &
	xend_pid=$!
	for _ in $(seq 100); do
		"$B/xc_dom_control" --socket "$sock" list >/dev/null 2>&1 && return
		kill -0 "$xend_pid" 2>/dev/null || die "xend: $(cat "$work/xend.log")"
		sleep 0.1
	done
	die "xend did not answer: $(cat "$work/xend.log")"
}
cat >"$work/dom.cfg" <<'EOF'
name = "${name}"
builder = "netns"
EOF
# xtap's domains first (xeno-dom1, 2), then xend restarted with its
# default, the fast path, for xend's (xeno-dom3, 4): one xend, both kinds
start_xend --fastpath off
"$B/xc_dom_create" --socket "$sock" -f "$work/dom.cfg" -D name=bench-c >/dev/null
"$B/xc_dom_create" --socket "$sock" -f "$work/dom.cfg" -D name=bench-d >/dev/null
nets+=(xeno-dom1 xeno-dom2)
kill "$xend_pid" && wait "$xend_pid" 2>/dev/null
start_xend
"$B/xc_dom_create" --socket "$sock" -f "$work/dom.cfg" -D name=bench-a >/dev/null
"$B/xc_dom_create" --socket "$sock" -f "$work/dom.cfg" -D name=bench-b >/dev/null
nets+=(xeno-dom3 xeno-dom4)
fast=$("$B/xc_dom_control" --socket "$sock" --json vif_stats 3 0 |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"].get("fastpath"))')
[ "$fast" = True ] || echo "$prog: xend's kernel fast path is not available here; xend = xtap" >&2

# peer -> "nsA nsB addrB"
peers=(xend xtap ovs bridge)
declare -A NS_A NS_B ADDR
NS_A[xend]=xeno-dom3     NS_B[xend]=xeno-dom4     ADDR[xend]=169.254.1.4
NS_A[xtap]=xeno-dom1     NS_B[xtap]=xeno-dom2     ADDR[xtap]=169.254.1.2
NS_A[ovs]=xov$sfx-a      NS_B[ovs]=xov$sfx-b      ADDR[ovs]=10.2.0.2
NS_A[bridge]=xbr$sfx-a   NS_B[bridge]=xbr$sfx-b   ADDR[bridge]=10.1.0.2

for p in "${peers[@]}"; do
	b=${NS_B[$p]}
	# the floods' datagrams are dropped in B before its IP stack: no
	# port-unreachable replies back through the switch
	ip netns exec "$b" nft "add table ip sink; add chain ip sink pre \
		{ type filter hook prerouting priority raw; policy accept; }; \
		add rule ip sink pre udp dport 9 drop"
	ip netns exec "$b" iperf3 -s -D -B "${ADDR[$p]}" \
		-I "$work/iperf-$p.pid" --logfile "$work/iperf-$p.log"
	pid=$(pidof_file "$work/iperf-$p.pid") || die "iperf3 server in $b did not start"
	iperf_pids+=("$pid")
done
sleep 0.3
for p in "${peers[@]}"; do
	ip netns exec "${NS_A[$p]}" ping -c 1 -W 2 "${ADDR[$p]}" >/dev/null ||
		die "$p: ${NS_A[$p]} cannot reach ${ADDR[$p]}"
done

# --- measurements ---------------------------------------------------------

# iperf3 client for peer $1; extra args; prints Gbit/s.
tput() {
	local p=$1
	shift
	ip netns exec "${NS_A[$p]}" iperf3 -c "${ADDR[$p]}" -t "$T" -J "$@" |
		/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.2f" % (j["end"]["sum_received"]["bits_per_second"]/1e9))'
}

# TSO/GSO/GRO on|off for eth0 in both namespaces of peer $1
offload() {
	local ns
	for ns in "${NS_A[$1]}" "${NS_B[$1]}"; do
		ip netns exec "$ns" ethtool -K eth0 tso "$2" gso "$2" gro "$2" \
			>/dev/null 2>&1 || true
	done
}

# median of 400 ping round trips for peer $1, in microseconds
rtt() {
	{ ip netns exec "${NS_A[$1]}" ping -n -c 400 -i 0.002 -W 1 "${ADDR[$1]}" || true; } |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | sort -n |
		awk '{ v[NR] = $1 }
		     END { if (!NR) { print "-"; exit }
			   m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			   printf "%.0f\n", m * 1000 }'
}

# average round trip of 20000 pings back to back (ping -f: the next one
# as soon as the answer is in) for peer $1, in microseconds: nobody
# sleeps long enough for a CPU to go idle
rtt_flood() {
	{ ip netns exec "${NS_A[$1]}" ping -n -q -f -c 20000 -W 1 "${ADDR[$1]}" || true; } |
		sed -n 's|^rtt min/avg/max/mdev = [0-9.]*/\([0-9.]*\)/.*|\1|p' |
		awk '{ printf "%.0f\n", $1 * 1000 } END { if (!NR) print "-" }'
}

# ifstat NS|- DEV -> "rx_packets rx_dropped tx_packets tx_dropped"
ifstat() {
	local n=()
	[ "$1" = - ] || n=(-n "$1")
	ip "${n[@]}" -s -j link show dev "$2" | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print(s["rx"]["packets"], s["rx"]["dropped"], s["tx"]["packets"], s["tx"]["dropped"])'
}

# Frames of the flood at the switch of peer $1: "in read out", where in:
# reached the switch's port on A's side; read: taken off that port's
# queue by the switch; out: handed to B's side.
#   xend, xtap: in = read = frames the switch took in, from A's TAP or
#         carried by the fast path (xtap: a full TAP queue drops on A's
#         eth0, counted as its tx_dropped); out = frames it delivered.
#   OVS: in = rx_packets of the host end on A's side; read = packets its
#        threads received (the rest overflowed the AF_PACKET socket);
#        out = tx_packets + tx_dropped of the host end on B's side.
#   bridge: as OVS, read = in (it forwards in the receiving softirq).
switch_io() {
	local ha hb
	case $1 in
	xend|xtap)
		"$B/xc_dom_control" --socket "$sock" --json switch_stats |
			/usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
print(j["in_frames"], j["in_frames"], j["delivered"])'
		;;
	ovs)
		read -r -a ha < <(ifstat - "vov${sfx}a")
		read -r -a hb < <(ifstat - "vov${sfx}b")
		echo "${ha[0]}" "$(ovs-appctl -t "$ovs/vswitchd.ctl" \
			dpif-netdev/pmd-stats-show |
			awk '/packets received:/ { n += $3 } END { print n + 0 }')" \
			"$((hb[2] + hb[3]))"
		;;
	bridge)
		read -r -a ha < <(ifstat - "vbr${sfx}a")
		read -r -a hb < <(ifstat - "vbr${sfx}b")
		echo "${ha[0]} ${ha[0]} $((hb[2] + hb[3]))"
		;;
	esac
}

# nanoseconds process $1's threads ran and waited runnable for a CPU:
# "run wait" (/proc/PID/task/*/schedstat)
sched() { cat /proc/"$1"/task/*/schedstat 2>/dev/null |
	awk '{ r += $1; w += $2 } END { printf "%.0f %.0f\n", r, w }'; }

# the switch process of peer $1, none for the bridge
swpid() { case $1 in xend|xtap) echo "$xend_pid" ;; ovs) echo "$vswitchd_pid" ;; esac; }

# one flood for peer $1 at $2 bytes; sets FL_OFF FL_DLV (Mpps) and FL_LOSS
# (where the frames that did not arrive were lost, % of those sent, and
# the switch process's CPU)
flood() {
	local p=$1 a=${NS_A[$1]} b=${NS_B[$1]} out sent secs
	local s0 s1 c0 c1 cpu=- wait=- pid rx0 rx1
	pid=$(swpid "$p")
	[ -z "$pid" ] || read -r -a c0 < <(sched "$pid")
	read -r rx0 _ < <(ifstat "$b" eth0)
	read -r -a s0 < <(switch_io "$p")
	out=$(ip netns exec "$a" "$B/bench/udpflood" "${ADDR[$p]}" 9 "$T" "$2")
	[ -z "$pid" ] || read -r -a c1 < <(sched "$pid")
	sleep 0.3	# what is still queued in the switch arrives
	read -r rx1 _ < <(ifstat "$b" eth0)
	read -r -a s1 < <(switch_io "$p")
	read -r sent secs < <(awk '{ print $2, $5 }' <<<"$out")
	FL_OFF=$(awk -v n="$sent" -v s="$secs" 'BEGIN { printf "%.3f", n / s / 1e6 }')
	FL_DLV=$(awk -v n="$((rx1 - rx0))" -v s="$secs" 'BEGIN { printf "%.3f", n / s / 1e6 }')
	if [ -n "$pid" ]; then
		cpu=$(awk -v t="$((c1[0] - c0[0]))" -v s="$secs" 'BEGIN { printf "%.0f%%", t / s / 1e7 }')
		wait=$(awk -v t="$((c1[1] - c0[1]))" -v s="$secs" 'BEGIN { printf "%.0f%%", t / s / 1e7 }')
	fi
	# ARP and the like make a difference a few frames below 0
	FL_LOSS=$(awk -v n="$sent" -v i="$((s1[0] - s0[0]))" -v r="$((s1[1] - s0[1]))" \
		-v o="$((s1[2] - s0[2]))" -v d="$((rx1 - rx0))" -v cpu="$cpu" -v w="$wait" '
		function z(x) { return x < 0 ? 0 : x }
		BEGIN { pc = n > 0 ? 100 / n : 0
			printf "%9.1f %9.1f %9.1f %9.1f %8s %8s", z(n - i) * pc,
				z(i - r) * pc, z(r - o) * pc, z(o - d) * pc, cpu, w }')
}

# TCP_ROUNDS rounds of every switch in turn, each switch's median: one
# stream's rate moves by 2x and more between runs here (cubic most)
median() { tr ' ' '\n' | sort -n | awk 'NF { v[++n] = $1 }
	END { if (!n) { print "-"; exit }
	      printf "%.2f\n", n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'; }
tput_rounds() {	# key [iperf3 option...]
	local key=$1 r p
	declare -A all
	shift
	for r in $(seq "$TCP_ROUNDS"); do
		for p in "${peers[@]}"; do all[$p]+=" $(tput "$p" "$@")"; done
	done
	for p in "${peers[@]}"; do R[$p.$key]=$(median <<<"${all[$p]}"); done
}

declare -A R
tput_rounds g
# The machine's congestion control is used above; with BBR, which keeps
# about two bandwidth-delay products in flight, a path whose round trip is
# tens of microseconds and bursty (any userspace switch) gets less than
# the bridge's near-zero one. Cubic (the kernel's default) is measured too.
cc=$(sysctl -n net.ipv4.tcp_congestion_control)
if [ "$cc" != cubic ]; then
	tput_rounds gc -C cubic
fi
for p in "${peers[@]}"; do offload "$p" off; done
tput_rounds m
for p in "${peers[@]}"; do offload "$p" on; done
for p in "${peers[@]}"; do R[$p.r]=$(rtt "$p"); done
for p in "${peers[@]}"; do R[$p.rf]=$(rtt_flood "$p"); done
for size in 64 1518; do
	for p in "${peers[@]}"; do
		flood "$p" "$size"
		R[$p.f$size]=$FL_DLV
		R[$p.o$size]=$FL_OFF
		R[$p.l$size]=$FL_LOSS
	done
done
# xtap again with a poll window wider than the pings' interval (2 ms):
# xend's domains stay up across the restart (SIGTERM keeps them). (The
# fast path's pings do not pass through xend's threads.)
kill "$xend_pid" && wait "$xend_pid" 2>/dev/null
start_xend --poll-us "$POLL_US"
ip netns exec "${NS_A[xtap]}" ping -c 1 -W 2 "${ADDR[xtap]}" >/dev/null ||
	die "xend --poll-us: no ping across"
read -r x0 _ < <(sched "$xend_pid")
t0=$(date +%s%N)
R[xtap.rp]=$(rtt xtap)
read -r x1 _ < <(sched "$xend_pid")
t1=$(date +%s%N)
poll_cpu=$(awk -v c="$((x1 - x0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.0f%%", 100 * c / t }')
R[xend.rp]=${R[xend.r]} R[ovs.rp]=${R[ovs.r]} R[bridge.rp]=${R[bridge.r]}
# "wakeup: median A us unpinned, B us on two CPUs, C us on one, ..."
read -r _ _ wk_any _ _ wk_two _ _ _ _ wk_one _ < <("$B/bench/wakeup" 400 2000)
# do the switch processes poll while idle?
read -r x0 _ < <(sched "$xend_pid")
read -r o0 _ < <(sched "$vswitchd_pid")
sleep 1
read -r x1 _ < <(sched "$xend_pid")
read -r o1 _ < <(sched "$vswitchd_pid")
idle=$(awk -v x="$((x1 - x0))" -v o="$((o1 - o0))" \
	'BEGIN { printf "xend %.1f%%, ovs-vswitchd %.1f%%", x / 1e7, o / 1e7 }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
row() {	# label key [noratio]
	local r1 r2 r3
	if [ -z "${3:-}" ]; then
		r1=$(ratio "${R[xend.$2]}" "${R[ovs.$2]}")
		r2=$(ratio "${R[xend.$2]}" "${R[bridge.$2]}")
		r3=$(ratio "${R[xtap.$2]}" "${R[ovs.$2]}")
	fi
	printf '%-40s %8s %8s %8s %8s %8s %8s %8s\n' "$1" "${R[xend.$2]}" \
		"${R[xtap.$2]}" "${R[ovs.$2]}" "${R[bridge.$2]}" "${r1:-}" \
		"${r2:-}" "${r3:-}"
}
printf '\ndatapath: namespace A to namespace B through each switch, %ss per TCP and UDP run,\n' "$T"
printf 'TCP: the median of %s rounds, the switches in turn in each\n' "$TCP_ROUNDS"
printf 'xend: the kernel fast path %s; xtap: the same xend, domains made with --fastpath off\n' \
	"$([ "$fast" = True ] && echo on || echo "NOT available")"
printf '%-40s %8s %8s %8s %8s %8s %8s %8s\n' "" xend xtap OVS bridge xend/OVS xend/br xtap/OVS
row "TCP, GSO on, $cc (Gbit/s)" g
[ "$cc" = cubic ] || row "TCP, GSO on, cubic (Gbit/s)" gc
row "TCP, TSO/GSO/GRO off, 1500 MTU, $cc" m
row "ping RTT median of 400 (us, lower=better)" r
row "  the same, xtap with --poll-us $POLL_US" rp
printf '%-40s %8s\n' "  floor: 2 wake-ups on 2 CPUs (us)" "$wk_two"
row "ping RTT back to back (-f), avg (us)" rf
row "64 B frames delivered (Mpps)" f64
row "  64 B offered: udpflood sent (Mpps)" o64 -
row "1518 B frames delivered (Mpps)" f1518
row "  1518 B offered: udpflood sent (Mpps)" o1518 -
printf '\nframes of the floods lost (%% of sent)   %9s %9s %9s %9s %8s %8s\n' \
	"A eth0" "sw queue" switch "to B" "sw CPU" "sw wait"
for size in 64 1518; do
	for p in "${peers[@]}"; do
		printf '  %4s B %-31s %s\n' "$size" "$p" "${R[$p.l$size]}"
	done
done
printf '%s\n' \
	"A eth0: before the switch's port (xtap: A's TAP queue full, not read in" \
	"time); sw queue: at its port, not read (OVS: AF_PACKET socket queue" \
	"full); switch: read, not sent on; to B: sent on, not counted by B's eth0." \
	"sw CPU, sw wait: the switch process's threads ran, and waited runnable" \
	"for a CPU, during the flood (100% = one core's time)."
printf 'CPU the switch processes used over 1 s idle: %s\n' "$idle"
printf 'xend --poll-us %s: its threads used %s of a core during the pings\n' \
	"$POLL_US" "$poll_cpu"
printf 'wake-ups: two threads answering each other every 2 ms: %s us on two CPUs, %s us on one, %s us unpinned\n' \
	"$wk_two" "$wk_one" "$wk_any"
