# isolab — build, test, install.
#
#   make deps      install the Debian packages the project needs (idempotent)
#   make           build the controller and the agents into build/
#   make check     run the Criterion suites (unit, then system tests as root)
#   make demo      the README's main job
#   make install   PREFIX=/usr/local DESTDIR=
#
# Our code builds with -Wall -Wextra -Werror.  libdpdk's cflags (-march, -include
# rte_config.h) are given only to agent translation units that use DPDK; the controller
# never links DPDK (DESIGN.md, "Processes").

CC       ?= gcc
PREFIX   ?= /usr/local
BUILD    ?= build
PKG_CONFIG ?= pkg-config

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -D_GNU_SOURCE -MMD -MP -I.
# Where Debian's DPDK keeps its driver plugins (controller/drivers.h checks them).
DPDK_LIBDIR := $(shell $(PKG_CONFIG) --variable=libdir libdpdk 2>/dev/null)
CFLAGS   += -DISOLAB_DPDK_LIBDIR='"$(DPDK_LIBDIR)"' 

# Debian packages: `make deps` installs exactly these.
DEB_PKGS := build-essential pkg-config libdpdk-dev dpdk-dev libhwloc-dev hwloc libcgroup-dev \
            libsystemd-dev libcriterion-dev libjansson-dev libinih-dev gnuplot-nox python3

CTL_PKGS  := hwloc jansson libcgroup libsystemd inih
DPDK_PKGS := libdpdk
TEST_PKGS := criterion

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

TOPO_SRC  := topology/diag.c topology/util.c topology/cpulist.c topology/cmdline.c topology/hugepages.c \
             topology/topo.c topology/plan.c
CTL_SRC   := controller/cli.c controller/render.c controller/verb-topo.c controller/verb-plan.c \
             controller/cgroup.c controller/cgroup-v1.c controller/undo.c controller/matrix.c \
             controller/runner.c controller/verb-sweep.c controller/verb-report.c \
             controller/cleanup.c controller/verb-cleanup.c controller/cgroup-systemd.c \
             controller/report-noisy.c controller/scenario.c \
             controller/search.c controller/report-search.c controller/verb-plot.c \
             controller/drivers.c
AGENT_COMMON_SRC := agents/common/agent.c agents/common/proto.c
NOISE_SRC := agents/noise/registry.c agents/noise/w-cpu.c agents/noise/w-cache.c agents/noise/w-membw.c \
             agents/noise/w-ctxsw.c agents/noise/w-http.c agents/noise/w-idle.c agents/noise/w-exec.c
# Pure data-plane arithmetic, no DPDK: linked into the DPDK agents and the unit tests.
DP_SRC := agents/common/histo.c agents/common/pacing.c agents/common/frame.c
FUZZ_TARGETS := scenario options proto cpulist
FUZZ_SRC  := $(patsubst %,tests/fuzz/fuzz-%.c,$(FUZZ_TARGETS))
UNIT_SRC  := tests/unit/test-cpulist.c tests/unit/test-cmdline.c tests/unit/test-hugepages.c \
             tests/unit/test-util.c tests/unit/test-proto.c tests/unit/test-plan.c tests/unit/test-cli.c \
             tests/unit/test-dataplane.c tests/unit/test-cgroup.c tests/unit/test-runner-parts.c \
             tests/unit/test-cgroup-systemd.c tests/unit/test-noise.c \
             tests/unit/test-scenario.c tests/unit/test-search.c tests/unit/test-plot.c \
             tests/unit/test-fuzz-corpus.c tests/unit/test-drivers.c $(FUZZ_SRC)
SYS_SRC   := tests/system/test-topo-live.c tests/system/test-agents.c tests/system/test-dataplane.c \
             tests/system/test-links.c tests/system/test-cgroup-live.c tests/system/test-sweep.c \
             tests/system/agentproc.c tests/system/sysfix.c

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

BINS := $(BUILD)/isolab $(BUILD)/isolab-nf $(BUILD)/isolab-gen $(BUILD)/isolab-noise

.SECONDARY:
.PHONY: all deps check check-unit check-system demo install clean golden bench fuzz fuzz-deps
all: $(BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call pc_cflags,$(CTL_PKGS) $(AGENT_LIBS)) -c -o $@ $<

# Only the agent files that include DPDK headers get libdpdk's flags.
DPDK_SRC := agents/common/eal.c agents/common/port.c agents/common/link.c agents/nf/main.c agents/gen/main.c
$(call obj,$(DPDK_SRC)): $(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call pc_cflags,$(DPDK_PKGS)) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call pc_cflags,$(CTL_PKGS) $(TEST_PKGS)) -DISOLAB_BUILD='"$(abspath $(BUILD))"' \
	  -DISOLAB_SRC='"$(abspath .)"' -c -o $@ $<

