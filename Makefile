# SPDX-License-Identifier: GPL-2.0
# fwctl: one build for the BPF programs, their skeletons, fwctl, tests and benchmarks.
# `make help` lists the targets; V=1 shows full commands; OUTPUT=dir builds elsewhere;
# FW_MAX_IFACES=N builds for N interfaces per namespace (BPF maps and fwctl alike).

OUTPUT ?= build
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
# Recursive (=), not :=: read when a recipe runs, after the deps step has
# installed the compiler, never while make parses this file.
ARCH_INC = /usr/include/$(shell $(CC) -print-multiarch)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

LIBS := libbpf libxdp libnl-3.0 libnl-route-3.0 jansson
# libcurl and libmicrohttpd: their headers only; ctl/docker.c and
# ctl/metrics_http.c open them on first use.
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP \
	  -I$(OUTPUT) -Ixdp -DFWCTL_VERSION='"$(VERSION)"'
# BPF_EXTRA_CFLAGS: e.g. -DFW_TEST_REFUSED (tests/e2e_refused.sh)
BPF_CFLAGS = -target bpf -O2 -g -Wall -Wextra -Werror -MMD -MP -I$(ARCH_INC) -Ixdp \
	      $(BPF_EXTRA_CFLAGS)
# One limit for both sides of the ABI; the stamp rebuilds everything when it changes.
FW_MAX_IFACES ?=
LIMITS_STAMP := $(OUTPUT)/.limits-$(or $(FW_MAX_IFACES),default)
ifneq ($(FW_MAX_IFACES),)
CFLAGS += -DFW_MAX_IFACES=$(FW_MAX_IFACES)
BPF_CFLAGS += -DFW_MAX_IFACES=$(FW_MAX_IFACES)
endif
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS) libcurl libmicrohttpd 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(LIBS) 2>/dev/null) -lelf -lz

