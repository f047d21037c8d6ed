package scsi

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// exchangeElsewhere exchanges the directories a and b (renameat2
// RENAME_EXCHANGE) again and again until the returned stop is called,
// from a thread in a mount namespace of its own with private propagation:
// as a container can, where a mount the GCS makes does not propagate, so
// that the GCS's new mount point is no mount point there and the kernel
// lets it be renamed. stop puts the names back as they were.
func exchangeElsewhere(t *testing.T, a, b string) (stop func()) {
	t.Helper()
	quit, ready, done := make(chan struct{}), make(chan error, 1), make(chan struct{})
	go offMainThread(func() {
		defer close(done)
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			ready <- err
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			ready <- err
			return
		}
		ready <- nil
		swapped := false
		defer func() {
			if swapped {
				if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
					t.Errorf("exchange %s and %s back: %v", a, b, err)
				}
			}
		}()
		for {
			select {
			case <-quit:
				return
			default:
			}
			if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
				t.Errorf("exchange %s and %s: %v", a, b, err)
				return
			}
			swapped = !swapped
		}
	})
	if err := <-ready; err != nil {
		<-done
		t.Skipf("no mount namespace of its own for the swapping thread: %v", err)
	}
	return func() {
		close(quit)
		<-done
	}
}

// offMainThread runs f locked to a thread of its own that is not the
// process's main thread, and lets that thread die when f returns, so that
// what f changes of its thread (its mount namespace) goes with it. The
// main thread would outlive f (Go never ends it), and it is the thread
// /proc/self names: mountinfo read there would be f's namespace.
func offMainThread(f func()) {
	runtime.LockOSThread() // never unlocked but on the main thread: the thread ends with the goroutine
	if unix.Gettid() != unix.Getpid() {
		f()
		return
	}
	done := make(chan struct{})
	go func() { // cannot run on this thread while it is locked here
		defer close(done)
		offMainThread(f)
	}()
	<-done
	runtime.UnlockOSThread()
}

// movedAttempts is how many mounts TestMountPointMovedAwayAfterMount
// makes while the names are exchanged: about half of them find the other
// directory at the mount point (the names change all the time), and the
// code the test was written against leaked the mount on the first.
const movedAttempts = 40

// TestMountPointMovedAwayAfterMount: a container in a mount namespace of
// its own (where the disk's mount does not propagate) moves the mount
// point away and another directory in its place right after mount(2),
// before the propagation options are applied to the mount by name. Mount
// then cannot confirm that what it finds there is its mount, and fails;
// it must not leave the disk mounted where the mount point went.
func TestMountPointMovedAwayAfterMount(t *testing.T) {
	d := newDisk(t, diskOptions{fs: "ext4"})
	target := d.target("m")
	away := target + ".away"
	parent := filepath.Dir(target)
	t.Cleanup(func() { mounttest.UnmountBelow(t, parent) })
	dev := d.device(t, 0)
	failed := 0
	for i := range movedAttempts {
		for _, p := range []string{target, away} {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		stop := exchangeElsewhere(t, target, away)
		err := d.m.Mount(t.Context(), dev, target, MountOptions{Options: []string{"rshared"}})
		stop()
		left := mounttest.MountsBelow(t, parent)
		if err != nil {
			failed++
			if len(left) > 0 {
				t.Fatalf("attempt %d: Mount failed (%v) but left %s mounted at %s", i, err, left[0].FSType, left[0].Point)
			}
			continue
		}
		if len(left) != 1 {
			t.Fatalf("attempt %d: Mount succeeded with %d mounts below %s, want 1", i, len(left), parent)
		}
		mounttest.UnmountBelow(t, parent)
	}
	t.Logf("%d of %d attempts found another directory at the mount point and failed", failed, movedAttempts)
	if failed == 0 {
		t.Log("the mount point was never found moved: the window was not hit")
	}
}
