package mounttest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// RaceAttempts is how many times a race test runs the operation under
// test while Swap runs, where no seam opens the window between a check and
// what follows it deterministically: the race is then won on some
// attempts only (within the first few on the code these tests were
// written against).
const RaceAttempts = 300

// Swap exchanges the directory dir with a symbolic link to the directory
// to, atomically (renameat2 RENAME_EXCHANGE with a link made next to it),
// again and again in a goroutine until the returned stop is called: what
// a container that can write dir's parent can do at any time. stop puts
// dir back in place and removes the link. A race test runs the operation
// under test while Swap runs; where no seam opens the window between a
// check and what follows it deterministically, the race is won on some
// attempts only, so such a test repeats the operation.
func Swap(t testing.TB, dir, to string) (stop func()) {
	t.Helper()
	link := dir + ".swap"
	if err := os.Symlink(to, link); err != nil {
		t.Fatal(err)
	}
	quit, done := make(chan struct{}), make(chan struct{})
	swapped := false
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			default:
			}
			if err := unix.Renameat2(unix.AT_FDCWD, dir, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE); err != nil {
				t.Errorf("swap %s: %v", dir, err)
				return
			}
			swapped = !swapped
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			<-done
			if swapped {
				if err := unix.Renameat2(unix.AT_FDCWD, dir, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE); err != nil {
					t.Fatalf("swap %s back: %v", dir, err)
				}
			}
			if err := os.Remove(link); err != nil {
				t.Error(err)
			}
		})
	}
}

// MountsBelow returns the mounts at dir or below it, topmost last.
func MountsBelow(t testing.TB, dir string) []mount.Entry {
	t.Helper()
	es, err := mount.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var below []mount.Entry
	for _, e := range es {
		if e.Point == dir || mount.Below(e.Point, dir) {
			below = append(below, e)
		}
	}
	return below
}

// UnmountBelow detaches every mount at dir or below it, topmost first,
// and fails t if one cannot be.
func UnmountBelow(t testing.TB, dir string) {
	t.Helper()
	es := MountsBelow(t, filepath.Clean(dir))
	for i := len(es) - 1; i >= 0; i-- {
		if err := unix.Unmount(es[i].Point, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil {
			t.Errorf("unmount %s: %v", es[i].Point, err)
		}
	}
}
