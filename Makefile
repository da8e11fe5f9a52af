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

PREFIX   ?= /usr/local
BUILD    ?= $(if $(SANITIZE),build/sanitize,build)
PKG_CONFIG ?= pkg-config
VERSION  := $(shell awk -F'[()]' 'NR == 1 { print $$2 }' debian/changelog 2>/dev/null)

# Where `make install` puts things (GNU directory variables).  The agents are not user
# commands: they go to libexec/isolab, where isolab finds them relative to itself.
BINDIR      ?= $(PREFIX)/bin
LIBEXECDIR  ?= $(PREFIX)/libexec/isolab
DATADIR     ?= $(PREFIX)/share/isolab
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

# The user's CFLAGS, CPPFLAGS and LDFLAGS (Debian's build tools pass theirs) come first
# and are kept; the project's own flags follow them, so neither can drop the other.
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes
# Where Debian's DPDK keeps its driver plugins (controller/drivers.h checks them).
DPDK_LIBDIR := $(shell $(PKG_CONFIG) --variable=libdir libdpdk 2>/dev/null)
ISOLAB_CPPFLAGS := -D_GNU_SOURCE -I. -DISOLAB_VERSION='"$(VERSION)"' -DISOLAB_DPDK_LIBDIR='"$(DPDK_LIBDIR)"'
ISOLAB_CFLAGS   := -std=gnu11 $(WARN) -MMD -MP
# make SANITIZE=address,undefined check-unit: ASan+UBSan on everything built (own build dir).
ifneq ($(SANITIZE),)
ISOLAB_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
ISOLAB_LDFLAGS += -fsanitize=$(SANITIZE)
endif
COMPILE = $(CC) $(CPPFLAGS) $(ISOLAB_CPPFLAGS) $(CFLAGS) $(ISOLAB_CFLAGS)
LINK    = $(CC) $(CFLAGS) $(ISOLAB_CFLAGS) $(LDFLAGS) $(ISOLAB_LDFLAGS)

# A change of compiler or flags rebuilds everything in $(BUILD) (make CC=clang after a gcc
# build): every object depends on this stamp, rewritten only when the flags changed.
FLAGS_SIG := $(CC) | $(CPPFLAGS) | $(CFLAGS) | $(LDFLAGS) | $(SANITIZE)
$(shell mkdir -p $(BUILD))
same = $(and $(findstring x$(1)x,x$(2)x),$(findstring x$(2)x,x$(1)x))

# Debian packages: `make deps` installs exactly these.
DEB_PKGS := build-essential pkg-config libdpdk-dev dpdk-dev libhwloc-dev hwloc libcgroup-dev \
            libsystemd-dev libcriterion-dev libjansson-dev libinih-dev gnuplot-nox python3 \
            clang man-db bash-completion openvswitch-switch-dpdk docker.io podman tini openssh-server openssh-client
# What `make deb` needs besides them.
DEB_BUILD_PKGS := debhelper dpkg-dev

# pkg-config module -> the Debian package that ships it (for the error when one is missing).
PC_DEBIAN := hwloc:libhwloc-dev jansson:libjansson-dev libcgroup:libcgroup-dev libsystemd:libsystemd-dev \
             inih:libinih-dev libdpdk:libdpdk-dev criterion:libcriterion-dev
CTL_PKGS  := hwloc jansson libcgroup libsystemd inih
DPDK_PKGS := libdpdk
TEST_PKGS := criterion
AGENT_LIBS := jansson libsystemd

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)
CTL_CFLAGS   := $(call pc_cflags,$(CTL_PKGS))
CTL_LIBS     := $(call pc_libs,$(CTL_PKGS))
DPDK_CFLAGS  := $(call pc_cflags,$(DPDK_PKGS) $(AGENT_LIBS))
DPDK_LIBS    := $(call pc_libs,$(DPDK_PKGS) $(AGENT_LIBS))
AGENT_LDLIBS := $(call pc_libs,$(AGENT_LIBS))
TEST_CFLAGS  := $(call pc_cflags,$(CTL_PKGS) $(TEST_PKGS))
TEST_LIBS    := $(call pc_libs,$(CTL_PKGS) $(TEST_PKGS))

BASE_SRC  := base/optdoc.c base/util.c base/diag.c base/linebuf.c base/spawn.c
TOPO_SRC  := topology/cpulist.c topology/cmdline.c topology/hugepages.c \
             topology/topo.c topology/plan.c
