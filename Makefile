# SPDX-License-Identifier: GPL-2.0
#
# kvmod: out-of-tree build, test VM runs and checks.
#
#   make            build the modules, tools and selftests
#   make run        boot the test VM, load kvmod-amd, boot Linux on it with
#                   Debian's QEMU (virtio disk and network) and print the
#                   exit profile (tools/linux-guest)
#   make run-demo   the same with the small demo VMM (tools/demo)
#   make check      unit tests and fuzz targets (FUZZ_TIME seconds each)
#                   on the host + selftests in the test VM + QEMU booting
#                   Linux on kvmod in LINUX_QUICK configurations + make
#                   install and DKMS in the test VM (tools/install-test)
#   make check-full make check, then every QEMU configuration on kvmod
#                   and in-tree KVM (kernel-irqchip on/split/off, 1/2/4 vCPUs)
#                   and QEMU booting Linux on kvmod-intel in Bochs; first
#                   make qemu-testbed, whose QEMU runs those test VMs
#   make qemu-testbed  build once, into $(KVMOD_CACHE), Debian's QEMU with
#                   two fixes for bugs of its emulated SVM and of
#                   kernel-irqchip=off (tools/qemu-testbed/build)
#   make check-intel-linux  that last run alone (INTEL_LINUX_MODULE=kvm-intel:
#                   on the in-tree kvm-intel)
#   make bench      exit-path benchmarks, in-tree KVM vs kvmod (build/bench)
#   make bench-linux  QEMU booting Linux to its shell, in-tree KVM vs kvmod
#                   in one test-VM boot: wall time, exits by reason
#   make checkpatch run the kernel's checkpatch.pl --strict on the C sources
#   make install    (as root, after make) the modules into
#                   /lib/modules/$(KREL)/updates and depmod, kvmod-stat and
#                   its BPF object under PREFIX, /etc/modprobe.d/kvmod.conf;
#                   DESTDIR= or INSTALL_MOD_PATH= to stage (README "Install")
#   make uninstall  remove exactly those files again
#
# KDIR: a user's /lib/modules/$(uname -r)/build when it exists, else the
# Debian headers tools/setup.sh installed. The test VM always runs the
# Debian kernel, so run/check build against those headers.

SHELL := /bin/bash

KVMOD_CACHE ?= /var/cache/kvmod
-include $(KVMOD_CACHE)/env.mk

HOST_KDIR := /lib/modules/$(shell uname -r)/build
ifeq ($(origin KDIR),undefined)
  ifneq ($(wildcard $(HOST_KDIR)/Makefile),)
    KDIR := $(HOST_KDIR)
  else
    KDIR := $(KVMOD_KDIR)
  endif
endif

MODULES := core/kvmod.ko mmu/kvmod-mmu.ko vendor-amd/kvmod-amd.ko irqchip/kvmod-irqchip.ko \
	   para/kvmod-para.ko
# make check: seconds each libFuzzer target runs
FUZZ_TIME ?= 20
TESTVM := tools/testvm
RESULTS := build/results

.PHONY: all modules tools bpf stat selftests unit run run-demo check \
	check-full bench bench-linux checkpatch clean setup testvm-modules \
	qemu-testbed install install-modules install-tools install-conf \
	uninstall uninstall-modules uninstall-tools uninstall-conf

all: modules tools bpf stat selftests

