#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh - builds xeno's default domain image from Debian packages
#
#   guest/build.sh OUTDIR          (make guest: OUTDIR is $(BUILD)/guest)
#
# Theory of operation: the packages in guest/packages are fetched with
# `apt-get download` into OUTDIR/debs and unpacked with `dpkg-deb -x` into
# OUTDIR/stage (never installed on the host; removed after the build). From that stage the script
# copies the kernel, the modules named in guest/modules with their
# dependencies (modules.dep made by depmod on the stage), static busybox,
# dropbear and iperf3 with exactly the shared libraries their NEEDED
# entries name, and guest/init into OUTDIR/root, which becomes a gzip'd
# newc cpio.
#
# Outputs (see docs/guest-image.md):
#   OUTDIR/vmlinuz                 the kernel
#   OUTDIR/initrd.img              the initramfs
#   OUTDIR/id_ed25519{,.pub}       root's login key (the .pub is in the image)
#   OUTDIR/host_ed25519.pub        the guest's ssh host key, public half
#   OUTDIR/stamp                   hash of the inputs of the last build
#
# The build is cached: the stamp hashes guest/* and the candidate version
# of every package; when it matches and the outputs exist nothing is done.
# The key pairs are made once and kept across rebuilds (delete them to get
# new ones). Root has no password: the only way in is the key.
set -eu

GUEST_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: build.sh OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DEBS=$OUT/debs
STAGE=$OUT/stage
ROOT=$OUT/root
MULTIARCH=x86_64-linux-gnu

say() { printf '  %-6s %s\n' "$1" "$2"; }
die() { echo "guest/build.sh: $*" >&2; exit 1; }

need_tools() {
	for t in apt-get apt-cache dpkg-deb depmod readelf cpio gzip ssh-keygen sha256sum flock; do
		command -v "$t" >/dev/null 2>&1 ||
			die "$t not found (run scripts/install-deps)"
	done
}

# Package names from guest/packages, the kernel metapackage replaced by the
# versioned image package it depends on.
resolve_packages() {
	sed 's/#.*//' "$GUEST_DIR/packages" | while read -r p; do
		[ -n "$p" ] || continue
		case $p in
		linux-image-cloud-amd64)
			k=$(apt-cache depends "$p" 2>/dev/null |
				sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
			[ -n "$k" ] || die "cannot resolve $p (apt-get update?)"
			echo "$k" ;;
		*)	echo "$p" ;;
		esac
	done
}

# "name=version" of the candidate of every package, one a line (one
# apt-cache call: each costs most of a second).
package_versions() {
	# shellcheck disable=SC2086  # one word per package is wanted
	v=$(apt-cache show --no-all-versions $PKGS 2>/dev/null |
		awk '/^Package: /{p=$2} /^Version: /{print p "=" $2}')
	for p in $PKGS; do
		echo "$v" | grep -q "^$p=" ||
			die "no candidate version for $p (apt-get update?)"
	done
	echo "$v"
}

input_hash() {
	{
		for f in "$GUEST_DIR"/*; do
			[ -f "$f" ] && { echo "$f"; cat "$f"; }
		done
		echo "$VERSIONS"
	} | sed "s|$GUEST_DIR/||" | sha256sum | cut -d' ' -f1
}

up_to_date() {
	[ "$(cat "$OUT/stamp" 2>/dev/null)" = "$HASH" ] || return 1
	for f in vmlinuz initrd.img id_ed25519 id_ed25519.pub host_ed25519.pub; do
		[ -s "$OUT/$f" ] || return 1
	done
}

# The .deb file name apt-get download gives a package version ("1:2" -> "1%3a2").
deb_name() {
	v=$(echo "${1#*=}" | sed 's/:/%3a/g')
	echo "${1%%=*}_${v}_"
}

fetch_debs() {
	mkdir -p "$DEBS"
	want=""
	for pv in $VERSIONS; do
		n=$(deb_name "$pv")
		ls "$DEBS/$n"*.deb >/dev/null 2>&1 || want="$want $pv"
	done
	if [ -n "$want" ]; then
		say FETCH "$want"
		# shellcheck disable=SC2086  # one word per package is wanted
		(cd "$DEBS" && apt-get -q -o APT::Sandbox::User=root download $want) >/dev/null ||
			die "apt-get download failed (apt-get update?)"
	fi
	# Versions no longer wanted go, so the directory holds one set.
	for f in "$DEBS"/*.deb; do
		keep=0
		for pv in $VERSIONS; do
			case ${f##*/} in "$(deb_name "$pv")"*) keep=1 ;; esac
		done
		[ $keep = 1 ] || rm -f "$f"
	done
}

