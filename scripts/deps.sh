#!/usr/bin/env bash
# Installs what building and testing the GCS needs on a fresh Debian machine
# (as root): Debian packages that are missing, and the Go modules. Safe to
# run again: it installs nothing that is already there.
set -euo pipefail

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
# command -> Debian package
for pair in "runc:runc" "crun:crun" "busybox:busybox-static" "ip:iproute2" "mkfs.ext4:e2fsprogs" "mkfs.xfs:xfsprogs"; do
	cmd=${pair%%:*} pkg=${pair##*:}
	have "$cmd" || need_pkgs+=("$pkg")
done
if ! dpkg -s busybox-static >/dev/null 2>&1; then
	# A dynamic busybox cannot be copied into a rootfs on its own.
	need_pkgs+=(busybox-static)
fi
if ((${#need_pkgs[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps: missing ${need_pkgs[*]}; run as root to install them" >&2
		exit 1
	fi
	echo "deps: installing ${need_pkgs[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if ! have go; then
	echo "deps: Go is not on PATH (expected /usr/local/go/bin/go, Go >= 1.26)" >&2
	exit 1
fi
go mod download
