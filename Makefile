# SPDX-License-Identifier: GPL-2.0-or-later
# Makefile - builds, tests and installs xeno. See README.md.
#
#   make [all]        build everything into build/
#   make test         install deps, unit tests (plain and ASan+UBSan),
#                     pcap scenarios, man pages, the Debian package, a
#                     short fuzz run, network tests, guest image tests
#                     under QEMU, the Demo CD booted (make test-appliance)
#   make guest        the default domain image (build/guest/)
#   make appliance    the Demo CD, build/xeno-demo.iso (docs/appliance.md)
#   make demo-iso     boot it under QEMU, its serial console here
#   make test-appliance  boot each of its menu entries under QEMU
#   make check        cppcheck, clang-tidy, and a short fuzz run
#   make bench        benchmarks (bench/)
#   make demo         what is built so far, for real
#   make install      prefix=/usr/local DESTDIR= (and systemd's unit)
#   make deb          the Debian package into build/deb/ (debian/)
#   V=1 for full commands, WERROR=0 to let warnings pass, SAN=1 for an
#   ASan+UBSan build (into build-san/).

prefix		?= /usr/local
bindir		?= $(prefix)/bin
sbindir		?= $(prefix)/sbin
sysconfdir	?= $(prefix)/etc
mandir		?= $(prefix)/share/man
datadir		?= $(prefix)/share
guestdir	?= $(datadir)/xeno/guest
# systemd's directories (outside prefix, as systemd reads them)
systemdunitdir	?= $(shell pkg-config --variable=systemdsystemunitdir systemd \
		     2>/dev/null || echo /lib/systemd/system)
sysusersdir	?= $(shell pkg-config --variable=sysusersdir systemd \
		     2>/dev/null || echo /usr/lib/sysusers.d)
DESTDIR		?=

CC		?= cc
PKGS		:= libpcap libnl-3.0 libnl-route-3.0 json-c liburing libbpf
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The NAT back ends (nat/): nftables and legacy iptables
NAT_PKGS	:= libnftables libiptc
NAT_LIBS	:= $(shell pkg-config --libs $(NAT_PKGS) 2>/dev/null)
# sd_notify() for xend's Type=notify unit; xend alone links it
SYSTEMD_LIBS	:= $(shell pkg-config --libs libsystemd 2>/dev/null)

WERROR		?= 1
WARN		:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		   -Wformat=2 -Wpointer-arith -Wvla -Wundef -Wcast-qual \
		   -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN		+= -Werror
endif

ifeq ($(SAN),1)
BUILD		?= build-san
OPT		:= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		   -fno-sanitize-recover=all
SANLD		:= -fsanitize=address,undefined
else
BUILD		?= build
OPT		:= -O2 -g -D_FORTIFY_SOURCE=2
SANLD		:=
endif

CFLAGS		?=
CPPFLAGS	+= -D_GNU_SOURCE -Ivswitch -Ihypervisor -Itools -Iconsole-udp -Inat \
		   -DXENO_SYSCONFDIR='"$(sysconfdir)"'
ALL_CFLAGS	:= -std=gnu11 $(OPT) $(WARN) -fstack-protector-strong -pthread \
		   -MMD -MP $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS		+= -pthread $(SANLD)

ifeq ($(V),1)
Q		:=
say		:= @true
else
Q		:= @
say		:= @printf '  %-6s %s\n'
endif

