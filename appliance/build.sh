#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh - builds the xeno Demo CD: a GRUB-bootable ISO whose initramfs
# is the whole system (docs/appliance.md)
#
#   appliance/build.sh OUT DEST GUEST ISO     (make appliance)
#
#   OUT    work directory ($(BUILD)/appliance): keys, stamp, root, isodir
#   DEST   xeno as `make install DESTDIR=DEST` put it (programs, the
#          defaults file, the guest image, man pages)
#   GUEST  the guest image's build directory ($(BUILD)/guest): its kernel
#          and its cache of Debian packages (GUEST/debs)
#   ISO    the image to write ($(BUILD)/xeno-demo.iso)
#
# Theory of operation: the kernel is the guest image's (Debian's cloud
# kernel); its package, from the guest build's download cache, is unpacked
# with dpkg-deb -x into a stage for the modules (network drivers, virtio,
# netfilter, tun, ...; their dependencies from modules.dep), and so is
# busybox-static. xeno comes from DEST; the programs xeno drives (ip, nft,
# dropbear, kmod's modprobe, qemu-system-x86_64 and its firmware) come from
# this machine, each with the shared libraries ldd names. appliance/init
# becomes /init; the root is a gzip'd newc cpio that the kernel unpacks
# into a tmpfs at boot. grub-mkrescue writes the ISO with appliance/grub.cfg.
#
# Root has no password ("*"): on the console the shell needs none, over
# the network the key OUT/id_ed25519 is the only way in (made once, kept).
#
# The build is cached: OUT/stamp hashes every input file's contents; when
# it matches and the ISO exists nothing is done.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
[ $# = 4 ] || { echo "usage: build.sh OUT DEST GUEST ISO" >&2; exit 2; }
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
DEST=$(cd "$2" && pwd)
GUEST=$(cd "$3" && pwd)
ISO=$4
STAGE=$OUT/stage
ROOT=$OUT/root
ISODIR=$OUT/isodir

# Programs of this machine the appliance carries (with their libraries).
HOST_PROGS="/usr/sbin/ip /usr/sbin/nft /usr/sbin/dropbear /usr/bin/dropbearkey
/usr/bin/dbclient /usr/bin/kmod /usr/bin/qemu-system-x86_64
/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so"
# QEMU's firmware: SeaBIOS, the option ROMs for -kernel and virtio-net.
HOST_DATA="/usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin
/usr/share/qemu/kvmvapic.bin /usr/lib/ipxe/qemu/efi-virtio.rom"
# Kernel modules (path prefixes under kernel/) and their dependencies: the
# NICs, virtio, tun and veth, netfilter (NAT), what the console wants,
# and the clsact qdisc and bpf classifier of xend's kernel fast path (the
# kernel loads them when xend first asks for them).
MODULE_DIRS="drivers/net/ethernet/ drivers/net/virtio_net drivers/net/tun
drivers/net/veth drivers/net/vmxnet3 drivers/net/hyperv/ drivers/virtio/
drivers/block/virtio_blk drivers/char/virtio_console drivers/char/hw_random/
drivers/input/evdev drivers/acpi/button net/netfilter/ net/ipv4/netfilter/
net/ipv6/netfilter/ net/packet/ net/bridge/ net/8021q/ net/sched/sch_ingress
net/sched/cls_bpf"

say() { printf '  %-6s %s\n' "$1" "$2"; }
die() { echo "appliance/build.sh: $*" >&2; exit 1; }

need_tools() {
	for t in grub-mkrescue xorriso mformat dpkg-deb depmod ldd cpio gzip \
		 ssh-keygen sha256sum flock; do
		command -v "$t" >/dev/null 2>&1 ||
			die "$t not found (run scripts/install-deps)"
	done
	for p in $HOST_PROGS $HOST_DATA; do
		[ -e "$p" ] || die "$p not found (run scripts/install-deps)"
	done
}

# The guest build's cached package of $1 (a name prefix, e.g. linux-image-).
cached_deb() {
	set -- "$GUEST"/debs/"$1"*.deb
	[ -e "$1" ] || die "no $1 in the guest image's cache (make guest)"
	echo "$1"
}

# The shared libraries of the ELF files given, resolved on this machine.
host_libs() {
	ldd "$@" 2>/dev/null | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' |
		sort -u
}

# xeno's programs in DEST (names without blanks: make install's).
dest_elves() {
	find "$DEST" -type f -perm -u+x -exec sh -c \
		'head -c 4 "$1" | grep -q ELF && echo "$1"' sh {} \;
}

input_files() {
	find "$HERE" "$DEST" -type f
	cached_deb linux-image-
	cached_deb busybox-static
	# shellcheck disable=SC2086  # one word per path is wanted
	echo $HOST_PROGS $HOST_DATA | tr ' ' '\n'
	# shellcheck disable=SC2086,SC2046
	host_libs $HOST_PROGS $(dest_elves)
}

input_hash() {
	input_files | LC_ALL=C sort | while read -r f; do
		echo "$f"; sha256sum <"$f"
	done | sed "s|$TOP/||" | sha256sum | cut -d' ' -f1
}

unpack() {
	rm -rf "$STAGE"
	mkdir -p "$STAGE"
	dpkg-deb -x "$(cached_deb linux-image-)" "$STAGE"
	dpkg-deb -x "$(cached_deb busybox-static)" "$STAGE"
	KVER=$(ls "$STAGE/lib/modules")
	[ "$(echo "$KVER" | wc -l)" = 1 ] || die "expected one kernel, got: $KVER"
	depmod -b "$STAGE" "$KVER"
}

make_keys() {
	if [ ! -s "$OUT/id_ed25519" ] || [ ! -s "$OUT/id_ed25519.pub" ]; then
		say KEY "$OUT/id_ed25519"
		rm -f "$OUT/id_ed25519" "$OUT/id_ed25519.pub"
		ssh-keygen -q -t ed25519 -N '' -C "xeno-appliance-root" \
			-f "$OUT/id_ed25519"
	fi
	if [ ! -s "$OUT/host_ed25519" ]; then
		say KEY "$OUT/host_ed25519"
		dropbearkey -t ed25519 -f "$OUT/host_ed25519" >/dev/null 2>&1 ||
			die "dropbearkey failed"
	fi
	dropbearkey -y -f "$OUT/host_ed25519" | grep '^ssh-' >"$OUT/host_ed25519.pub"
}

# Copies file $1 to the same path in the root (symlinks followed).
copy_host() {
	mkdir -p "$ROOT$(dirname "$1")"
	cp -L "$1" "$ROOT$1"
}

copy_modules() {
	mdir=lib/modules/$KVER
	for d in $MODULE_DIRS; do
		grep "^kernel/$d" "$STAGE/$mdir/modules.dep"
	done | tr -d ':' | tr ' ' '\n' | sed '/^$/d' | sort -u |
		while read -r m; do
			mkdir -p "$ROOT/$mdir/$(dirname "$m")"
			cp "$STAGE/$mdir/$m" "$ROOT/$mdir/$m"
		done
	cp "$STAGE/$mdir/modules.order" "$STAGE/$mdir/modules.builtin" \
		"$STAGE/$mdir/modules.builtin.modinfo" "$ROOT/$mdir/"
	depmod -b "$ROOT" "$KVER"
}

install_busybox() {
	mkdir -p "$ROOT/bin"
	cp "$STAGE/bin/busybox" "$ROOT/bin/busybox"
	"$STAGE/bin/busybox" --list-full | while read -r a; do
		[ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] && continue
		mkdir -p "$(dirname "$ROOT/$a")"
		ln -s /bin/busybox "$ROOT/$a"
	done
}

make_root() {
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	(cd "$ROOT" && mkdir -p dev proc sys run tmp mnt root/.ssh \
		etc/dropbear etc/udhcpc var/log var/lib lib64)
	ln -s ../run "$ROOT/var/run"
	mknod -m 600 "$ROOT/dev/console" c 5 1 2>/dev/null || true
	chmod 1777 "$ROOT/tmp"
	chmod 700 "$ROOT/root" "$ROOT/root/.ssh"

	# xeno, as `make install` laid it out (the man pages stay behind)
	cp -a "$DEST/." "$ROOT/"
	rm -rf "$ROOT/usr/local/share/man" "$ROOT/lib/systemd" \
		"$ROOT/usr/lib/sysusers.d"
	# The programs xeno drives, from this machine; kmod is modprobe too.
	# Whatever busybox also offers, the full program wins (copied first).
	for p in $HOST_PROGS $HOST_DATA; do copy_host "$p"; done
	mkdir -p "$ROOT/sbin"
	for l in modprobe insmod rmmod lsmod depmod modinfo; do
		ln -s /usr/bin/kmod "$ROOT/sbin/$l"
	done
	# shellcheck disable=SC2086,SC2046  # one word per path is wanted
	for l in $(host_libs $HOST_PROGS $(dest_elves)); do
		copy_host "$l"
	done
	install_busybox
	copy_modules

	install -m 755 "$HERE/init" "$ROOT/init"
	install -m 755 "$HERE/udhcpc.script" "$ROOT/etc/udhcpc/default.script"
	mkdir -p "$ROOT/usr/local/lib/xeno"
	install -m 755 "$HERE/domain-init" "$ROOT/usr/local/lib/xeno/domain-init"
	install -m 644 "$HERE/motd" "$ROOT/etc/motd"
	# The appliance's defaults: netns domains that run an sshd (nested
	# TCG makes QEMU domains slow; -D builder=qemu gives one).
	# shellcheck disable=SC2016  # the config's ${...}, not the shell's
	sed -e 's|^builder = "${builder:-qemu}"|builder = "${builder:-netns}"|' \
		"$DEST/usr/local/etc/xc/defaults" >"$ROOT/usr/local/etc/xc/defaults"
	cat >>"$ROOT/usr/local/etc/xc/defaults" <<-'EOF'

	# The appliance's addition: a netns domain runs this, which prints
	# its boot to the console (xen_read_console) and runs an sshd that
	# takes root's key, so `ssh -p2201 root@dom0` lands in domain 1.
	init    = "${init:-/usr/local/lib/xeno/domain-init}" # netns builder: the domain's init
	EOF
	grep -q 'builder:-netns' "$ROOT/usr/local/etc/xc/defaults" ||
		die "the defaults file's builder line changed: update build.sh"
	ln -s usr/local/etc/xc "$ROOT/etc/xc"

	# "*" (not "!", which dropbear takes for a locked account): no
	# password matches, so a key is the only way in over the network.
	echo 'root:*:0:0:root:/root:/bin/sh' >"$ROOT/etc/passwd"
	printf 'root:x:0:\nxeno:x:100:\n' >"$ROOT/etc/group"
	echo '/bin/sh' >"$ROOT/etc/shells"
	echo 'passwd: files' >"$ROOT/etc/nsswitch.conf"
	install -m 644 "$HERE/profile" "$ROOT/etc/profile"
	install -m 600 "$OUT/id_ed25519.pub" "$ROOT/root/.ssh/authorized_keys"
	install -m 600 "$OUT/host_ed25519" "$ROOT/etc/dropbear/dropbear_ed25519_host_key"
	echo "$KVER" >"$ROOT/etc/xeno-kernel"
}

make_iso() {
	rm -rf "$ISODIR"
	mkdir -p "$ISODIR/boot/grub"
	(cd "$ROOT" && find . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -6n >"$ISODIR/boot/initrd.img"
	cp "$STAGE/boot/vmlinuz-$KVER" "$ISODIR/boot/vmlinuz"
	install -m 644 "$HERE/grub.cfg" "$ISODIR/boot/grub/grub.cfg"
	grub-mkrescue -o "$ISO.tmp" "$ISODIR" -- -volid XENO_DEMO \
		>"$OUT/grub-mkrescue.log" 2>&1 ||
		{ cat "$OUT/grub-mkrescue.log"; die "grub-mkrescue failed"; }
	mv "$ISO.tmp" "$ISO"
	rm -rf "$ISODIR"
}

need_tools
exec 9>"$OUT/.lock"
flock 9
trap 'rm -rf "$STAGE"' EXIT
HASH=$(input_hash)
if [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$HASH" ] && [ -s "$ISO" ] &&
   [ -s "$OUT/id_ed25519" ]; then
	say ISO "$ISO up to date"
	exit 0
fi
say DEB-X "$STAGE"
unpack
make_keys
make_root
say ISO "$ISO"
make_iso
echo "$HASH" >"$OUT/stamp"
say ISO "$ISO $(du -h "$ISO" | cut -f1) (kernel $KVER)"
