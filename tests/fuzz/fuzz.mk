# SPDX-License-Identifier: GPL-2.0-or-later
# fuzz.mk - build and run the libFuzzer targets of tests/fuzz/
#
# Run from the repository root:
#
#   make -f tests/fuzz/fuzz.mk                    build build-fuzz/fuzz_*
#   make -f tests/fuzz/fuzz.mk run FUZZ_SECONDS=N fuzz every target, N s
#                                                 in all (fuzz_switch 1/2,
#                                                 the others share the
#                                                 other half equally)
#   make -f tests/fuzz/fuzz.mk repro T=fuzz_switch IN=crash-file
#
# Each target is one tests/fuzz/<target>.c linked with the switch core
# (vswitch/*.c but the pcap runner and the port_*.c back ends), all built
# with clang -fsanitize=fuzzer,address,undefined. A run starts from the
# committed seeds in tests/fuzz/corpus/<target>/ and writes what it finds
# to build-fuzz/corpus/<target>/, crash inputs to build-fuzz/artifacts/.
# A crash, a sanitizer report, a leak or a timeout fails the run.

CC_FUZZ		?= clang
FUZZ_SECONDS	?= 60
B		:= build-fuzz
PKGS		:= libpcap libnl-3.0 libnl-route-3.0 json-c

