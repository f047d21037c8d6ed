#!/usr/bin/env bash
# Usage: scripts/busybox-rootfs.sh DIR
#
# Builds a minimal root filesystem in DIR from the static busybox of
# Debian's busybox-static package (`make deps` installs it): bin/busybox, a
# symlink in bin/ for every applet, the directories proc sys dev etc tmp
# root, and etc/passwd, etc/group and etc/hostname with just root.
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1

# A dynamically linked busybox would not run inside the rootfs.
busybox=
for candidate in /bin/busybox /usr/bin/busybox; do
	# ldd (always there with glibc) fails on a static executable.
	if [[ -x $candidate ]] && ! ldd "$candidate" >/dev/null 2>&1; then
		busybox=$candidate
		break
	fi
done
if [[ -z $busybox ]]; then
	echo "$0: no static busybox found; install busybox-static (make deps)" >&2
	exit 1
fi

mkdir -p "$dir"/{bin,proc,sys,dev,etc,tmp,root}
chmod 1777 "$dir/tmp"
install -m 0755 "$busybox" "$dir/bin/busybox"
for applet in $("$busybox" --list); do
	# Linking "busybox" to itself would replace the binary.
	[[ $applet == busybox || $applet == */* ]] && continue
	ln -sf busybox "$dir/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
echo 'root:x:0:' >"$dir/etc/group"
echo 'busybox' >"$dir/etc/hostname"
