package test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// soakKillPercent is how many creates the runtime wrapper kills.
const soakKillPercent = 10

// soakWrapper writes the runtime the daemon is given with -runtime (which
// takes a binary name or a path) for the runtime-kill fault: it passes
// every invocation to the real runtime, except that it SIGKILLs
// soakKillPercent of the creates at a random point in their first 300 ms
// (before, during or after the real runtime's work) and fails them, noting
// the container id in killedFile.
func soakWrapper(t *testing.T, dir, real, killedFile string) string {
	t.Helper()
	script := fmt.Sprintf(`#!/bin/sh
# gcs soak: %[1]s, with %[2]d%% of the creates killed mid-way.
real=%[1]q
for a; do id=$a; done
case " $* " in
*" create "*)
	r=$(od -An -N1 -tu1 /dev/urandom)
	if [ $((r %% 100)) -lt %[2]d ]; then
		"$real" "$@" &
		pid=$!
		d=$(od -An -N1 -tu1 /dev/urandom)
		sleep "0.$(printf %%02d $((d %% 30)))"
		kill -9 $pid 2>/dev/null
		echo "$id" >> %[3]q
		wait $pid
		echo "soak: runtime killed mid-create" >&2
		exit 137
	fi
	;;
esac
exec "$real" "$@"
`, real, soakKillPercent, killedFile)
	path := filepath.Join(dir, "soak-"+filepath.Base(real))
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
