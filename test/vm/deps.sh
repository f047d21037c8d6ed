#!/usr/bin/env bash
# Installs the Debian packages the VM harness needs on the build machine, as
# root: qemu (TCG only, no recommends), the tools that build the initramfs,
# and the binaries copied into it. The kernel is not installed here: the
# image build downloads its .deb and unpacks it into the cache.
# Safe to run again; it always refreshes the package lists first, so that
# `apt-get download` of the kernel finds the current version.
set -euo pipefail

pkgs=(
	qemu-system-x86 # the VM (TCG); seabios comes as a dependency
	cpio            # packs the initramfs
	kmod            # depmod and modprobe --show-depends for the guest's modules
	xz-utils        # the bzImage payload and compressed modules
	zstd            # in case the kernel payload is zstd
	busybox-static  # the guest's shell and the containers' rootfs
	runc            # the OCI runtime the guest's GCS uses
	crun            # optional second runtime in the guest
	e2fsprogs       # mkfs.ext4: disk images on the host, and in the guest
	xfsprogs        # mkfs.xfs in the guest
	dmsetup         # dm-verity / dm-crypt targets in the guest
	cryptsetup-bin  # cryptsetup (encrypted scratch) and veritysetup in the guest
)

if [[ $(id -u) -ne 0 ]]; then
	echo "vm-deps: must run as root to install ${pkgs[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "vm-deps: apt-get update"
apt-get update -qq
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "vm-deps: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v go >/dev/null 2>&1 && [[ ! -x /usr/local/go/bin/go ]]; then
	echo "vm-deps: Go is not installed (expected /usr/local/go/bin/go)" >&2
	exit 1
fi
echo "vm-deps: ok"