setup:
	tools/setup.sh

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers: run tools/setup.sh or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The modules for the test VM's Debian kernel.
testvm-modules:
	@test -n "$(KVMOD_KDIR)" || { echo "run tools/setup.sh first" >&2; exit 1; }
	$(MAKE) -C $(KVMOD_KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools

# BPF exit statistics: the programs and their skeleton loader kvmod-stat.
bpf:
	$(MAKE) -C bpf

stat: bpf
	$(MAKE) -C tools/stat

selftests:
	$(MAKE) -C selftests
	$(MAKE) -C selftests/stat

unit:
	$(MAKE) -C selftests/unit run

run: testvm-modules stat
	$(TESTVM) -- sh -c 'modprobe kvmod-amd && tools/linux-guest/boot --stat --name "Linux on kvmod"'

run-demo: testvm-modules tools stat
	$(TESTVM) -- sh -c 'modprobe kvmod-amd && tools/stat/kvmod-stat --once -- tools/demo/kvmod-demo --stats-dir /sys/kernel/debug/kvmod/%p-%v/vcpu0'

# QEMU booting Linux on kvmod-amd in make check ("irqchip:vCPUs" pairs,
# tools/linux-guest/matrix); make check-full runs every configuration.
LINUX_QUICK ?= on:1 on:2 split:2 off:1

check: testvm-modules tools stat selftests
	@mkdir -p $(RESULTS)
	@$(MAKE) -s -C selftests/unit run | tee $(RESULTS)/unit.log; \
	unit_rc=$${PIPESTATUS[0]}; \
	$(MAKE) -s -C selftests/unit fuzz-check FUZZ_TIME=$(FUZZ_TIME) \
		| tee $(RESULTS)/fuzz.log; \
	fuzz_rc=$${PIPESTATUS[0]}; \
	$(TESTVM) --out $(RESULTS)/vm -- sh -c \
		'modprobe kvmod-amd && KT_ONE_CPU=1 KVMOD_NO_KEEPER=1 KVMOD_MODULES="kvmod_para kvmod_irqchip kvmod_amd kvmod_mmu kvmod" selftests/run' \
		| tee $(RESULTS)/vm.log; \
	vm_rc=$${PIPESTATUS[0]}; \
	$(TESTVM) --out $(RESULTS)/stat -- sh -c \
		'modprobe kvmod-amd && selftests/stat/run' \
		| tee $(RESULTS)/stat.log; \
	stat_rc=$${PIPESTATUS[0]}; \
	$(TESTVM) --vendor intel --smp 2 --out $(RESULTS)/intel -- \
		tools/bochs/run-selftests kvmod-intel \
		| tee $(RESULTS)/intel.log; \
	intel_rc=$${PIPESTATUS[0]}; \
	$(TESTVM) --out $(RESULTS)/linux -- sh -c \
		'modprobe kvmod-amd && tools/linux-guest/matrix "$(LINUX_QUICK)"' \
		| tee $(RESULTS)/linux.log; \
	linux_rc=$${PIPESTATUS[0]}; \
	tools/install-test prepare >$(RESULTS)/install-prepare.log 2>&1 \
		|| cat $(RESULTS)/install-prepare.log; \
	$(TESTVM) --modules "" --out $(RESULTS)/install -- tools/install-test run \
		| tee $(RESULTS)/install.log; \
	install_rc=$${PIPESTATUS[0]}; \
	tools/sum-results $(RESULTS)/unit.log $$unit_rc \
		--host $(RESULTS)/fuzz.log $$fuzz_rc \
		$(RESULTS)/vm.log $$vm_rc $(RESULTS)/stat.log $$stat_rc \
		$(RESULTS)/intel.log $$intel_rc $(RESULTS)/linux.log $$linux_rc \
		$(RESULTS)/install.log $$install_rc

# Debian's QEMU with two one-line fixes (tools/qemu-testbed/build): the
# test VM's emulated SVM delivering an injected interrupt twice, and
# CPU_INTERRUPT_SIPI never cleared with kernel-irqchip=off on KVM (QEMU
# issue 3178). check-full runs its test VMs on it, and
# tools/linux-guest/matrix its off:2 and off:4 boots.
qemu-testbed:
	tools/qemu-testbed/build

# Every QEMU configuration, on kvmod-amd and on the in-tree kvm-amd (the
# reference, in its own test-VM boot), after make check; then QEMU booting
# Linux on kvmod-intel in Bochs (make check-intel-linux, one configuration).
# Those QEMU test VMs run on make qemu-testbed's QEMU.
check-full: qemu-testbed check
	@export KVMOD_TESTVM_QEMU=$$(tools/qemu-testbed/build --path); \
	$(TESTVM) --timeout 2400 --out $(RESULTS)/linux-full -- sh -c \
		'modprobe kvmod-amd && tools/linux-guest/matrix full' \
		| tee $(RESULTS)/linux-full.log; \
	full_rc=$${PIPESTATUS[0]}; \
	$(TESTVM) --timeout 2400 --out $(RESULTS)/linux-kvm -- sh -c \
		'modprobe kvm-amd && tools/linux-guest/matrix full' \
		| tee $(RESULTS)/linux-kvm.log; \
	kvm_rc=$${PIPESTATUS[0]}; \
	tools/bochs/linux-guest --out $(RESULTS)/intel-linux-kvmod-intel kvmod-intel \
		| tee $(RESULTS)/intel-linux-kvmod-intel.log; \
	intel_rc=$${PIPESTATUS[0]}; \
	echo "0 passed, 0 failed" >$(RESULTS)/none.log; \
	tools/sum-results $(RESULTS)/none.log 0 \
		$(RESULTS)/linux-full.log $$full_rc $(RESULTS)/linux-kvm.log $$kvm_rc \
		$(RESULTS)/intel-linux-kvmod-intel.log $$intel_rc

# The selftests on Intel VMX (EPT, unrestricted guest, VPID) in one Bochs
# boot (tools/testvm.md, "Intel (Bochs)"), on KVMOD_INTEL_MODULE: the
# in-tree kvm-intel by default, or kvmod-intel. INTEL_SKIP_TESTS: selftests
# the test bed cannot run (exit_test: Bochs 2.7 gives no external-interrupt
# VM exit while the guest has RFLAGS.IF=0, so its spinning guest never comes
# back). Ends with "N passed, N failed" (the clean kernel log counts as one).
KVMOD_INTEL_MODULE ?= kvm-intel
INTEL_SKIP_TESTS ?= exit_test

.PHONY: check-intel
check-intel: testvm-modules selftests
	@mkdir -p $(RESULTS)
	@echo "0 passed, 0 failed" >$(RESULTS)/intel-none.log; \
	$(TESTVM) --vendor intel --smp 2 --out $(RESULTS)/intel -- \
		tools/bochs/run-selftests $(KVMOD_INTEL_MODULE) $(INTEL_SKIP_TESTS) \
		| tee $(RESULTS)/intel.log; \
	intel_rc=$${PIPESTATUS[0]}; \
	tools/sum-results $(RESULTS)/intel-none.log 0 $(RESULTS)/intel.log $$intel_rc

# QEMU booting Linux (tools/linux-guest/boot: kernel-irqchip=on, 1 vCPU,
# 256 MiB, virtio disk and network) on INTEL_LINUX_MODULE, kvmod-intel by
# default or the in-tree kvm-intel, in one Bochs boot (tools/bochs/linux-guest;
# about 7 minutes). Prints the checks, the wall time to the guest's shell and
# to QEMU's exit, and "N passed, N failed".
INTEL_LINUX_MODULE ?= kvmod-intel

.PHONY: check-intel-linux
check-intel-linux: testvm-modules
	@mkdir -p $(RESULTS)
	@echo "0 passed, 0 failed" >$(RESULTS)/intel-none.log; \
	tools/bochs/linux-guest --out $(RESULTS)/intel-linux-$(INTEL_LINUX_MODULE) \
		$(INTEL_LINUX_MODULE) | tee $(RESULTS)/intel-linux-$(INTEL_LINUX_MODULE).log; \
	linux_rc=$${PIPESTATUS[0]}; \
	tools/sum-results $(RESULTS)/intel-none.log 0 \
		$(RESULTS)/intel-linux-$(INTEL_LINUX_MODULE).log $$linux_rc

# Exit-path benchmarks: in-tree KVM vs kvmod in one --icount test-VM boot;
# results in build/bench (tools/bench/README.md).
bench: testvm-modules tools
	tools/bench/bench $(BENCH_ARGS)

# Linux booted by QEMU to its shell, in-tree KVM then kvmod in one test-VM
# boot (tools/linux-guest/compare) under -icount: the times are
# instruction counts. BENCH_LINUX_VM= (empty) gives wall time in the
# 2-vCPU test VM instead. Results in build/bench-linux.
BENCH_LINUX_VM ?= --icount
bench-linux: testvm-modules stat tools
	@mkdir -p build/bench-linux
	$(TESTVM) $(BENCH_LINUX_VM) --timeout 3600 --out build/bench-linux -- \
		tools/linux-guest/compare | tee build/bench-linux/report.txt

# ---- make install / make uninstall (README "Install") ------------------------
#
# Installs what `make` built; never builds (run make as yourself first).
# KREL: the release of the kernel KDIR holds (the modules' vermagic must
# match). Modules: $(INSTALL_MOD_PATH)/lib/modules/$(KREL)/$(INSTALL_MOD_DIR),
# then depmod (skipped for a staged tree without the kernel's own modules).
# Programs: $(DESTDIR)$(PREFIX)/bin/kvmod-stat and
# $(DESTDIR)$(PREFIX)/lib/kvmod/kvmod_stat.bpf.o (found by kvmod-stat
# bpf-object). The modprobe configuration: $(DESTDIR)$(MODPROBE_DIR)/kvmod.conf.
# kvmod has no uapi header of its own: VMMs use the system's <linux/kvm.h>.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= updates
MODPROBE_DIR ?= /etc/modprobe.d
KREL ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
DEPMOD ?= $(or $(shell PATH=$$PATH:/sbin:/usr/sbin command -v depmod),depmod)
MODINFO ?= $(or $(shell PATH=$$PATH:/sbin:/usr/sbin command -v modinfo),modinfo)
ALL_MODULES := $(MODULES) vendor-intel/kvmod-intel.ko
MOD_DEST = $(INSTALL_MOD_PATH)/lib/modules/$(KREL)/$(INSTALL_MOD_DIR)
LIB_DEST = $(DESTDIR)$(PREFIX)/lib/kvmod

install: install-modules install-tools install-conf

install-modules:
	@test -n "$(KREL)" || { echo "install: no kernel release in $(KDIR) (set KDIR or KREL)" >&2; exit 1; }
	@for m in $(ALL_MODULES); do \
		test -f $$m || { echo "install: $$m missing: run make first" >&2; exit 1; }; \
	done; \
	v=$$($(MODINFO) -F vermagic $(ALL_MODULES) | cut -d' ' -f1 | sort -u); \
	test "$$v" = "$(KREL)" || { echo "install: modules built for $$v, not $(KREL): make KDIR=... again" >&2; exit 1; }
	install -d $(MOD_DEST)
	install -m 644 $(ALL_MODULES) $(MOD_DEST)/
	@$(run-depmod)

uninstall-modules:
	@test -n "$(KREL)" || { echo "uninstall: no kernel release in $(KDIR) (set KDIR or KREL)" >&2; exit 1; }
	rm -f $(addprefix $(MOD_DEST)/,$(notdir $(ALL_MODULES)))
	rmdir $(MOD_DEST) 2>/dev/null || true
	@$(run-depmod)

# depmod for KREL, of the staged tree with INSTALL_MOD_PATH.
define run-depmod
if [ -z "$(INSTALL_MOD_PATH)" ]; then \
	echo "$(DEPMOD) -a $(KREL)"; $(DEPMOD) -a $(KREL); \
elif [ -f $(INSTALL_MOD_PATH)/lib/modules/$(KREL)/modules.order ]; then \
	echo "$(DEPMOD) -b $(INSTALL_MOD_PATH) -a $(KREL)"; \
	$(DEPMOD) -b $(INSTALL_MOD_PATH) -a $(KREL); \
else \
	echo "staged in $(INSTALL_MOD_PATH) without the kernel's modules: run depmod $(KREL) on the target"; \
fi
endef

install-tools:
	@for f in tools/stat/kvmod-stat bpf/kvmod_stat.bpf.o; do \
		test -f $$f || { echo "install: $$f missing: run make first" >&2; exit 1; }; \
	done
	install -d $(DESTDIR)$(PREFIX)/bin $(LIB_DEST)
	install -m 755 tools/stat/kvmod-stat $(DESTDIR)$(PREFIX)/bin/
	install -m 644 bpf/kvmod_stat.bpf.o $(LIB_DEST)/

uninstall-tools:
	rm -f $(DESTDIR)$(PREFIX)/bin/kvmod-stat $(LIB_DEST)/kvmod_stat.bpf.o
	rmdir $(LIB_DEST) 2>/dev/null || true

install-conf:
	install -d $(DESTDIR)$(MODPROBE_DIR)
	install -m 644 tools/modprobe/kvmod.conf $(DESTDIR)$(MODPROBE_DIR)/

uninstall-conf:
	rm -f $(DESTDIR)$(MODPROBE_DIR)/kvmod.conf

uninstall: uninstall-modules uninstall-tools uninstall-conf

# The modules' build products only (dkms.conf's CLEAN).
.PHONY: clean-modules
clean-modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

checkpatch:
	$(KVMOD_KSRC)/scripts/checkpatch.pl --strict --no-tree --terse \
		--ignore SPDX_LICENSE_TAG -f $$(git ls-files '*.c' '*.h')

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C tools clean
	-$(MAKE) -C selftests clean
	-$(MAKE) -C selftests/unit clean
	-$(MAKE) -C selftests/stat clean
	-$(MAKE) -C tools/stat clean
	-$(MAKE) -C bpf clean
	rm -rf build
