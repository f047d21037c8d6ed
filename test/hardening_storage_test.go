package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// TestScratchRemovalFollowsNoLinkedParent: a workload's scratch may be
// below its sandbox's bundle (checkOthersPaths), e.g. in the sandbox's
// sandboxMounts/data, which every workload with a sandbox://data mount
// writes. One such workload swaps a parent of the victim's scratch for a
// symbolic link; deleting the victim must not remove the directory of the
// victim's name in whatever directory of the utility VM the link names
// (removeStateDirs once opened the scratch's parent following links).
func TestScratchRemovalFollowsNoLinkedParent(t *testing.T) {
	h := newHostEnv(t, "runc")
	l := podLayouts()[0] // hcsoci
	sb := h.id("sb")
	l.setUp(t, h, sb)
	podStart(t, h, l, sb, sb, podSandboxSpec("podhost", "sleep", "1000"))

	attacker := h.id("attacker")
	spec := podWorkloadSpec(sb, "sleep", "1000")
	spec.Mounts = append(spec.Mounts, oci.Mount{Destination: "/shared", Type: "bind", Source: "sandbox://data", Options: []string{"rbind", "rw"}})
	podStart(t, h, l, sb, attacker, spec)

	victim := h.id("victim")
	scratch := filepath.Join(h.root, "c", sb, "sandboxMounts", "data", "d", victim)
	if err := h.createAt(victim, filepath.Join(h.root, "c", victim), scratch, podWorkloadSpec(sb, "sleep", "1000")); err != nil {
		t.Skipf("create of a workload whose scratch is in sandboxMounts refused: %v", err)
	}

	// A directory of the utility VM outside every GCS root, holding one
	// of the victim's name.
	outside := filepath.Join(h.dir, "outside")
	precious := filepath.Join(outside, victim, "precious")
	if err := os.MkdirAll(filepath.Dir(precious), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(precious, []byte("uvm data"), 0o644); err != nil {
		t.Fatal(err)
	}

	// The attacker, from inside its container, moves d away and puts a
	// link in its place.
	podMustOutput(t, h, attacker, "sh", "-c", fmt.Sprintf("mv /shared/d /shared/d.old && ln -s %s /shared/d && ls -l /shared", outside))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := h.c.DeleteContainerState(ctx, victim)
	t.Logf("delete victim: %v", err)
	if _, err := os.Stat(precious); err != nil {
		t.Errorf("deleting workload %s removed %s, outside the GCS roots, through a link a pod container put in its scratch's parent: %v",
			victim, filepath.Dir(precious), err)
	}
}
