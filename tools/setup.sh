#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything kvmod needs to build and test, from Debian packages only.
# Idempotent: a second run installs nothing and only re-checks.
#
#  - toolchain, qemu-system-x86, busybox-static, cpio, kmod; linux-perf
#    (perf in the test VM) and librsvg2-bin (PNG of the tools/bench chart);
#    dkms (make check's DKMS test, tools/install-test)
#  - linux-headers-<abi>-amd64 (the build tree for the test VM's kernel)
#  - linux-image-<abi>-amd64-unsigned, unpacked into $KVMOD_CACHE (never
#    installed as this machine's kernel)
#  - linux-source-<ver>, unpacked into $KVMOD_CACHE for kselftest_harness.h
#    and scripts/checkpatch.pl
#
# <abi> comes from whatever linux-headers-amd64 depends on, so a newer
# Debian kernel ABI keeps working.
set -euo pipefail

CACHE=${KVMOD_CACHE:-/var/cache/kvmod}

log() { echo "setup: $*"; }

# shellcheck source=tools/lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"

apt_install build-essential make gcc libc6-dev bc bison flex libelf-dev \
	libssl-dev dwarves qemu-system-x86 qemu-utils busybox-static cpio kmod \
	xz-utils zstd python3 perl clang llvm libbpf-dev bpftool linux-perf \
	librsvg2-bin bpftrace bochs bochs-term bochsbios vgabios libclang-rt-dev dkms

# Resolve the Debian kernel ABI through the linux-headers-amd64 meta package.
ABI=$(apt-cache depends linux-headers-amd64 2>/dev/null |
	sed -n 's/.*Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -n1)
if [ -z "$ABI" ]; then
	apt_update_once
	ABI=$(apt-cache depends linux-headers-amd64 |
		sed -n 's/.*Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -n1)
fi
[ -n "$ABI" ] || { echo "setup: cannot resolve the Debian kernel ABI" >&2; exit 1; }
KREL="$ABI-amd64"
log "Debian kernel $KREL"

apt_install "linux-headers-$KREL"

mkdir -p "$CACHE"
# The kernel image: download the .deb and unpack it, never install it.
KIMG="$CACHE/kernel-$KREL"
if [ ! -f "$KIMG/.done" ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq "linux-image-$KREL-unsigned")
	rm -rf "$KIMG"
	mkdir -p "$KIMG"
	dpkg-deb -x "$tmp"/linux-image-"$KREL"-unsigned_*.deb "$KIMG"
	rm -rf "$tmp"
	touch "$KIMG/.done"
	log "unpacked linux-image-$KREL-unsigned into $KIMG"
fi

# The kernel source (kselftest harness, checkpatch), matching the version.
SRCVER=$(echo "$ABI" | sed -n 's/^\([0-9]*\.[0-9]*\)\..*/\1/p')
apt_install "linux-source-$SRCVER"
KSRC="$CACHE/linux-source-$SRCVER"
if [ ! -f "$KSRC/.done" ]; then
	tarball=$(ls /usr/src/linux-source-"$SRCVER".tar.* | head -n1)
	rm -rf "$KSRC"
	mkdir -p "$KSRC"
	tar -xf "$tarball" -C "$KSRC" --strip-components=1 \
		"linux-source-$SRCVER/tools" "linux-source-$SRCVER/scripts" \
		"linux-source-$SRCVER/include/uapi" "linux-source-$SRCVER/arch/x86/include/uapi"
	touch "$KSRC/.done"
	log "unpacked linux-source-$SRCVER (tools, scripts) into $KSRC"
fi

# One file the Makefile and the test-VM scripts read.
cat >"$CACHE/env.mk.tmp" <<EOT
KVMOD_KREL := $KREL
KVMOD_KDIR := /usr/src/linux-headers-$KREL
KVMOD_KIMG := $KIMG
KVMOD_KSRC := $KSRC
EOT
mv "$CACHE/env.mk.tmp" "$CACHE/env.mk"
log "ok ($CACHE/env.mk)"