FUZZ_TARGETS	:= $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
# fuzz_switch gets half the time, the others (fuzz_config, fuzz_parse,
# fuzz_scenario, ...) split the rest.
FUZZ_OTHERS	:= $(words $(filter-out fuzz_switch,$(FUZZ_TARGETS)))
CORE_SRCS	:= $(filter-out vswitch/vs_pcap_run.c vswitch/port_%.c,\
			$(wildcard vswitch/*.c))
CORE_OBJS	:= $(patsubst %.c,$(B)/obj/%.o,$(CORE_SRCS))

SAN		:= -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CPPFLAGS	:= -D_GNU_SOURCE -Ivswitch -Ihypervisor -Itools -Inat -Iconsole-udp \
		   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_CFLAGS	:= -std=gnu11 -O1 -g -fno-omit-frame-pointer -Wall -Wextra \
		   -Wno-missing-field-initializers $(SAN) -MMD -MP

# libFuzzer options: -timeout per input, crash files out of the tree.
FUZZ_OPTS	:= -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		   -print_final_stats=1
ifeq ($(V),1)
Q		:=
else
Q		:= @
endif

.PHONY: all run repro clean
# Keep the objects between builds.
.SECONDARY:
.DEFAULT_GOAL := all

all: $(patsubst %,$(B)/%,$(FUZZ_TARGETS))

$(B)/obj/%.o: %.c
	@printf '  %-6s %s\n' FUZZCC $<
	@mkdir -p $(dir $@)
	$(Q)$(CC_FUZZ) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

# Targets over other parsers name their extra sources here. fuzz_config
# runs xend's own checks (record.c), which use the control helpers and the
# address helpers of netns.c, hence libnl.
# record.c also holds NAT's record, hence nat/ and its libraries.
NAT_FUZZ_SRCS	:= $(filter-out nat/xen_nat.c,$(wildcard nat/*.c))
NAT_FUZZ_LIBS	:= $(shell pkg-config --libs libnftables libiptc 2>/dev/null)
CONFIG_SRCS	:= tools/config.c tools/config_domain.c hypervisor/record.c \
		   hypervisor/control.c hypervisor/netns.c $(NAT_FUZZ_SRCS)
$(B)/fuzz_config: $(patsubst %.c,$(B)/obj/%.o,$(CONFIG_SRCS))
$(B)/fuzz_config: LDLIBS_FUZZ := $(shell pkg-config --libs json-c \
				 libnl-3.0 libnl-route-3.0 2>/dev/null) $(NAT_FUZZ_LIBS)

# fuzz_state: the state file codec alone.
STATE_SRCS	:= hypervisor/record.c hypervisor/state.c hypervisor/fileio.c \
		   hypervisor/control.c \
		   hypervisor/netns.c $(NAT_FUZZ_SRCS)
$(B)/fuzz_state: $(patsubst %.c,$(B)/obj/%.o,$(STATE_SRCS))
$(B)/fuzz_state: LDLIBS_FUZZ := $(shell pkg-config --libs json-c \
				libnl-3.0 libnl-route-3.0 2>/dev/null) $(NAT_FUZZ_LIBS)

# fuzz_control: xend's command table and handlers over a real data plane,
# so all of hypervisor/ but main, and the TAP, AF_PACKET and vhost-user
# back ends.
CONTROL_SRCS	:= $(filter-out hypervisor/xend.c,$(wildcard hypervisor/*.c)) \
		   $(wildcard vswitch/port_tap.c vswitch/port_afpacket.c \
			vswitch/port_vhost_user.c) \
		   $(NAT_FUZZ_SRCS) $(filter-out console-udp/xen_read_console.c,\
			$(wildcard console-udp/*.c))
$(B)/fuzz_control: $(patsubst %.c,$(B)/obj/%.o,$(CONTROL_SRCS))
$(B)/fuzz_control: LDLIBS_FUZZ := $(shell pkg-config --libs json-c \
				  libnl-3.0 libnl-route-3.0 liburing libsystemd \
				  libbpf 2>/dev/null) -pthread \
				  $(NAT_FUZZ_LIBS)
# ... among them the kernel fast path, which embeds its BPF object
FP_BPF		:= $(B)/bpf/fastpath.bpf.o
$(FP_BPF): vswitch/bpf/fastpath.bpf.c vswitch/bpf/fastpath.h
	@printf '  %-6s %s\n' BPF $<
	@mkdir -p $(dir $@)
	$(Q)clang -O2 -g -target bpf -Wall \
		-I/usr/include/$(shell cc -dumpmachine) -c -o $@ $<
$(B)/obj/hypervisor/fastpath_obj.o: $(FP_BPF)
$(B)/obj/hypervisor/fastpath_obj.o: FUZZ_CPPFLAGS += -DXEND_FP_OBJ='"$(FP_BPF)"'

# fuzz_fastpath (the fast path's frame parser against the switch's
# verdicts) needs the switch core only, as fuzz_parse and fuzz_switch.

# fuzz_metrics: the metrics endpoint's request parser and the Prometheus
# text writer (metrics.c logs through control.c).
METRICS_SRCS	:= hypervisor/metrics.c hypervisor/promtext.c hypervisor/control.c
$(B)/fuzz_metrics: $(patsubst %.c,$(B)/obj/%.o,$(METRICS_SRCS))
$(B)/fuzz_metrics: LDLIBS_FUZZ := $(shell pkg-config --libs json-c 2>/dev/null)

# fuzz_port_vu: the vhost-user port back end over a real socket.
$(B)/fuzz_port_vu: $(B)/obj/vswitch/port_vhost_user.o

# fuzz_console: the console's line path, console-udp/console.c.
CONSOLE_SRCS	:= console-udp/console.c
$(B)/fuzz_console: $(patsubst %.c,$(B)/obj/%.o,$(CONSOLE_SRCS))
$(B)/obj/tests/fuzz/fuzz_console.o: FUZZ_CPPFLAGS += -Iconsole-udp

$(B)/fuzz_%: $(B)/obj/tests/fuzz/fuzz_%.o $(CORE_OBJS)
	@printf '  %-6s %s\n' FUZZLD $@
	$(Q)$(CC_FUZZ) $(SAN) -o $@ $^ $(LDLIBS_FUZZ)

# One target after the other (the machine has two cores). Each stops at
# its share of FUZZ_SECONDS; libFuzzer exits non-zero on any finding and
# the loop stops there.
run: all
	@set -e; for t in $(FUZZ_TARGETS); do \
		s=$$(case $$t in fuzz_switch) \
			echo $$(( ($(FUZZ_SECONDS) + 1) / 2 ));; *) \
			echo $$(( ($(FUZZ_SECONDS) + 2 * $(FUZZ_OTHERS) - 1) / \
				(2 * $(FUZZ_OTHERS)) ));; esac); \
		[ $$s -ge 1 ] || s=1; \
		mkdir -p $(B)/corpus/$$t $(B)/artifacts; \
		seeds=tests/fuzz/corpus/$$t; [ -d $$seeds ] || seeds=; \
		printf '  %-6s %s (%ss)\n' FUZZ $$t $$s; \
		$(B)/$$t $(FUZZ_OPTS) -max_total_time=$$s \
			-artifact_prefix=$(B)/artifacts/$$t- \
			$(B)/corpus/$$t $$seeds \
			>$(B)/$$t.log 2>&1 || { \
			tail -n 60 $(B)/$$t.log; \
			echo "FAIL: $$t (log $(B)/$$t.log, inputs in $(B)/artifacts/)"; \
			exit 1; }; \
		grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' \
			$(B)/$$t.log | tr '\n' ' '; echo; \
	done

# Re-run one input: make -f tests/fuzz/fuzz.mk repro T=fuzz_switch IN=file
repro: all
	$(B)/$(T) $(IN)

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