# Every controller file: a new NF kind, method or verb is one file (and its table entry).
CTL_SRC   := $(filter-out controller/main.c,$(sort $(wildcard controller/*.c))) agents/common/linkspec.c agents/common/nfwork.c agents/common/histo.c
AGENT_COMMON_SRC := agents/common/agent.c agents/common/proto.c agents/common/opts.c agents/common/linkspec.c
NOISE_SRC := agents/noise/registry.c agents/noise/w-cpu.c agents/noise/w-cache.c agents/noise/w-membw.c \
             agents/noise/w-ctxsw.c agents/noise/w-http.c agents/noise/w-idle.c agents/noise/w-exec.c
# Pure data-plane arithmetic, no DPDK: linked into the DPDK agents and the unit tests.
DP_SRC := agents/common/histo.c agents/common/pacing.c agents/common/frame.c agents/common/nfwork.c agents/common/tsc.c
FUZZ_TARGETS := scenario options proto cpulist plotquote results
FUZZ_SRC  := $(patsubst %,tests/fuzz/fuzz-%.c,$(FUZZ_TARGETS))
UNIT_SRC  := tests/unit/test-cpulist.c tests/unit/test-cmdline.c tests/unit/test-hugepages.c \
             tests/unit/test-util.c tests/unit/test-proto.c tests/unit/test-plan.c tests/unit/test-cli.c \
             tests/unit/test-dataplane.c tests/unit/test-cgroup.c tests/unit/test-runner-parts.c \
             tests/unit/test-cgroup-systemd.c tests/unit/test-noise.c \
             tests/unit/test-scenario.c tests/unit/test-search.c tests/unit/test-plot.c \
             tests/unit/test-fuzz-corpus.c tests/unit/test-drivers.c tests/unit/test-manual.c \
             tests/unit/test-install.c tests/unit/test-engine.c tests/unit/test-stats.c tests/unit/test-genhost.c $(FUZZ_SRC)
SYS_SRC   := tests/system/test-topo-live.c tests/system/test-agents.c tests/system/test-dataplane.c \
             tests/system/test-links.c tests/system/test-cgroup-live.c tests/system/test-sweep.c tests/system/test-security.c \
             tests/system/agentproc.c tests/system/sysfix.c tests/system/ownrun.c

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

BINS   := $(BUILD)/isolab $(BUILD)/isolab-nf $(BUILD)/isolab-gen $(BUILD)/isolab-noise
AGENTS := nf gen noise
# Manual pages: MAN/NAME.SECTION.in with the option lists the programs print from the
# tables that drive their parsing and --help (one source of truth; tests/unit/test-manual.c).
MANS   := $(BUILD)/man/isolab.1 $(BUILD)/man/isolab-nf.8 $(BUILD)/man/isolab-gen.8 $(BUILD)/man/isolab-noise.8

.SECONDARY:
.PHONY: FORCE all deps deb-deps check check-unit check-system demo install uninstall clean golden bench fuzz fuzz-deps \
        deb pkgcheck man
all: $(BINS) $(MANS)
man: $(MANS)
$(BUILD)/.flags: FORCE
	@$(if $(call same,$(file <$@),$(FLAGS_SIG)),:,$(file >$@,$(FLAGS_SIG)) echo "make: flags changed: rebuilding $(BUILD)")
FORCE:

# Every pkg-config module the build needs, each named with its Debian package when missing.
pkgcheck:
	@for m in $(PC_DEBIAN); do \
	  $(PKG_CONFIG) --exists $${m%%:*} 2>/dev/null || { \
	    echo "make: pkg-config does not find $${m%%:*}: install the Debian package $${m#*:} (make deps installs them all)" >&2; \
	    exit 1; }; \
	done

$(BUILD)/%.o: %.c $(BUILD)/.flags | pkgcheck
	@mkdir -p $(dir $@)
	$(COMPILE) $(CTL_CFLAGS) -c -o $@ $<

# Only the agent files that include DPDK headers get libdpdk's flags.
DPDK_SRC := agents/common/eal.c agents/common/port.c agents/common/link.c agents/nf/main.c agents/gen/main.c
$(call obj,$(DPDK_SRC)): $(BUILD)/%.o: %.c $(BUILD)/.flags | pkgcheck
	@mkdir -p $(dir $@)
	$(COMPILE) $(DPDK_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c $(BUILD)/.flags | pkgcheck
	@mkdir -p $(dir $@)
	$(COMPILE) $(TEST_CFLAGS) -DISOLAB_BUILD='"$(abspath $(BUILD))"' -DISOLAB_SRC='"$(abspath .)"' -c -o $@ $<

# An archive is made anew, and again when the Makefile (its member list) changes.
$(BUILD)/libisolab-base.a: $(call obj,$(BASE_SRC)) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

$(BUILD)/libisolab-topo.a: $(call obj,$(TOPO_SRC)) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

$(BUILD)/libisolab-ctl.a: $(call obj,$(CTL_SRC)) Makefile
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

CTL_ARCHIVES := $(BUILD)/libisolab-ctl.a $(BUILD)/libisolab-topo.a $(BUILD)/libisolab-base.a

$(BUILD)/isolab: $(BUILD)/controller/main.o $(CTL_ARCHIVES)
	$(LINK) -o $@ $^ $(CTL_LIBS) -lm

$(BUILD)/isolab-nf $(BUILD)/isolab-gen: $(BUILD)/isolab-%: $(BUILD)/agents/%/main.o $(BUILD)/agents/common/eal.o \
                                        $(BUILD)/agents/common/port.o $(BUILD)/agents/common/link.o \
                                        $(call obj,$(AGENT_COMMON_SRC) $(DP_SRC)) $(BUILD)/libisolab-base.a
	$(LINK) -o $@ $^ $(DPDK_LIBS) -lm

$(BUILD)/isolab-noise: $(BUILD)/agents/noise/main.o $(call obj,$(AGENT_COMMON_SRC) $(NOISE_SRC)) $(BUILD)/libisolab-base.a
	$(LINK) -pthread -o $@ $^ $(AGENT_LDLIBS) -lm

$(BUILD)/test-unit: $(call obj,$(UNIT_SRC)) $(call obj,agents/common/proto.c agents/common/opts.c $(DP_SRC) $(NOISE_SRC)) \
                    $(CTL_ARCHIVES)
	$(LINK) -o $@ $^ $(TEST_LIBS) -lm

$(BUILD)/test-system: $(call obj,$(SYS_SRC)) $(CTL_ARCHIVES)
	$(LINK) -o $@ $^ $(TEST_LIBS) -lm

# A page is its template with the line "@OPTIONS@" replaced by what the program prints
# for `--roff-options`: the same table its parser and --help read.
define man_page
	@mkdir -p $(dir $@)
	$(word 2,$^) --roff-options > $@.options
	awk -v opts=$@.options -v version="$(VERSION)" \
	  '/^@OPTIONS@$$/ { while ((getline l < opts) > 0) print l; next } { gsub(/@VERSION@/, version); print }' $< > $@.tmp
	rm -f $@.options
	mv $@.tmp $@
endef
$(BUILD)/man/isolab.1: man/isolab.1.in $(BUILD)/isolab
	$(man_page)
$(BUILD)/man/isolab-%.8: man/isolab-%.8.in $(BUILD)/isolab-%
	$(man_page)

# The README's test command.  Unit tests need no root; system tests need root and say so.
CRITERION_ARGS ?= --verbose

check: check-unit check-system
check-unit: $(BINS) $(MANS) $(BUILD)/test-unit
	$(BUILD)/test-unit --jobs=2 $(CRITERION_ARGS)
check-system: $(BINS) $(BUILD)/test-system
	$(BUILD)/test-system --jobs=2 $(CRITERION_ARGS)

# Regenerate the golden outputs after a reviewed change of the planner or renderers.
golden: $(BUILD)/test-unit
	ISOLAB_UPDATE_GOLDEN=1 $(BUILD)/test-unit --filter 'golden/*'
	git diff --stat tests/golden

# The README's main job: a short CPU-quota sweep on this machine (root), and its table.
DEMO_ARGS ?= --cpu-quota 100,75,50,25,12.5 --frame-sizes 64 --repetitions 3 --duration 2s --warmup 1s --shuffle \
             --nf-work reads=4,writes=1,table=64M
demo: $(BINS)
	$(BUILD)/isolab plan
	$(BUILD)/isolab sweep $(DEMO_ARGS)

# Benchmarks against dpdk-testpmd (root; not a test: it reports ratios, it asserts nothing).
# make bench gen-layout: isolab-gen with its TX and RX counters packed on shared cache
# lines, as before they were split, to measure against the real one.
$(BUILD)/bench/gen-shared-lines.o: agents/gen/main.c $(BUILD)/.flags | pkgcheck
	@mkdir -p $(dir $@)
	$(COMPILE) $(DPDK_CFLAGS) -DISOLAB_GEN_SHARED_LINES -c -o $@ $<
$(BUILD)/bench/isolab-gen-shared-lines: $(BUILD)/bench/gen-shared-lines.o $(BUILD)/agents/common/eal.o \
                                        $(BUILD)/agents/common/port.o $(BUILD)/agents/common/link.o \
                                        $(call obj,$(AGENT_COMMON_SRC) $(DP_SRC)) $(BUILD)/libisolab-base.a
	$(LINK) -o $@ $^ $(DPDK_LIBS) -lm
bench: $(BINS) $(BUILD)/bench/isolab-gen-shared-lines
	python3 bench/bench.py $(BENCH_ARGS)

# Fuzzing (libFuzzer, clang from Debian): every target for FUZZ_SECONDS, starting from
# the committed corpus; new inputs go to build/fuzz/corpus-TARGET, crashes to
# build/fuzz/crash-* — copy one into tests/fuzz/corpus/TARGET/ and it becomes a
# regression test (tests/unit/test-fuzz-corpus.c).
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_PKGS    := clang libclang-rt-14-dev
FUZZ_LIBSRC  := $(CTL_SRC) agents/common/proto.c $(TOPO_SRC) $(BASE_SRC)
fuzz-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(FUZZ_PKGS)"
$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_LIBSRC) tests/fuzz/fuzz.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -DISOLAB_FUZZ_MAIN -DISOLAB_VERSION='"$(VERSION)"' -DISOLAB_DPDK_LIBDIR='"$(DPDK_LIBDIR)"'  -fsanitize=fuzzer,address,undefined \
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

# Installed layout (GNU directories; Debian's package uses PREFIX=/usr):
#   bin/isolab, libexec/isolab/isolab-{nf,gen,noise}, share/isolab/scenarios/*.ini,
#   share/man/man1/isolab.1, share/man/man8/isolab-*.8, bash completion.
# `make uninstall` with the same PREFIX and DESTDIR removes exactly these.
SCENARIOS := $(wildcard scenarios/*.ini)
INSTALLED := $(BINDIR)/isolab $(patsubst %,$(LIBEXECDIR)/isolab-%,$(AGENTS)) \
             $(patsubst scenarios/%,$(DATADIR)/scenarios/%,$(SCENARIOS)) \
             $(MANDIR)/man1/isolab.1 $(patsubst %,$(MANDIR)/man8/isolab-%.8,$(AGENTS)) $(BASHCOMPDIR)/isolab
install: $(BINS) $(MANS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)/scenarios \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BUILD)/isolab $(DESTDIR)$(BINDIR)/
	install -m 0755 $(patsubst %,$(BUILD)/isolab-%,$(AGENTS)) $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 $(SCENARIOS) $(DESTDIR)$(DATADIR)/scenarios/
	install -m 0644 $(BUILD)/man/isolab.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(patsubst %,$(BUILD)/man/isolab-%.8,$(AGENTS)) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 dist/bash-completion/isolab $(DESTDIR)$(BASHCOMPDIR)/isolab

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DATADIR)/scenarios $(DESTDIR)$(DATADIR) $(DESTDIR)$(LIBEXECDIR) 2>/dev/null

# A Debian package built with Debian's own tools (debian/), from a copy of the tracked
# tree in $(BUILD)/deb so the source tree stays as it is; the .deb lands in $(BUILD)/deb.
deb-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) $(DEB_BUILD_PKGS)"
deb: deb-deps
	rm -rf $(BUILD)/deb
	mkdir -p $(BUILD)/deb/isolab-$(VERSION)
	if [ -d .git ]; then git ls-files -z | xargs -0 cp --parents -t $(BUILD)/deb/isolab-$(VERSION); \
	else tar --exclude=./build --exclude=./results -cf - . | tar -xf - -C $(BUILD)/deb/isolab-$(VERSION); fi
	cd $(BUILD)/deb/isolab-$(VERSION) && dpkg-buildpackage -us -uc -b
	@ls -l $(BUILD)/deb/*.deb

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
