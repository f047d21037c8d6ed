package guest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hugelgupf/p9/fsimpl/localfs"
	"github.com/hugelgupf/p9/p9"
	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// TestPlan9ShareWrittenByContainer serves a directory read-write over
// 9P2000.L (github.com/hugelgupf/p9's localfs, as a host would serve a
// mapped directory) on a vsock relay port, has the GCS mount it read-write
// with MappedDirectory, and runs a container with that mount bound at /data
// whose init writes a file there: the serving side must see the file in its
// own directory, not only through the mount.
func TestPlan9ShareWrittenByContainer(t *testing.T) {
	h := vm(t)
	// localfs sets the process's umask to 0 when a share is attached (so
	// that the modes the client asks for are kept); the rest of the driver
	// gets its umask back afterwards.
	oldUmask := syscall.Umask(0o022)
	syscall.Umask(oldUmask)
	t.Cleanup(func() { syscall.Umask(oldUmask) })

	// The server resolves the attach name (ShareName) below its root.
	served := t.TempDir()
	const share = "vmtest-rw-share"
	shared := filepath.Join(served, share)
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "from-host.txt"), []byte("served read-write\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	port, ln, err := h.relay.Listen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	srv := p9.NewServer(localfs.Attacher(served))
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	served9p := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served9p <- err
			return
		}
		mu.Lock()
		conn = c
		mu.Unlock()
		served9p <- srv.Handle(c, c)
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			conn.Close()
		}
	})

	const target = "/run/mounts/m-rw"
	req := &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeMappedDirectory,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWMappedDirectory{
			MountPath: target, Port: int32(port), ShareName: share, ReadOnly: false,
		},
	}
	h.modify(t, "MappedDirectory Add (read-write Plan 9 share)", req)
	removed := false
	h.removeOnCleanup(t, req, &removed)
	mustMounted(t, target)
	if b, err := os.ReadFile(filepath.Join(target, "from-host.txt")); err != nil || string(b) != "served read-write\n" {
		t.Fatalf("from-host.txt over 9p: %q %v (not the served directory?)", b, err)
	}

	// A container with the share bound at /data, as the host maps a
	// directory into a container.
	id := h.id("share-rw")
	spec := specFor("sh", "-c", "echo written-by-container > /data/from-container.txt")
	spec.Mounts = append(spec.Mounts, oci.Mount{
		Destination: "/data",
		Type:        "bind",
		Source:      target,
		Options:     []string{"rbind", "rprivate", "rw"},
	})
	h.create(t, id, spec)
	c := h.client(t)
	s := h.stdio(t, false, true, true)
	if err := c.Start(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	pid, err := c.ExecuteProcess(testCtx(t), id, s.params(), s.settings)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut := readAll(s.out), readAll(s.errc)
	if code := h.wait(t, id, pid); code != 0 {
		t.Fatalf("the container's init exited with %d; stdout %q, stderr %q",
			code, recv(t, "stdout", out), recv(t, "stderr", errOut))
	}
	if n := h.notification(t, id, 30*time.Second); n.Type != prot.NtUnexpectedExit {
		t.Errorf("notification %+v, want UnexpectedExit", n)
	}

	// The serving side's own directory, not the mount.
	b, err := os.ReadFile(filepath.Join(shared, "from-container.txt"))
	if err != nil {
		t.Fatalf("the file the container wrote is not in the served directory: %v", err)
	}
	if string(b) != "written-by-container\n" {
		t.Fatalf("served from-container.txt holds %q, want %q", b, "written-by-container\n")
	}

	if err := c.DeleteContainerState(testCtx(t), id); err != nil {
		t.Fatalf("delete %s: %v", id, err)
	}
	req.RequestType = prot.RequestTypeRemove
	h.modify(t, "MappedDirectory Remove (read-write Plan 9 share)", req)
	removed = true
	checkUnmounted(t, target)
	select {
	case err := <-served9p:
		if err != nil {
			t.Logf("the share's connection ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the share's connection is still open 10s after Remove")
	}
	// Still there once the share is gone.
	if b, err := os.ReadFile(filepath.Join(shared, "from-container.txt")); err != nil || string(b) != "written-by-container\n" {
		t.Errorf("after Remove, served from-container.txt: %q %v", b, err)
	}
}
