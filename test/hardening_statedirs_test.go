package test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// pathsCreateRaw creates container id with the given bundle and scratch,
// its root the busybox layer. Should the daemon accept it, it is shut down
// and deleted at once, as a host would eventually do, bounded.
func pathsCreateRaw(t *testing.T, h *hostEnv, id, bundle, scratch string) error {
	t.Helper()
	spec := specFor("sleep", "1000")
	spec.Root = &oci.Root{Path: h.layer}
	err := h.c.CreateContainer(testCtx(t), id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: bundle,
		OCISpecification: spec, ScratchDirPath: scratch,
	})
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), pathsHostileWait)
		defer cancel()
		h.c.ShutdownForced(ctx, id)
		if derr := h.c.DeleteContainerState(ctx, id); derr != nil {
			t.Logf("delete of the wrongly accepted %s: %v", id, derr)
		}
	}
	return err
}

// pathsCheckIntact fails unless container id still has its bundle, its
// runtime state and a working exec.
func pathsCheckIntact(t *testing.T, h *hostEnv, id string) {
	t.Helper()
	for _, p := range []string{filepath.Join(h.bundle(id), "config.json"), filepath.Join(h.root, "runtime", id)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("container %s lost %s: %v", id, p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(h.bundle(id), "scratch", "upper")); err != nil {
		t.Errorf("container %s lost its overlay upper directory: %v", id, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pathsHostileWait)
	defer cancel()
	s := h.listenStdio(false, false, false)
	params := h.params(s)
	params.OCIProcess = process("true")
	pid, err := h.c.ExecuteProcess(ctx, id, params, s.settings)
	if err != nil {
		t.Errorf("exec in %s: %v", id, err)
		return
	}
	if code := h.wait(id, pid); code != 0 {
		t.Errorf("exec in %s exited %d", id, code)
	}
}

// TestHardeningPathsCreateStateDirs offers Create bundle and scratch paths
// that are the GCS's own state, another container's directories, or reach
// through a symbolic link: each is refused with E_INVALIDARG, nothing is
// created, and the other container and the runtime state stay intact.
func TestHardeningPathsCreateStateDirs(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		other := h.id("other")
		if err := h.create(other, specFor("sleep", "1000")); err != nil {
			t.Fatal(err)
		}
		if _, err := h.startInit(other, h.listenStdio(false, false, false)); err != nil {
			t.Fatal(err)
		}
		victim := t.TempDir()
		if err := os.WriteFile(filepath.Join(victim, "precious"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		links := filepath.Join(h.root, "links")
		if err := os.MkdirAll(links, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, to := range map[string]string{"out": victim, "in": h.bundle(other), "up": ".."} {
			if err := os.Symlink(to, filepath.Join(links, name)); err != nil {
				t.Fatal(err)
			}
		}
		ownBundle := func(id string) string { return h.bundle(id) }
		for _, tc := range []struct {
			name            string
			bundle, scratch func(id string) string
		}{
			{"scratch is ROOT/c", ownBundle, func(string) string { return filepath.Join(h.root, "c") }},
			{"scratch is ROOT/runtime", ownBundle, func(string) string { return filepath.Join(h.root, "runtime") }},
			{"scratch is ROOT", ownBundle, func(string) string { return h.root }},
			{"bundle inside the runtime state", func(id string) string { return filepath.Join(h.root, "runtime", id) }, nil},
			{"bundle is ROOT/c", func(string) string { return filepath.Join(h.root, "c") }, nil},
			{"scratch is another container's bundle", ownBundle, func(string) string { return h.bundle(other) }},
			{"scratch is another container's scratch", ownBundle, func(string) string { return filepath.Join(h.bundle(other), "scratch") }},
			{"bundle inside another container's bundle", func(id string) string { return filepath.Join(h.bundle(other), id) }, nil},
			{"bundle through a link out", func(id string) string { return filepath.Join(links, "out", id) }, nil},
			{"bundle is a link out", func(string) string { return filepath.Join(links, "out") }, nil},
			{"scratch through a link to another bundle", ownBundle, func(id string) string { return filepath.Join(links, "in", "scratch") }},
			{"scratch through a link up", ownBundle, func(id string) string { return filepath.Join(links, "up", "runtime") }},
			{"scratch holds the bundle", func(id string) string { return filepath.Join(h.root, "own", id, "b") }, func(id string) string { return filepath.Join(h.root, "own", id) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := h.id("bad")
				bundle, scratch := tc.bundle(id), ""
				if tc.scratch != nil {
					scratch = tc.scratch(id)
				}
				_, bundleBefore := os.Lstat(bundle)
				err := pathsCreateRaw(t, h, id, bundle, scratch)
				if client.HResult(err) != prot.HrInvalidArg || !strings.Contains(err.Error(), "Path") {
					t.Errorf("create with bundle %s scratch %s: %v, want E_INVALIDARG", bundle, scratch, err)
				}
				if _, err := os.Lstat(bundle); err == nil && bundleBefore != nil {
					t.Errorf("a refused create made %s", bundle)
				}
				if _, err := os.Lstat(h.bundle(id)); err == nil && bundle != h.bundle(id) {
					t.Errorf("a refused create made %s", h.bundle(id))
				}
				if _, err := os.Stat(filepath.Join(victim, "precious")); err != nil {
					t.Errorf("a directory outside the roots was touched: %v", err)
				}
				if _, err := os.Stat(filepath.Join(victim, id)); err == nil {
					t.Errorf("a bundle was made through a link")
				}
				pathsCheckIntact(t, h, other)
			})
		}
		// The default layout is still accepted.
		ok := h.id("ok")
		if err := h.create(ok, specFor("true")); err != nil {
			t.Fatalf("create with the usual paths: %v", err)
		}
	})
}

// TestHardeningPathsTeardownUnmountsScratchUsers deletes a container whose
// rootfs, mounted outside its bundle, is an overlay with its upper
// directory in the container's scratch: the overlay is unmounted before
// the scratch is removed, so no mount is left on a deleted directory.
func TestHardeningPathsTeardownUnmountsScratchUsers(t *testing.T) {
	h := newHostEnv(t, "runc")
	id := h.id("upper")
	rootfs := filepath.Join(h.root, "rootfs", id)
	scratch := filepath.Join(h.bundle(id), "scratch")
	layers := &prot.LCOWCombinedLayers{ContainerRootPath: rootfs, Layers: []prot.Layer{{Path: h.layer}}, ScratchPath: scratch}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, layers); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, layers) })
	spec := specFor("sh", "-c", "echo data > /written")
	spec.Root = &oci.Root{Path: rootfs}
	err := h.c.CreateContainer(testCtx(t), id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: h.bundle(id),
		OCISpecification: spec, ScratchDirPath: scratch,
	})
	if err != nil {
		t.Fatal(err)
	}
	pid, err := h.startInit(id, h.listenStdio(false, false, false))
	if err != nil {
		t.Fatal(err)
	}
	if code := h.wait(id, pid); code != 0 {
		t.Fatalf("init exited %d", code)
	}
	if err := h.c.DeleteContainerState(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	entries, err := mount.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Point == rootfs || strings.Contains(e.SuperOptions, scratch) {
			t.Errorf("mount %s (%s) left over its removed scratch", e.Point, e.SuperOptions)
		}
	}
	if _, err := os.Lstat(scratch); err == nil {
		t.Errorf("scratch %s not removed", scratch)
	}
}
