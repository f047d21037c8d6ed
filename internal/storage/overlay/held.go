package overlay

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// held are the directories of one Mount, opened once checked and made,
// through no symbolic link below the roots: what the kernel is given to
// mount, so that a directory on the way swapped for a link since (by a
// container that can write there) changes nothing.
//
// The layers and the work directory are given to overlayfs by their
// /proc/self/fd paths, which it resolves to the directories held. The
// upper directory is given by its real path, since mountinfo shows the
// options as given and the GCS reads upperdir= back from it to find the
// overlay of a scratch it removes (hcsv2 mountsUsing); once mounted,
// checkUpper proves through the mount that its upper directory is the one
// held, and the mount is undone otherwise. Until then a redirected upper
// directory can only have been given overlayfs's own xattrs; the work
// directory, which overlayfs empties at mount, can never be redirected.
type held struct {
	layers      []*os.File
	upper, work *os.File // nil without scratch
	target      *mount.Target
	targetPath  string
}

// openHeld opens the layers, the scratch's upper and work directories
// (upper == "": none) and the mount point target.
func openHeld(layers []string, upper, work, target string, roots []string) (_ *held, err error) {
	h := &held{targetPath: target}
	defer func() {
		if err != nil {
			h.close()
		}
	}()
	for _, l := range layers {
		f, err := mount.OpenDir(l, roots)
		if err != nil {
			return nil, fmt.Errorf("overlay layer: %w", err)
		}
		h.layers = append(h.layers, f)
	}
	if upper != "" {
		if h.upper, err = mount.OpenDir(upper, roots); err != nil {
			return nil, fmt.Errorf("overlay scratch: %w", err)
		}
		if h.work, err = mount.OpenDir(work, roots); err != nil {
			return nil, fmt.Errorf("overlay scratch: %w", err)
		}
	}
	if h.target, err = mount.OpenTarget(target, roots); err != nil {
		return nil, fmt.Errorf("overlay target: %w", err)
	}
	return h, nil
}

func (h *held) close() {
	for _, f := range append(h.layers, h.upper, h.work) {
		if f != nil {
			f.Close()
		}
	}
	if h.target != nil {
		h.target.Close()
	}
}

// lowerdir returns the lowerdir option value naming the layers held.
func (h *held) lowerdir() string {
	s := ""
	for i, f := range h.layers {
		if i > 0 {
			s += ":"
		}
		s += mount.ProcPath(f)
	}
	return s
}

// checkUpper proves that the overlay mounted on the target writes to the
// upper directory held: a file of a fresh random name created through the
// mount must appear there. The file is removed again through the mount
// (in a redirected upper directory too: it is only there for that time).
func (h *held) checkUpper() error {
	root, done, err := h.target.OpenMounted()
	if err != nil {
		return err
	}
	defer done()
	var fs unix.Statfs_t
	if err := unix.Statfs(root, &fs); err != nil || fs.Type != unix.OVERLAYFS_SUPER_MAGIC {
		return fmt.Errorf("check overlay at %s: not the overlay mounted there (%v)", h.targetPath, err)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	name := ".gcs-upper-check-" + hex.EncodeToString(b[:])
	fd, err := unix.Open(filepath.Join(root, name), unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("check overlay upper directory: %w", err)
	}
	unix.Close(fd)
	var st unix.Stat_t
	found := unix.Fstatat(int(h.upper.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err := unix.Unlink(filepath.Join(root, name)); err != nil {
		return fmt.Errorf("check overlay upper directory: %w", err)
	}
	if found != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("overlay upper directory %s is not the one checked (a directory on the way was swapped for a link): a file made through the mount is not there", h.upper.Name())
	}
	return nil
}
