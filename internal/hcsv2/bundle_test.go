package hcsv2

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// A bundle directory that already exists when Create runs may hold
// symbolic links named like the files Create writes there: in the
// confidential layout Root/c/<id> is where the host may mount a
// read-write scratch disk whose file system it made. config.json,
// hostname, hosts and resolv.conf replace such links, never write
// through them to the files they point to.
func TestCreateReplacesLinksInBundle(t *testing.T) {
	fh := newFuzzHost(t)
	id := "linkedbundle"
	bundle := filepath.Join(fh.state, "c", id)
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	// The host's disk, mounted where the bundle goes.
	if err := unix.Mount("tmpfs", bundle, "tmpfs", 0, "size=4m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(bundle, unix.MNT_DETACH) })
	outside := filepath.Join(fh.root, "outside") // outside every state root
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	victims := map[string]string{}
	for _, name := range []string{"config.json", "hostname", "hosts", "resolv.conf"} {
		v := filepath.Join(outside, "victim-"+name)
		if err := os.WriteFile(v, []byte("ORIGINAL\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(v, filepath.Join(bundle, name)); err != nil {
			t.Fatal(err)
		}
		victims[name] = v
	}
	if err := os.MkdirAll(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := testutil.Spec(filepath.Join(bundle, "rootfs"), "true")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := fh.host.CreateContainer(ctx, id, "", &prot.VMHostedContainerSettingsV2{
		SchemaVersion:    prot.SchemaVersion{Major: 2, Minor: 1},
		OCIBundlePath:    bundle,
		OCISpecification: spec,
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() {
		if c, err := fh.host.container(id); err == nil {
			c.deleteState(context.Background())
		}
	})
	for name, v := range victims {
		if b, err := os.ReadFile(v); err != nil || string(b) != "ORIGINAL\n" {
			t.Errorf("Create wrote %s through the link in the bundle: %s now holds %q (%v)", name, v, truncated(b), err)
		}
		st, err := os.Lstat(filepath.Join(bundle, name))
		if err != nil || !st.Mode().IsRegular() {
			t.Errorf("bundle's %s is not a regular file: %v", name, err)
		}
	}
}

// truncated is b cut to a length fit for a test's message.
func truncated(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
