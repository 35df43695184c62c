# SPDX-License-Identifier: GPL-2.0-or-later
# vhost-xend.sh - sourced by vhost-user.sh and vhost-user-ir.sh (not run by
# itself): their work directory, the xend they measure, and its cleanup.
#
# The sourcing script sets top, B and tag (a short name: the work
# directory's and dom0's TAP's). Defines work, sock, dom0 and xend_pid,
# traps EXIT to end that xend (by its PID), remove dom0's TAP and the
# work directory, and
#   start_xend [LEVEL [CMD...]]
# which starts xend under CMD (taskset, valgrind, ...) at log level LEVEL
# (default info), waits for its control socket and turns IPv6 off on
# dom0's TAP (no chatter from it into the measurement).

work=$(mktemp -d "/tmp/xeno-bench-$tag.XXXXXX")
sock=$work/xend.sock
dom0=xb$tag$$
xend_pid=

cleanup() {
	set +e
	if [ -n "$xend_pid" ]; then
		kill "$xend_pid" 2>/dev/null
		wait "$xend_pid" 2>/dev/null
	fi
	ip link show "$dom0" >/dev/null 2>&1 && ip link del "$dom0"
	rm -rf "$work"
}
trap cleanup EXIT

start_xend() {
	local level=${1:-info}

	[ $# -eq 0 ] || shift
	"$@" "$B/xend" --foreground --socket "$sock" --state-dir "$work/state" \
		--run-dir "$work" --console-dir "$work/console" --dom0 "$dom0" \
		--log-level "$level" 2>"$work/xend.log" &
	xend_pid=$!
	for _ in $(seq 300); do
		"$B/xc_dom_control" --socket "$sock" list >/dev/null 2>&1 &&
			break
		kill -0 "$xend_pid" 2>/dev/null ||
			{ cat "$work/xend.log" >&2; exit 1; }
		sleep 0.1
	done
	sysctl -q -w "net.ipv6.conf.$dom0.disable_ipv6=1" 2>/dev/null || true
}
