package test

// A pod's container swaps a sandbox:// directory the GCS has just made
// for another workload for a symbolic link; the runtime must not follow
// it out of the sandbox when it binds the source.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSandboxMountSwappedForLink(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		l := podLayouts()[0] // hcsoci
		sb := h.id("sb")
		l.setUp(t, h, sb)
		podStart(t, h, l, sb, sb, podSandboxSpec("podhost", "sleep", "1000"))

		// A directory of the utility VM outside every GCS root.
		outside := filepath.Join(h.dir, "outside")
		if err := os.MkdirAll(outside, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(outside, "SECRET"), []byte("uvm-only"), 0o644); err != nil {
			t.Fatal(err)
		}

		// The attacker: a workload with sandbox://data, waiting for the
		// GCS to make data/sub for the next workload and swapping it for
		// a link as soon as it appears (moving the directory away, so
		// that what the GCS made still exists).
		attacker := h.id("attacker")
		spec := podWorkloadSpec(sb, "sh", "-c", fmt.Sprintf(
			`i=0; while :; do if [ -d /shared/sub ] && [ ! -L /shared/sub ]; then i=$((i+1)); mv /shared/sub /shared/moved$i && ln -s %s /shared/sub; fi; done`, outside))
		spec.Mounts = append(spec.Mounts, oci.Mount{Destination: "/shared", Type: "bind", Source: "sandbox://data", Options: []string{"rbind", "rw"}})
		podStart(t, h, l, sb, attacker, spec)

		// The victim: a workload that mounts sandbox://data/sub.
		var got string
		for i := 0; i < 5; i++ {
			victim := h.id("victim")
			vspec := podWorkloadSpec(sb, "sleep", "1000")
			vspec.Mounts = append(vspec.Mounts, oci.Mount{Destination: "/data", Type: "bind", Source: "sandbox://data/sub", Options: []string{"rbind", "rw"}})
			if err := podCreate(t, h, l, sb, victim, vspec); err != nil {
				t.Logf("attempt %d: create refused: %v", i, err)
				continue
			}
			if _, err := h.startInit(victim, h.listenStdio(false, false, false)); err != nil {
				t.Logf("attempt %d: start: %v", i, err)
				continue
			}
			got, _ = podOutput(t, h, victim, "sh", "-c", "cat /data/SECRET 2>/dev/null; ls /data")
			t.Logf("attempt %d: victim's /data: %q", i, got)
			break
		}
		// What the GCS staged for the runtime is gone once Create has
		// returned (a bind left mounted would keep its directory).
		if entries, err := os.ReadDir(filepath.Join(h.bundle(sb), "staging")); err == nil && len(entries) != 0 {
			t.Errorf("staged mount sources left in the pod's root: %v", entries)
		}
		if strings.Contains(got, "uvm-only") {
			t.Errorf("a workload's sandbox://data/sub mount shows %s (outside the sandbox): %q", outside, got)
		}
	})
}