# Sources: every .c of a directory belongs to it; a *_main.c or a named
# main file makes a program.
VS_MAINS	:= vswitch/vs_pcap_run.c
VS_SRCS		:= $(filter-out $(VS_MAINS),$(wildcard vswitch/*.c))
XEND_MAIN	:= hypervisor/xend.c
XEND_SRCS	:= $(filter-out $(XEND_MAIN),$(wildcard hypervisor/*.c))
CON_MAIN	:= console-udp/xen_read_console.c
CON_SRCS	:= $(filter-out $(CON_MAIN),$(wildcard console-udp/*.c))
NAT_MAIN	:= nat/xen_nat.c
NAT_SRCS	:= $(filter-out $(NAT_MAIN),$(wildcard nat/*.c))
TOOL_MAINS	:= $(wildcard tools/xc_*.c)
TOOL_SRCS	:= $(filter-out $(TOOL_MAINS),$(wildcard tools/*.c))
UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_HELPERS	:= $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
BENCH_SRCS	:= $(wildcard bench/*.c)
# helpers the bench scripts run (not benchmarks themselves)
BENCH_TOOL_SRCS	:= $(wildcard bench/tools/*.c)

obj		= $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBVS		:= $(BUILD)/libvswitch.a
LIBXEND		:= $(BUILD)/libxend.a
LIBTOOLS	:= $(BUILD)/libxctools.a
LIBNAT		:= $(BUILD)/libxenonat.a
LIBCON		:= $(BUILD)/libxenocon.a
LIBS_ALL	:= $(LIBTOOLS) $(LIBXEND) $(LIBNAT) $(LIBCON) $(LIBVS)

PROGS		:= $(if $(wildcard $(VS_MAINS)),$(BUILD)/vs_pcap_run) \
		   $(if $(wildcard $(XEND_MAIN)),$(BUILD)/xend) \
		   $(patsubst tools/%.c,$(BUILD)/%,$(TOOL_MAINS)) \
		   $(if $(wildcard $(NAT_MAIN)),$(BUILD)/xen_nat) \
		   $(if $(wildcard $(CON_MAIN)),$(BUILD)/xen_read_console)
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BENCH_BINS	:= $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_TOOLS	:= $(patsubst bench/tools/%.c,$(BUILD)/bench/%,$(BENCH_TOOL_SRCS))

.PHONY: FORCE all progs test unit unit-san scenarios doccheck debcheck fuzz net check bench demo deps \
	install uninstall deb clean
.DEFAULT_GOAL := all
# Objects made through pattern chains are kept, not rebuilt every time.
.SECONDARY:

all: $(PROGS) $(UNIT_BINS) $(BENCH_BINS) $(BENCH_TOOLS) $(BUILD)/xc/defaults

# The installed programs alone (install, the Debian package's build).
progs: $(PROGS)

# The defaults file for use from the build tree (tests, demo): the guest
# image is build/guest; `make install` writes one naming guestdir.
$(BUILD)/xc/defaults: etc/xc/defaults
	@mkdir -p $(dir $@)
	$(Q)sed 's|@GUESTDIR@|$(abspath $(BUILD))/guest|g' $< >$@

$(BUILD)/%.o: %.c
	$(say) CC $<
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# xc_dom_create has the configured sysconfdir built in: rebuild it when
# `make sysconfdir=...` changes it.
$(BUILD)/sysconfdir.stamp: FORCE
	@mkdir -p $(dir $@)
	@[ "$$(cat $@ 2>/dev/null)" = "$(sysconfdir)" ] || echo "$(sysconfdir)" >$@
$(BUILD)/tools/xc_dom_create.o: $(BUILD)/sysconfdir.stamp
FORCE:

# The kernel fast path's programs (vswitch/bpf/), built into xend
# (hypervisor/fastpath_obj.c) and opened from memory.
FP_BPF		:= $(BUILD)/vswitch/bpf/fastpath.bpf.o
BPF_CFLAGS	:= -O2 -g -target bpf -Wall -Werror \
		   -I/usr/include/$(shell $(CC) -dumpmachine)
$(FP_BPF): vswitch/bpf/fastpath.bpf.c vswitch/bpf/fastpath.h
	$(say) BPF $<
	@mkdir -p $(dir $@)
	$(Q)clang $(BPF_CFLAGS) -c -o $@ $<
$(BUILD)/hypervisor/fastpath_obj.o: $(FP_BPF)
$(BUILD)/hypervisor/fastpath_obj.o: CPPFLAGS += -DXEND_FP_OBJ='"$(FP_BPF)"'

$(LIBVS): $(call obj,$(VS_SRCS))
$(LIBXEND): $(call obj,$(XEND_SRCS))
$(LIBTOOLS): $(call obj,$(TOOL_SRCS))
$(LIBNAT): $(call obj,$(NAT_SRCS))
$(LIBCON): $(call obj,$(CON_SRCS))
$(BUILD)/%.a:
	$(say) AR $@
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

LINK = mkdir -p $(dir $@) && \
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBS_ALL) $(PKG_LIBS) $(NAT_LIBS)

$(BUILD)/vs_pcap_run: $(call obj,vswitch/vs_pcap_run.c) $(LIBS_ALL)
	$(say) LD $@
	$(Q)$(LINK)
$(BUILD)/xend: $(call obj,$(XEND_MAIN)) $(LIBS_ALL)
	$(say) LD $@
	$(Q)$(LINK) $(SYSTEMD_LIBS)
$(BUILD)/xen_read_console: $(call obj,$(CON_MAIN)) $(LIBS_ALL)
	$(say) LD $@
	$(Q)$(LINK)
$(BUILD)/xen_nat: $(call obj,$(NAT_MAIN)) $(LIBS_ALL)
	$(say) LD $@
	$(Q)$(LINK)
$(BUILD)/xc_%: $(BUILD)/tools/xc_%.o $(LIBS_ALL)
	$(say) LD $@
	$(Q)$(LINK)
$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o \
		$(call obj,$(UNIT_HELPERS)) $(LIBS_ALL)
	$(say) LD $@
	$(Q)$(LINK) -lcmocka
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBS_ALL)
	$(say) LD $@
	$(Q)$(LINK)
$(BUILD)/bench/%: $(BUILD)/bench/tools/%.o
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

# Dependencies are installed by the targets that need them.
deps:
	@scripts/install-deps

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do \
		printf '  %-6s %s\n' TEST $$t; \
		CMOCKA_MESSAGE_OUTPUT=stdout $$t >$$t.log 2>&1 || \
			{ cat $$t.log; echo "FAIL: $$t"; exit 1; }; \
		tail -n 3 $$t.log | grep -E 'PASSED|FAILED' || true; \
	done

unit-san:
	$(Q)$(MAKE) --no-print-directory SAN=1 unit

scenarios: $(BUILD)/vs_pcap_run
	@[ ! -d tests/scenarios ] || \
		BUILD=$(BUILD) /usr/bin/python3 -m pytest -q tests/scenarios

doccheck: $(PROGS)
	@BUILD=$(BUILD) /usr/bin/python3 -m pytest -q tests/docs

# `make deb`, then the package's contents, conffiles, Depends, unit, an
# install into a scratch root, and lintian (tests/pkg; about a minute).
debcheck:
	@/usr/bin/python3 -m pytest -q tests/pkg

fuzz:
	$(Q)$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk run

net: all
	@[ ! -d tests/net ] || \
		BUILD=$(abspath $(BUILD)) /usr/bin/python3 -m pytest -q -x tests/net

# The default domain image (guest/, docs/guest-image.md): cached, rebuilt
# when guest/ or a package version changes. vm boots it under QEMU.
.PHONY: guest vm
guest:
	@guest/build.sh $(BUILD)/guest
vm: guest
	@[ ! -d tests/vm ] || \
		BUILD=$(abspath $(BUILD)) /usr/bin/python3 -m pytest -q tests/vm

# The Demo CD (appliance/, docs/appliance.md): xeno as `make install`
# lays it out, plus the guest image, in a GRUB-bootable ISO whose
# initramfs is the whole system. Cached: rebuilt when an input changes.
APPLIANCE_DIR	:= $(BUILD)/appliance
APPLIANCE_ISO	:= $(BUILD)/xeno-demo.iso
.PHONY: appliance demo-iso test-appliance
appliance: progs guest
	@rm -rf $(APPLIANCE_DIR)/dest
	$(Q)$(MAKE) --no-print-directory install \
		DESTDIR=$(abspath $(APPLIANCE_DIR))/dest >/dev/null
	@appliance/build.sh $(APPLIANCE_DIR) $(APPLIANCE_DIR)/dest $(BUILD)/guest \
		$(APPLIANCE_ISO)
	@rm -rf $(APPLIANCE_DIR)/dest
	@echo "  root's login key (ssh -i): $(abspath $(APPLIANCE_DIR))/id_ed25519"
	@echo "    $$(cat $(APPLIANCE_DIR)/id_ed25519.pub)"
	@echo "  the appliance's host key: $$(cat $(APPLIANCE_DIR)/host_ed25519.pub)"

demo-iso: appliance
	@scripts/demo-iso $(APPLIANCE_ISO)

test-appliance: deps appliance
	@BUILD=$(abspath $(BUILD)) /usr/bin/python3 -m pytest -q tests/appliance

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory unit-san
	$(Q)$(MAKE) --no-print-directory scenarios
	$(Q)$(MAKE) --no-print-directory doccheck
	$(Q)$(MAKE) --no-print-directory debcheck
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20
	$(Q)$(MAKE) --no-print-directory net
	$(Q)$(MAKE) --no-print-directory vm
	$(Q)$(MAKE) --no-print-directory test-appliance

check: deps
	scripts/check
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30

bench: deps $(BENCH_BINS) $(BENCH_TOOLS) $(PROGS)
	@for b in $(BENCH_BINS); do echo "== $$b"; $$b; done
	@for b in bench/*.sh; do [ ! -x $$b ] || { echo "== $$b"; \
		BUILD=$(abspath $(BUILD)) $$b; }; done

demo: deps all guest
	scripts/demo

install: progs
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(bindir) \
		$(DESTDIR)$(sysconfdir)/xc $(DESTDIR)$(mandir)/man1 \
		$(DESTDIR)$(mandir)/man8
	[ ! -f $(BUILD)/xend ] || install -m 755 $(BUILD)/xend $(DESTDIR)$(sbindir)/xend
	[ ! -f $(BUILD)/xen_nat ] || install -m 755 $(BUILD)/xen_nat $(DESTDIR)$(sbindir)/xen_nat
	for p in $(filter $(BUILD)/xc_%,$(PROGS)) $(BUILD)/vs_pcap_run \
		 $(BUILD)/xen_read_console; do \
		[ ! -f $$p ] || install -m 755 $$p $(DESTDIR)$(bindir)/; done
	for s in scripts/xen_*; do [ ! -f $$s ] || \
		install -m 755 $$s $(DESTDIR)$(bindir)/; done
	[ ! -f etc/xc/defaults ] || { \
		sed 's|@GUESTDIR@|$(guestdir)|g' etc/xc/defaults \
			>$(DESTDIR)$(sysconfdir)/xc/defaults && \
		chmod 644 $(DESTDIR)$(sysconfdir)/xc/defaults; }
	[ ! -f $(BUILD)/guest/vmlinuz ] || { \
		install -d $(DESTDIR)$(guestdir) && \
		install -m 644 $(BUILD)/guest/vmlinuz $(BUILD)/guest/initrd.img \
			$(DESTDIR)$(guestdir)/ && \
		install -m 600 $(BUILD)/guest/id_ed25519 $(DESTDIR)$(guestdir)/ && \
		install -m 644 $(BUILD)/guest/id_ed25519.pub $(DESTDIR)$(guestdir)/; }
	for m in docs/*.1 docs/*.8; do [ ! -f $$m ] || { \
		d=$(DESTDIR)$(mandir)/man$${m##*.}; \
		sed -e 's|/usr/local/etc|$(sysconfdir)|g' \
		    -e 's|/usr/local/share|$(datadir)|g' $$m >$$d/$${m##*/} && \
		chmod 644 $$d/$${m##*/}; }; done
	install -d $(DESTDIR)$(systemdunitdir) $(DESTDIR)$(sysusersdir)
	sed 's|@SBINDIR@|$(sbindir)|g' etc/systemd/xend.service.in \
		>$(DESTDIR)$(systemdunitdir)/xend.service
	chmod 644 $(DESTDIR)$(systemdunitdir)/xend.service
	install -m 644 etc/sysusers.d/xeno.conf $(DESTDIR)$(sysusersdir)/xeno.conf

# The Debian package (debian/): built by dpkg-buildpackage in a copy of the
# tree under build/deb/src, so that nothing it makes lands in the checkout
# (it writes its results beside the tree it builds); the .deb files,
# .buildinfo, .changes and the build log end up in build/deb/.
DEB_DIR		:= build/deb
deb:
	$(say) DEB $(DEB_DIR)
	@rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src/xeno
	$(Q)tar -c --exclude=./build --exclude='./build-*' --exclude=./.git \
		--exclude=./debian/xeno --exclude=./debian/.debhelper \
		--exclude=./debian/tmp --exclude=./debian/files \
		--exclude='./debian/*.substvars' \
		--exclude=./debian/debhelper-build-stamp \
		--exclude=.pytest_cache --exclude=__pycache__ . | \
		tar -x -C $(DEB_DIR)/src/xeno
	$(Q)cd $(DEB_DIR)/src/xeno && dpkg-buildpackage -us -uc -b -j2 \
		>../../build.log 2>&1 || \
		{ tail -n 40 ../../build.log; echo "make deb: failed, see" \
		  "$(DEB_DIR)/build.log"; exit 1; }
	$(Q)mv $(DEB_DIR)/src/xeno_* $(DEB_DIR)/src/xeno-dbgsym_* $(DEB_DIR)/
	@rm -rf $(DEB_DIR)/src
	@ls $(DEB_DIR)/*.deb

uninstall:
	rm -f $(DESTDIR)$(sbindir)/xend $(DESTDIR)$(sbindir)/xen_nat \
		$(DESTDIR)$(bindir)/vs_pcap_run $(DESTDIR)$(bindir)/xen_read_console \
		$(patsubst $(BUILD)/%,$(DESTDIR)$(bindir)/%,$(filter $(BUILD)/xc_%,$(PROGS))) \
		$(patsubst scripts/%,$(DESTDIR)$(bindir)/%,$(wildcard scripts/xen_*)) \
		$(DESTDIR)$(sysconfdir)/xc/defaults \
		$(patsubst docs/%,$(DESTDIR)$(mandir)/man1/%,$(wildcard docs/*.1)) \
		$(patsubst docs/%,$(DESTDIR)$(mandir)/man8/%,$(wildcard docs/*.8)) \
		$(DESTDIR)$(systemdunitdir)/xend.service \
		$(DESTDIR)$(sysusersdir)/xeno.conf
	rm -rf $(DESTDIR)$(guestdir)

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
