package devmapper

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// testName returns a device name unique to this test process.
func testName(t *testing.T, kind string) string {
	return fmt.Sprintf("gcstest-%d-%s", os.Getpid(), kind)
}

// create creates a device and registers its removal; a kernel without the
// target type skips the test.
func create(t *testing.T, name string, table Table) string {
	t.Helper()
	p, err := Create(t.Context(), name, table)
	if err != nil {
		if ts, lerr := Targets(context.Background()); lerr == nil {
			if _, ok := ts[table.Targets[0].Type]; !ok {
				t.Skipf("kernel has no dm-%s target: %v", table.Targets[0].Type, err)
			}
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := Remove(context.Background(), name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return p
}

// readAt reads n bytes of the device dev from off.
func readAt(t *testing.T, dev string, off int64, n int) []byte {
	t.Helper()
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatalf("read %s at %d: %v", dev, off, err)
	}
	return b
}

// assertGone fails t unless the device name and its node are gone.
func assertGone(t *testing.T, name string) {
	t.Helper()
	if ok, err := Exists(context.Background(), name); err != nil || ok {
		t.Errorf("device %s still exists (%v)", name, err)
	}
	if _, err := os.Lstat(Path(name)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("node %s still exists (%v)", Path(name), err)
	}
}

func TestLinear(t *testing.T) {
	mounttest.RequireDeviceMapper(t)
	img := make([]byte, 4<<20)
	for i := range img {
		img[i] = byte(i / 4096)
	}
	dev := mounttest.Loop(t, mounttest.ImageFile(t, img), mounttest.LoopOptions{})
	for _, tc := range []struct {
		name           string
		offset, length uint64
		readOnly       bool
	}{
		{"whole", 0, 4 << 20, false},
		{"offset", 1 << 20, 64 << 10, true},
		{"sector", 4096 + 512, 512, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := Linear{Device: dev, Offset: tc.offset, Length: tc.length}.Target()
			if err != nil {
				t.Fatal(err)
			}
			name := testName(t, "linear")
			p := create(t, name, Table{ReadOnly: tc.readOnly, Targets: []Target{tg}})
			if p != filepath.Join("/dev/mapper", name) {
				t.Errorf("path %s", p)
			}
			if ok, err := Exists(t.Context(), name); err != nil || !ok {
				t.Fatalf("Exists = %v, %v", ok, err)
			}
			size, err := mount.DeviceSize(p)
			if err != nil || size != tc.length {
				t.Fatalf("device size %d (%v), want %d", size, err, tc.length)
			}
			if got := readAt(t, p, 0, int(tc.length)); !bytes.Equal(got, img[tc.offset:tc.offset+tc.length]) {
				t.Fatal("linear device does not read the mapped range")
			}
			// The kernel opens a read-only device for writing but refuses
			// the writes.
			f, err := os.OpenFile(p, os.O_WRONLY|unix.O_SYNC, 0)
			if err == nil {
				_, err = f.WriteAt(img[tc.offset:tc.offset+512], 0)
				f.Close()
			}
			if tc.readOnly == (err == nil) {
				t.Errorf("write to the device (read-only %v): %v", tc.readOnly, err)
			}
			if err := Remove(t.Context(), name); err != nil {
				t.Fatal(err)
			}
			assertGone(t, name)
		})
	}
}

func TestCreateExistingAndRemoveMissing(t *testing.T) {
	mounttest.RequireDeviceMapper(t)
	dev := mounttest.Loop(t, mounttest.SparseFile(t, 1<<20), mounttest.LoopOptions{})
	tg, _ := Linear{Device: dev, Length: 1 << 20}.Target()
	name := testName(t, "dup")
	create(t, name, Table{Targets: []Target{tg}})
	if _, err := Create(t.Context(), name, Table{Targets: []Target{tg}}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second Create: %v", err)
	}
	bad := Target{Length: 8, Type: "linear", Params: "/nonexistent 0"}
	if _, err := Create(t.Context(), testName(t, "bad"), Table{Targets: []Target{bad}}); err == nil {
		t.Fatal("Create with a missing device succeeded")
	}
	assertGone(t, testName(t, "bad"))
	if err := Remove(t.Context(), testName(t, "never")); err != nil {
		t.Fatalf("Remove of a missing device: %v", err)
	}
}

func TestVerity(t *testing.T) {
	mounttest.RequireDeviceMapper(t)
	const dataSize = 16 << 20
	data := mounttest.Ext4Image(t, dataSize, map[string]string{"hello.txt": "verified"})
	salt := []byte{1, 2, 3, 4}
	vt, err := BuildVerityTree(bytes.NewReader(data), dataSize, 4096, salt)
	if err != nil {
		t.Fatal(err)
	}
	dev := mounttest.Loop(t, mounttest.ImageFile(t, append(data, vt.Tree...)), mounttest.LoopOptions{ReadOnly: true})
	wrong := bytes.Clone(vt.RootDigest)
	wrong[0] ^= 0xff
	for _, tc := range []struct {
		name   string
		digest []byte
		salt   []byte
		ok     bool
	}{
		{"right digest", vt.RootDigest, salt, true},
		{"wrong digest", wrong, salt, false},
		{"wrong salt", vt.RootDigest, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := Verity{
				DataDevice: dev, HashDevice: dev, DataBlocks: vt.DataBlocks, HashOffset: dataSize,
				RootDigest: hex.EncodeToString(tc.digest), Salt: hex.EncodeToString(tc.salt),
			}.Target()
			if err != nil {
				t.Fatal(err)
			}
			name := testName(t, "verity")
			p := create(t, name, Table{ReadOnly: true, Targets: []Target{tg}})
			target := t.TempDir()
			err = unix.Mount(p, target, "ext4", unix.MS_RDONLY, "noload")
			if err == nil {
				t.Cleanup(func() { mount.Unmount(context.Background(), target) })
			}
			if !tc.ok {
				if err == nil {
					t.Fatal("mounted a verity device with a wrong root digest")
				}
				t.Logf("mount failed as it should: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("mount verity device: %v", err)
			}
			if b, err := os.ReadFile(filepath.Join(target, "hello.txt")); err != nil || string(b) != "verified" {
				t.Fatalf("read through verity: %q, %v", b, err)
			}
		})
	}
}

func TestRemoveDeferred(t *testing.T) {
	mounttest.RequireDeviceMapper(t)
	dev := mounttest.Loop(t, mounttest.SparseFile(t, 1<<20), mounttest.LoopOptions{})
	tg, _ := Linear{Device: dev, Length: 1 << 20}.Target()
	name := testName(t, "deferred")
	p := create(t, name, Table{Targets: []Target{tg}})
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := RemoveDeferred(t.Context(), name); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if ok, _ := Exists(t.Context(), name); !ok {
		t.Error("device went away while still open")
	}
	f.Close()
	// The kernel removes a deferred device from a work queue after the last
	// close, so it goes away shortly after, not at once.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ok, _ := Exists(t.Context(), name); !ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assertGone(t, name)
}
