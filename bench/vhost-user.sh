#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vhost-user.sh - xend's vhost-user back end against DPDK's vhost PMD, same run
#
# Two DPDK virtio-user front ends (no VM: a guest under TCG is far slower
# than either back end, DESIGN.md §12) joined by
#   ours: xend's switch (two domains of builder external, one vhost-user
#         vif each; xend pinned to CPU 1)
#   peer: testpmd with DPDK's vhost PMD, forward mode io (pinned to CPU 1)
# and the frames per second that cross it one way, at 64 and 1518 bytes,
# printed side by side with the ratio ours/peer. The front ends are one
# testpmd on CPU 0 for both (bench/vhost_user_peer.py says how and why).
# Root; dpdk-testpmd (package dpdk-dev, scripts/install-deps); no hugepages
# needed.
#
#   [SIZES="64 1518"] [BUILD=DIR] bench/vhost-user.sh [SECONDS [ROUNDS]]
#                       (default 3 s per run, 5 rounds; SIZES the frame
#                       sizes measured, BUILD the xend measured: to set a
#                       change against main, run both builds in turn and
#                       compare the rounds' ratios)
#
# With ROUNDS > 1 the peer and xend runs alternate. Each round's ratio is
# that of its two runs, back to back: this VM's speed moves by up to 2x
# from one minute to the next (bench/README.md), and a ratio taken within
# a round cancels most of it. Printed: the median of each back end's
# figures, and the median of the rounds' ratios, with every round's
# ratio at the first of SIZES.
# A run during which other processes used more than 5% of the CPUs is
# done again (up to 3 times); a figure still disturbed is marked '*'.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$top/build}
T=${1:-3}
R=${2:-5}
SIZES=${SIZES:-64 1518}
for size in $SIZES; do
	case $size in
	'' | *[!0-9]*) echo "vhost-user.sh: SIZES: '$size' is not a frame size" >&2; exit 1 ;;
	esac
	if [ "$size" -lt 60 ] || [ "$size" -gt 1518 ]; then
		echo "vhost-user.sh: SIZES: $size is not within 60..1518" >&2
		exit 1
	fi
done
tag=vu
. "$top/bench/vhost-xend.sh"

[ "$(id -u)" = 0 ] || { echo "vhost-user.sh: run as root" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || {
	echo "vhost-user.sh: dpdk-testpmd missing (scripts/install-deps)" >&2
	exit 1
}
[ "$(nproc)" -ge 2 ] || { echo "vhost-user.sh: needs 2 CPUs" >&2; exit 1; }

# one measurement: backend size -> "Mpps Gbit/s other%"
run1() {
	local out
	if ! out=$(/usr/bin/python3 "$top/bench/vhost_user_peer.py" \
		--backend "$1" --size "$2" --seconds "$T" --dir "$work" \
		--socket "$sock" --xend-pid "$xend_pid" --build "$B"); then
		echo "vhost-user.sh: the $1 run at $2 bytes failed" >&2
		[ "$1" = xend ] && tail -20 "$work/xend.log" >&2
		return 1
	fi
	awk '$1 == "RESULT" { print $2, $3, $6 }' <<<"$out"
}

# the same, again while something else took more than 5% of the CPUs
run() {
	local try out pps gbps other
	for try in 1 2 3; do
		out=$(run1 "$1" "$2") || return 1
		read -r pps gbps other <<<"$out"
		[ -n "$other" ] || return 1
		awk -v o="$other" 'BEGIN { exit !(o <= 5) }' && break
		printf 'vhost-user.sh: %s at %s B: other processes took %s%% of the CPUs%s\n' \
			"$1" "$2" "$other" "$([ "$try" = 3 ] && echo ', kept (*)' || echo ', again')" >&2
	done
	awk -v o="$other" 'BEGIN { exit !(o > 5) }' && pps="$pps*" && gbps="$gbps*"
	echo "$pps $gbps"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# a figure marked '*' (disturbed) sorts by its number
ratio() { awk -v a="${1%\*}" -v b="${2%\*}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# --- xend: data plane and control on CPU 1 ---------------------------------
start_xend info taskset -c 1

declare -A res last
for size in $SIZES; do
	for ((r = 0; r < R; r++)); do
		for be in peer xend; do
			out=$(run "$be" "$size") || exit 1
			read -r pps gbps <<<"$out"
			res[$be.$size.pps]+="$pps "
			res[$be.$size.gbps]+="$gbps "
			last[$be]=$pps
		done
		res[ratio.$size]+="$(ratio "${last[xend]}" "${last[peer]}") "
	done
done

printf '\nvhost-user: one virtio-user front end (CPU 0), frames one way through the back end (CPU 1), %ss per run, %s round(s)\n' "$T" "$R"
printf '%-24s %12s %12s %8s %14s\n' "" "xend (ours)" "vhost PMD" "ratio" "rounds' ratio"
for size in $SIZES; do
	rr=$(tr ' ' '\n' <<<"${res[ratio.$size]}" | grep . | median)
	for unit in pps gbps; do
		ours=$(tr ' ' '\n' <<<"${res[xend.$size.$unit]}" | grep . | median)
		peer=$(tr ' ' '\n' <<<"${res[peer.$size.$unit]}" | grep . | median)
		label="$size B ($([ $unit = pps ] && echo Mpps || echo Gbit/s))"
		printf '%-24s %12s %12s %8s %14s\n' "$label" "$ours" "$peer" \
			"$(ratio "$ours" "$peer")" "$([ $unit = pps ] && echo "$rr")"
	done
done
first=${SIZES%% *}
[ "$R" -lt 2 ] || printf '%s B, each round'"'"'s ratio (in time order): %s\n' "$first" "${res[ratio.$first]% }"