$(BUILD)/libisolab-topo.a: $(call obj,$(TOPO_SRC))
	$(AR) rcs $@ $^

$(BUILD)/libisolab-ctl.a: $(call obj,$(CTL_SRC))
	$(AR) rcs $@ $^

$(BUILD)/isolab: $(BUILD)/controller/main.o $(BUILD)/libisolab-ctl.a $(BUILD)/libisolab-topo.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(CTL_PKGS)) -lm

AGENT_LIBS := jansson libsystemd

$(BUILD)/isolab-nf $(BUILD)/isolab-gen: $(BUILD)/isolab-%: $(BUILD)/agents/%/main.o $(BUILD)/agents/common/eal.o \
                                        $(BUILD)/agents/common/port.o $(BUILD)/agents/common/link.o \
                                        $(call obj,$(AGENT_COMMON_SRC) $(DP_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(DPDK_PKGS) $(AGENT_LIBS)) -lm

$(BUILD)/isolab-noise: $(BUILD)/agents/noise/main.o $(call obj,$(AGENT_COMMON_SRC) $(NOISE_SRC)) $(BUILD)/topology/util.o
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(call pc_libs,$(AGENT_LIBS)) -lm

$(BUILD)/test-unit: $(call obj,$(UNIT_SRC)) $(BUILD)/agents/common/proto.o $(call obj,$(DP_SRC) $(NOISE_SRC)) \
                    $(BUILD)/libisolab-ctl.a $(BUILD)/libisolab-topo.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(CTL_PKGS) $(TEST_PKGS)) -lm

$(BUILD)/test-system: $(call obj,$(SYS_SRC)) $(BUILD)/libisolab-ctl.a $(BUILD)/libisolab-topo.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(CTL_PKGS) $(TEST_PKGS)) -lm

# The README's test command.  Unit tests need no root; system tests need root and say so.
CRITERION_ARGS ?= --verbose

check: check-unit check-system
check-unit: $(BINS) $(BUILD)/test-unit
	$(BUILD)/test-unit --jobs=2 $(CRITERION_ARGS)
check-system: $(BINS) $(BUILD)/test-system
	$(BUILD)/test-system --jobs=2 $(CRITERION_ARGS)

# Regenerate the golden outputs after a reviewed change of the planner or renderers.
golden: $(BUILD)/test-unit
	ISOLAB_UPDATE_GOLDEN=1 $(BUILD)/test-unit --filter 'golden/*'
	git diff --stat tests/golden

# The README's main job: a short CPU-quota sweep on this machine (root), and its table.
DEMO_ARGS ?= --cpu-quota 100,75,50,25,12.5 --frame-sizes 64 --repetitions 3 --duration 2s --warmup 1s
demo: $(BINS)
	$(BUILD)/isolab plan
	$(BUILD)/isolab sweep $(DEMO_ARGS)

# Benchmarks against dpdk-testpmd (root; not a test: it reports ratios, it asserts nothing).
bench: $(BINS)
	python3 bench/bench.py $(BENCH_ARGS)

# Fuzzing (libFuzzer, clang from Debian): every target for FUZZ_SECONDS, starting from
# the committed corpus; new inputs go to build/fuzz/corpus-TARGET, crashes to
# build/fuzz/crash-* — copy one into tests/fuzz/corpus/TARGET/ and it becomes a
# regression test (tests/unit/test-fuzz-corpus.c).
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_PKGS    := clang libclang-rt-14-dev
FUZZ_LIBSRC  := controller/cli.c controller/scenario.c controller/verb-sweep.c controller/cgroup.c controller/cgroup-v1.c \
                controller/cgroup-systemd.c controller/undo.c controller/matrix.c controller/runner.c controller/cleanup.c \
                controller/render.c controller/search.c controller/verb-report.c controller/report-noisy.c \
                controller/report-search.c controller/verb-topo.c controller/drivers.c agents/common/proto.c $(TOPO_SRC)
fuzz-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(FUZZ_PKGS)"
$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_LIBSRC) tests/fuzz/fuzz.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -DISOLAB_FUZZ_MAIN -DISOLAB_DPDK_LIBDIR='"$(DPDK_LIBDIR)"'  -fsanitize=fuzzer,address,undefined \
	  $(call pc_cflags,$(CTL_PKGS)) -o $@ $< $(FUZZ_LIBSRC) $(call pc_libs,$(CTL_PKGS)) -lm
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory $(patsubst %,$(BUILD)/fuzz/fuzz-%,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/fuzz/corpus-$$t; \
	  echo "make fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  $(BUILD)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -artifact_prefix=$(BUILD)/fuzz/ \
	    $(BUILD)/fuzz/corpus-$$t tests/fuzz/corpus/$$t 2>&1 | tail -3; \
	done

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: all $(words $(DEB_PKGS)) packages present"; fi

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
