#!/usr/bin/env bash
# Demo: start the gcs daemon listening on a unix socket (never vsock CID 2
# here), then drive it by hand with gcsctl, the way a host would: negotiate,
# run a busybox container attached, then a detached one to exec into,
# inspect, kill, wait for and remove.
#
# Run as root after `make build` (`make demo` does both). Everything it
# makes lives in a temporary directory and a cgroup of its own, and is
# removed on exit, also when interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
	echo "demo: run as root (containers need it)" >&2
	exit 1
fi
for bin in bin/gcs bin/gcsctl; do
	if [[ ! -x $bin ]]; then
		echo "demo: $bin is missing; run 'make build' first" >&2
		exit 1
	fi
done

dir=$(mktemp -d /tmp/gcs-demo.XXXXXX)
# The GCS takes layers only from below its roots (its -root, /run/mounts,
# /run/layers): the image lives under the demo's -root.
rootfs=$dir/root/images/busybox
cgroup_parent=/gcs-demo-$$
containers=(demo1 demo2)
export GCSCTL_ADDR=unix://$dir/bridge.sock
export GCSCTL_RELAY=unix://$dir/relay # gcsctl listens where gcs -relay dials
export GCSCTL_ROOT=$dir/root          # gcs -root: bundles are ROOT/c/ID
gcs_pid=

# cleanup removes the containers, stops gcs and removes what is left: mounts
# under $dir, the demo's cgroups, $dir itself.
cleanup() {
	set +e
	if [[ -n $gcs_pid ]] && kill -0 "$gcs_pid" 2>/dev/null; then
		for id in "${containers[@]}"; do
			bin/gcsctl kill "$id" &>/dev/null
			# kill does not wait for the exit, and a running container
			# cannot be removed: retry for a moment.
			for _ in $(seq 20); do
				bin/gcsctl rm "$id" &>/dev/null && break
				bin/gcsctl ps "$id" &>/dev/null || break # no such container
				sleep 0.1
			done
			bin/gcsctl layers remove --id "$id" &>/dev/null
		done
		kill "$gcs_pid" 2>/dev/null
		wait "$gcs_pid" 2>/dev/null
	fi
	# Deepest first; the kernel's own escapes (\040) are left as they are.
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	find /sys/fs/cgroup -maxdepth 2 -type d -name "${cgroup_parent#/}" 2>/dev/null |
		while read -r cg; do find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# step CODE SHOWN CMD...: prints "$ SHOWN" and runs CMD, which must exit
# with CODE; a non-zero code is shown after the output.
step() {
	local want=$1 shown=$2 code=0
	shift 2
	echo "\$ $shown"
	"$@" || code=$?
	if [[ $code -ne 0 ]]; then
		echo "(exit code $code)"
	fi
	if [[ $code -ne $want ]]; then
		echo "demo: expected exit code $want" >&2
		exit 1
	fi
	echo
}

echo "Preparing a busybox rootfs in $rootfs"
scripts/busybox-rootfs.sh "$rootfs"

bin/gcs -v4 -loglevel info -logfile "$dir/gcs.log" -listen -bridge "$GCSCTL_ADDR" \
	-relay "$GCSCTL_RELAY" -root "$GCSCTL_ROOT" -cgroup-parent "$cgroup_parent" \
	-cgroup-favordynmods=false -shutdown-action exit &
gcs_pid=$!
for _ in $(seq 100); do
	bin/gcsctl --timeout 1s stacks &>/dev/null && break
	sleep 0.1
done
echo "gcs is running (pid $gcs_pid, state in $dir/root, cgroup parent $cgroup_parent)"
echo

step 0 "gcsctl negotiate" bin/gcsctl negotiate
step 3 "gcsctl run --id demo1 \$ROOTFS sh -c 'echo hello from busybox in a container; uname -a; exit 3'" \
	bin/gcsctl run --id demo1 "$rootfs" sh -c 'echo hello from busybox in a container; uname -a; exit 3'
step 0 "gcsctl rm demo1" bin/gcsctl rm demo1
step 0 "gcsctl layers remove --id demo1" bin/gcsctl layers remove --id demo1

echo "\$ gcsctl run -d --id demo2 \$ROOTFS sleep 1000   # detached: prints ID PID"
out=$(bin/gcsctl run -d --id demo2 "$rootfs" sleep 1000)
echo "$out"
read -r _ pid <<<"$out"
echo
step 0 "gcsctl exec demo2 ps" bin/gcsctl exec demo2 ps
step 0 "gcsctl ps demo2" bin/gcsctl ps demo2
step 0 "gcsctl stats demo2" bin/gcsctl stats demo2
step 0 "gcsctl kill demo2" bin/gcsctl kill demo2
step 137 "gcsctl wait demo2 $pid" bin/gcsctl wait demo2 "$pid"
step 0 "gcsctl rm demo2" bin/gcsctl rm demo2
step 0 "gcsctl layers remove --id demo2" bin/gcsctl layers remove --id demo2

echo "\$ gcsctl raw UpdateContainer '{}'   # not implemented by any Linux GCS"
bin/gcsctl raw UpdateContainer '{}' || true
echo
echo "What gcs logged about the containers ($dir/gcs.log):"
grep -E 'msg="container ' "$dir/gcs.log" | sed -E 's/^time="[^"]*T([^Z"]*)Z?" level=[a-z]+ /  \1 /'