unpack_debs() {
	rm -rf "$STAGE"
	mkdir -p "$STAGE"
	for f in "$DEBS"/*.deb; do
		dpkg-deb -x "$f" "$STAGE"
	done
	KVER=$(ls "$STAGE/lib/modules")
	[ "$(echo "$KVER" | wc -l)" = 1 ] || die "expected one kernel, got: $KVER"
	depmod -b "$STAGE" "$KVER"
}

# Copies a binary from the stage and, recursively, every library it NEEDs.
copy_elf() {
	src=$1 dst=$2
	[ -e "$ROOT$dst" ] && return 0
	mkdir -p "$(dirname "$ROOT$dst")"
	cp -L "$src" "$ROOT$dst"
	for lib in $(readelf -d "$src" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		found=""
		for d in lib/$MULTIARCH usr/lib/$MULTIARCH; do
			[ -e "$STAGE/$d/$lib" ] && { found=$STAGE/$d/$lib; break; }
		done
		[ -n "$found" ] || die "$lib (needed by ${src#"$STAGE"}) is in no package of guest/packages"
		copy_elf "$found" "/lib/$MULTIARCH/$lib"
	done
}

# Module names (guest/modules) and their dependencies, dependencies first.
module_order() {
	dep=$STAGE/lib/modules/$KVER/modules.dep
	sed 's/#.*//' "$GUEST_DIR/modules" | while read -r m; do
		[ -n "$m" ] || continue
		line=$(grep -E "/$m\\.ko(\\.[a-z]+)?:" "$dep") ||
			die "module $m not in $KVER"
		# modules.dep lists the dependencies closest first: load them reversed.
		for d in $(echo "${line#*:}" | tr ' ' '\n' | sed '/^$/d' | tac); do
			echo "$d"
		done
		echo "${line%%:*}"
	done | awk '!seen[$0]++'
}

copy_modules() {
	mkdir -p "$ROOT/lib/modules"
	: >"$ROOT/etc/modules.load"
	for path in $(module_order); do
		f=$STAGE/lib/modules/$KVER/$path
		name=$(basename "$path" | sed 's/\.ko.*//')
		case $path in
		*.ko.xz)  xz -dc "$f" ;;
		*.ko.zst) zstd -dcq "$f" ;;
		*.ko)     cat "$f" ;;
		esac >"$ROOT/lib/modules/$name.ko"
		echo "$name" >>"$ROOT/etc/modules.load"
	done
}

install_busybox() {
	copy_elf "$STAGE/bin/busybox" /bin/busybox
	"$STAGE/bin/busybox" --list-full | while read -r a; do
		[ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] && continue
		mkdir -p "$(dirname "$ROOT/$a")"
		ln -s /bin/busybox "$ROOT/$a"
	done
}

# Runs a dynamically linked program of the stage with the stage's libraries.
stage_run() {
	"$STAGE/lib/$MULTIARCH/ld-linux-x86-64.so.2" \
		--library-path "$STAGE/lib/$MULTIARCH:$STAGE/usr/lib/$MULTIARCH" "$@"
}

make_keys() {
	if [ ! -s "$OUT/id_ed25519" ] || [ ! -s "$OUT/id_ed25519.pub" ]; then
		say KEY "$OUT/id_ed25519"
		rm -f "$OUT/id_ed25519" "$OUT/id_ed25519.pub"
		ssh-keygen -q -t ed25519 -N '' -C "xeno-guest-root" -f "$OUT/id_ed25519"
	fi
	if [ ! -s "$OUT/host_ed25519" ]; then
		say KEY "$OUT/host_ed25519"
		rm -f "$OUT/host_ed25519"
		stage_run "$STAGE/usr/bin/dropbearkey" -t ed25519 \
			-f "$OUT/host_ed25519" >/dev/null 2>&1 || die "dropbearkey failed"
	fi
	stage_run "$STAGE/usr/bin/dropbearkey" -y -f "$OUT/host_ed25519" |
		grep '^ssh-' >"$OUT/host_ed25519.pub"
}

