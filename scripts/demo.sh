#!/usr/bin/env bash
# Demo: start the gcs daemon listening on a unix socket (never vsock CID 2
# here), then drive it by hand with gcsctl, the way a host would.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/gcs-demo.XXXXXX)
addr="unix://$dir/bridge.sock"
gcs_pid=
cleanup() {
	[[ -n $gcs_pid ]] && kill "$gcs_pid" 2>/dev/null && wait "$gcs_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

bin/gcs -v4 -loglevel info -logfile "$dir/gcs.log" -listen -bridge "$addr" \
	-relay "unix://$dir/relay" -root "$dir/root" &
gcs_pid=$!
for _ in $(seq 50); do [[ -S $dir/bridge.sock ]] && break; sleep 0.1; done

export GCSCTL_ADDR=$addr
echo "\$ gcsctl negotiate"
bin/gcsctl negotiate
echo
echo "\$ gcsctl stacks | head -5"
bin/gcsctl stacks | head -5
echo
echo "\$ gcsctl raw UpdateContainer '{}'   # not implemented by any Linux GCS"
bin/gcsctl raw UpdateContainer '{}' || true
echo
echo "gcs log ($dir/gcs.log):"
sed 's/^/  /' "$dir/gcs.log" | tail -5
