#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vhost-user-ir.sh - instructions per frame of xend's data plane on the
# vhost-user loop of vhost-user.sh, counted by callgrind
#
# The frame rates of vhost-user.sh move by half from one minute to the
# next on a shared machine (bench/README.md); a count of instructions
# does not. xend runs under valgrind --tool=callgrind (about fifty times
# slower), between the same DPDK virtio-user front ends
# (bench/vhost_user_peer.py --backend xend: two domains of builder
# external, 64-byte frames one way), so its rings are always full: the
# count is that of full batches. Prints the data-plane thread's
# instructions per frame switched, then the functions that take the most
# of them. Root; dpdk-testpmd and valgrind (scripts/install-deps).
#
#   [IR_OUT=FILE] bench/vhost-user-ir.sh [SECONDS]
#                       (default 10; callgrind's time; IR_OUT keeps the
#                       data plane's callgrind file for callgrind_annotate)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$top/build}
T=${1:-10}
prog=vhost-user-ir.sh
tag=ir
. "$top/bench/vhost-xend.sh"

[ "$(id -u)" = 0 ] || { echo "$prog: run as root" >&2; exit 1; }
for c in dpdk-testpmd valgrind callgrind_annotate; do
	command -v "$c" >/dev/null ||
		{ echo "$prog: $c missing (scripts/install-deps)" >&2; exit 1; }
done

# one output file per thread: the data plane's is the busiest
start_xend warn valgrind --tool=callgrind --separate-threads=yes \
	--callgrind-out-file="$work/cg.out"

/usr/bin/python3 "$top/bench/vhost_user_peer.py" --backend xend --size 64 \
	--seconds "$T" --dir "$work" --socket "$sock" --xend-pid "$xend_pid" \
	--build "$B" >"$work/run.log" ||
	{ echo "$prog: the run failed" >&2; tail -20 "$work/run.log" >&2; exit 1; }
frames=$("$B/xc_dom_control" --socket "$sock" --json switch_stats |
	/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["in_frames"])')
kill "$xend_pid"
wait "$xend_pid" 2>/dev/null || true
xend_pid=

busiest=$(for f in "$work"/cg.out-*; do
	echo "$(awk '/^totals:/ { print $2 }' "$f") $f"
done | sort -n | tail -1 | cut -d' ' -f2)
total=$(awk '/^totals:/ { print $2 }' "$busiest")
[ -z "${IR_OUT:-}" ] || cp "$busiest" "$IR_OUT"
printf '\nvhost-user-ir: xend'"'"'s data-plane thread, 64-byte frames, %s frames switched\n' "$frames"
awk -v t="$total" -v n="$frames" 'BEGIN {
	printf "  %.0f instructions per frame (start-up included)\n", t / n }'
echo "  per frame, by function:"
callgrind_annotate --inclusive=no "$busiest" 2>/dev/null |
	awk -v n="$frames" '/^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ {
		ir = $1; gsub(",", "", ir); fn = $NF
		if ($NF ~ /^\[/) fn = $(NF - 1)
		sub(/.*:/, "", fn)
		if (shown++ < 15) printf "  %7.1f  %s\n", ir / n, fn }'