make_root() {
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	(cd "$ROOT" && mkdir -p dev proc sys run tmp mnt etc/dropbear etc/acpi/PWRF \
		root/.ssh var/log lib64 "lib/$MULTIARCH" usr/bin usr/sbin bin sbin)
	ln -s ../run "$ROOT/var/run"
	# The kernel opens /dev/console before /init runs (its built-in
	# initramfs has one too; this one is for kernels without it).
	mknod -m 600 "$ROOT/dev/console" c 5 1 2>/dev/null || true
	chmod 1777 "$ROOT/tmp"
	chmod 700 "$ROOT/root" "$ROOT/root/.ssh"

	install_busybox
	copy_elf "$STAGE/usr/sbin/dropbear" /usr/sbin/dropbear
	copy_elf "$STAGE/usr/bin/dropbearkey" /usr/bin/dropbearkey
	copy_elf "$STAGE/usr/bin/dbclient" /usr/bin/dbclient
	copy_elf "$STAGE/usr/bin/iperf3" /usr/bin/iperf3
	cp "$STAGE/lib/$MULTIARCH/ld-linux-x86-64.so.2" "$ROOT/lib/$MULTIARCH/"
	ln -s "/lib/$MULTIARCH/ld-linux-x86-64.so.2" "$ROOT/lib64/ld-linux-x86-64.so.2"
	copy_modules

	install -m 755 "$GUEST_DIR/init" "$ROOT/init"
	install -m 755 "$GUEST_DIR/acpi-power" "$ROOT/etc/acpi/PWRF/00000080"
	# "*" (not "!", which dropbear takes for a locked account): no
	# password matches, so a key is the only way in.
	echo 'root:*:0:0:root:/root:/bin/sh' >"$ROOT/etc/passwd"
	echo 'root:x:0:' >"$ROOT/etc/group"
	echo '/bin/sh' >"$ROOT/etc/shells"
	echo 'passwd: files' >"$ROOT/etc/nsswitch.conf"
	echo 'export PATH=/usr/sbin:/usr/bin:/sbin:/bin PS1="\h:\w# "' >"$ROOT/etc/profile"
	install -m 600 "$OUT/id_ed25519.pub" "$ROOT/root/.ssh/authorized_keys"
	install -m 600 "$OUT/host_ed25519" "$ROOT/etc/dropbear/dropbear_ed25519_host_key"
	echo "$VERSIONS" >"$ROOT/etc/xeno-guest-packages"
}

make_cpio() {
	(cd "$ROOT" && find . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$OUT/initrd.img.tmp"
	cp "$STAGE/boot/vmlinuz-$KVER" "$OUT/vmlinuz.tmp"
	# renamed into place: a QEMU starting meanwhile reads old or new files
	mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"
	mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
}

need_tools
# One build at a time per OUTDIR (two `make vm` runs may meet here).
exec 9>"$OUT/.lock"
flock 9
# The stage lives only while the build runs: it is big, and its *.d
# directories (etc/ld.so.conf.d, ...) would trip the Makefile's
# `-include` of every *.d under $(BUILD).
trap 'rm -rf "$STAGE"' EXIT
PKGS=$(resolve_packages)
VERSIONS=$(package_versions)
HASH=$(input_hash)
if up_to_date; then
	say GUEST "$OUT up to date"
	exit 0
fi
fetch_debs
say DEB-X "$STAGE"
unpack_debs
make_keys
make_root
make_cpio
echo "$HASH" >"$OUT/stamp"
say GUEST "$OUT/vmlinuz $(du -h "$OUT/vmlinuz" | cut -f1), initrd.img $(du -h "$OUT/initrd.img" | cut -f1) (kernel $KVER)"