BPF_SRCS := xdp/fw_xdp.bpf.c tc/fw_tc.bpf.c xdp/fw_lease.bpf.c
BPF_OBJS := $(patsubst %.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(OUTPUT)/fw_xdp.skel.h $(OUTPUT)/fw_tc.skel.h $(OUTPUT)/fw_lease.skel.h
# Benchmark-only BPF objects (bench/*.bpf.c): never part of fwctl.
BENCH_SKELS := $(patsubst bench/%.bpf.c,$(OUTPUT)/%.skel.h,$(wildcard bench/*.bpf.c))
CTL_SRCS := $(wildcard ctl/*.c)
CTL_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(CTL_SRCS))
# Every tests/unit/*.c and bench/*.c is one program, linked with the skeletons.
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(OUTPUT)/bench/%,$(filter-out %.bpf.c,$(wildcard bench/*.c)))
# One stamp per group of packages (tools/install-deps.sh): each target installs
# only what it needs, once.
DEPS_STAMP := $(OUTPUT)/.deps-build
deps_stamp = $(OUTPUT)/.deps-$(1)

.DELETE_ON_ERROR:
# Nothing is an intermediate to delete: the objects and skeletons stay, so a
# second make does nothing.
.SECONDARY:
.PHONY: all deps help test bench fuzz soak demo man install uninstall clean format

MAN_PAGE := $(if $(wildcard docs/usage.md),$(OUTPUT)/fwctl.8)

all: $(OUTPUT)/fwctl $(UNIT_BINS) $(BENCH_BINS) $(MAN_PAGE)

help:
	@echo 'make            build fwctl, BPF objects, tests and benchmarks into $(OUTPUT)/'
	@echo 'make deps       install every missing dependency (Debian, needs root); each target installs its own'
	@echo 'make test       run the whole test suite (root): unit, CLI, namespace end-to-end'
	@echo 'make bench      run the benchmarks and print ratios against baselines (QUICK=1: short)'
	@echo 'make fuzz       fuzz the shared parser for FUZZ_SECONDS (default 600); not in CI'
	@echo 'make soak       10-minute traffic + rule churn + container churn leak check; not in CI'
	@echo 'make man        render the fwctl(8) man page from docs/usage.md'
	@echo 'make demo       bridge + two containers in namespaces, ICMP blocked, HTTP passing'
	@echo 'make install    install to $$(DESTDIR)$$(PREFIX); make uninstall removes it'
	@echo 'make format     clang-format every C file'
	@echo 'make clean      remove $(OUTPUT)/'
	@echo 'V=1 shows full commands; OUTPUT=dir builds out of tree'
	@echo 'FW_MAX_IFACES=N: interfaces per namespace (default: xdp/fw_abi.h), e.g.'
	@echo '                 make OUTPUT=/tmp/b1024 FW_MAX_IFACES=1024'

# Installs only what is missing; the stamp keeps later builds from asking again.
# `make deps` installs every group.
deps: $(foreach g,build test demo bench,$(call deps_stamp,$(g)))
$(OUTPUT)/.deps-%: tools/install-deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)bash tools/install-deps.sh $*
	$(Q)touch $@

$(LIMITS_STAMP):
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $(OUTPUT)/.limits-*
	$(Q)touch $@

$(OUTPUT)/%.bpf.o: %.bpf.c $(LIMITS_STAMP) | $(DEPS_STAMP)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/xdp/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/tc/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/bench/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(addsuffix .o,$(BENCH_BINS)): $(BENCH_SKELS)

$(OUTPUT)/%.o: %.c $(SKELS) $(LIMITS_STAMP) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(OUTPUT)/fwctl: $(CTL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# tests/unit/ctl_*.c test fwctl's own control logic: linked with its objects.
$(OUTPUT)/tests/ctl_%: $(OUTPUT)/tests/unit/ctl_%.o $(filter-out %/main.o,$(CTL_OBJS))
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(OUTPUT)/tests/%: $(OUTPUT)/tests/unit/%.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(OUTPUT)/bench/%: $(OUTPUT)/bench/%.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

test: all $(call deps_stamp,test)
	$(Q)bash tests/run.sh $(TESTS)

bench: all $(call deps_stamp,bench)
	$(Q)QUICK=$(QUICK) bash bench/run.sh

fuzz: all $(call deps_stamp,test)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh

soak: all $(call deps_stamp,test)
	$(Q)bash tests/soak.sh

# One source for the README's usage section and the man page.
man: $(OUTPUT)/fwctl.8
$(OUTPUT)/fwctl.8: docs/usage.md tools/mkman.sh | $(DEPS_STAMP)
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)bash tools/mkman.sh docs/usage.md $(VERSION) > $@

# The BPF objects are embedded in fwctl (skeletons): nothing else to ship.
BINDIR := $(DESTDIR)$(PREFIX)/sbin
MANDIR := $(DESTDIR)$(PREFIX)/share/man/man8
UNITDIR := $(DESTDIR)$(PREFIX)/lib/systemd/system
COMPDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
UNITS := $(wildcard deploy/systemd/*.service)

install: $(OUTPUT)/fwctl $(OUTPUT)/fwctl.8
	install -D -m 0755 $(OUTPUT)/fwctl $(BINDIR)/fwctl
	install -D -m 0644 $(OUTPUT)/fwctl.8 $(MANDIR)/fwctl.8
	install -D -m 0644 deploy/completion/fwctl.bash $(COMPDIR)/fwctl
	install -d $(UNITDIR)
	$(foreach u,$(UNITS),sed 's|/usr/local/sbin/fwctl|$(PREFIX)/sbin/fwctl|g' $(u) \
		>$(UNITDIR)/$(notdir $(u)) && chmod 0644 $(UNITDIR)/$(notdir $(u));)

uninstall:
	rm -f $(BINDIR)/fwctl $(MANDIR)/fwctl.8 $(COMPDIR)/fwctl
	$(foreach u,$(UNITS),rm -f $(UNITDIR)/$(notdir $(u));)

demo: all $(call deps_stamp,demo)
	$(Q)bash netns/demo.sh

format:
	$(Q)clang-format -i $(shell git ls-files '*.c' '*.h')

clean:
	$(Q)rm -rf $(OUTPUT)

-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)
