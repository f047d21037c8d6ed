package hcsv2

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// stagingDir is the directory of a pod's root where the shared mount
// sources of a workload being created are staged (see stageSharedSources);
// no container sees it.
const stagingDir = "staging"

// staged is what stageSharedSources mounted for one workload: undone by
// unstage once the runtime's create has returned.
type staged struct {
	root    string   // the pod's root
	dir     string   // root/staging/<container id>
	targets []string // the bind mounts in dir
}

// stageSharedSources makes the sources of a workload's mounts that lie in
// its pod's shared directories (sandbox:// and sandbox-tmp://, already
// rewritten to paths) safe to hand to the runtime.
//
// The pod's containers can write those directories, so between the GCS
// making a source and the runtime binding it one of them could swap it,
// or a parent, for a symbolic link to anywhere in the utility VM, and the
// runtime, resolving the path, would follow it. So each source is opened
// through no link from the pod's root (one already swapped is refused),
// and that open directory is bind-mounted on a directory of the pod's
// root no container can reach, whose path the runtime gets instead. The
// runtime's own mount namespace copies these binds when it is made; they
// are removed from the GCS's once its create has returned (unstage).
func stageSharedSources(spec *oci.Spec, podRoot, id string) (s *staged, err error) {
	shared := []string{filepath.Join(podRoot, sandboxMountsDir), filepath.Join(podRoot, sandboxTmpfsDir)}
	s = &staged{root: podRoot, dir: filepath.Join(podRoot, stagingDir, id)}
	defer func() {
		if err != nil {
			if uerr := s.unstage(); uerr != nil {
				logrus.WithError(uerr).WithField("dir", s.dir).Warn("undo staged mount sources")
			}
			s = nil
		}
	}()
	made := false
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		if !inAny(m.Source, shared) {
			continue
		}
		if !made {
			if err := s.clearLeftovers(); err != nil {
				return s, prot.Errorf(prot.HrFail, "stage mount sources: %w", err)
			}
			if err := mount.MkdirBelow(podRoot, s.dir, 0o700); err != nil {
				return s, prot.Errorf(prot.HrFail, "stage mount sources: %w", err)
			}
			made = true
		}
		target := filepath.Join(s.dir, strconv.Itoa(len(s.targets)))
		if err := stageOne(podRoot, m.Source, target); err != nil {
			return s, prot.Errorf(prot.HrFail, "mount %s: %w", m.Destination, err)
		}
		s.targets = append(s.targets, target)
		m.Source = target
	}
	return s, nil
}

// stageOne bind-mounts the directory src, opened from root through no
// symbolic link, on a new directory target.
func stageOne(root, src, target string) error {
	from, err := mount.OpenDirBelow(root, src)
	if err != nil {
		return fmt.Errorf("stage source: %w", err)
	}
	defer from.Close()
	if err := unix.Mkdir(target, 0o700); err != nil {
		return fmt.Errorf("stage source: %w", err)
	}
	to, err := mount.OpenDirBelow(root, target)
	if err != nil {
		return fmt.Errorf("stage source: %w", err)
	}
	defer to.Close()
	if err := unix.Mount(fdPath(from), fdPath(to), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("stage source: bind %s: %w", src, err)
	}
	return nil
}

func fdPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

// unstage unmounts and removes what stageSharedSources made; nil does
// nothing.
func (s *staged) unstage() error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, t := range s.targets {
		if err := unix.Unmount(t, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil && !errors.Is(err, unix.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", t, err))
		}
	}
	// Never into a bind still mounted (it is the pod's shared directory),
	// nor through a link.
	if err := mount.RemoveAllBelow(s.root, s.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// clearLeftovers unmounts and removes what an earlier create of the same
// container left in s.dir, should its unstage have failed.
func (s *staged) clearLeftovers() error {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read leftover staging: %w", err)
	}
	old := &staged{root: s.root, dir: s.dir}
	for _, e := range entries {
		old.targets = append(old.targets, filepath.Join(s.dir, e.Name()))
	}
	if err := old.unstage(); err != nil {
		return fmt.Errorf("remove leftover staging: %w", err)
	}
	return nil
}

// inAny reports whether p is one of dirs or below one.
func inAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if p == d || mount.Below(p, d) {
			return true
		}
	}
	return false
}
