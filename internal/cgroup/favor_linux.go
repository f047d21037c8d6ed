package cgroup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// favorOption is cgroup2's mount option (Linux 6.0 and later) that keeps
// the kernel's lock on cgroup membership, the one every write to
// cgroup.procs takes as a writer and every fork and exit as a reader, in
// its writer-favoured state for good. Without it each migration that comes
// after a pause waits for an RCU grace period first (5-6 ms measured on a
// 2-vCPU VM, more under load), and the OCI runtime migrates at every
// container create and exec; with it a migration takes well under a
// millisecond, at a small cost to fork and exit. The lock is shared by
// every hierarchy, so the option set on the cgroup2 mount helps the v1
// ones of a hybrid layout too. Since Linux 6.18 the kernel cannot turn the
// faster mechanism off again once on; clearing the option only changes
// the mount's flags.
const favorOption = "favordynmods"

// favorDynMods turns favordynmods on, as Options.FavorDynMods asks, and
// logs the outcome. Failing is not an error of the set-up: migrations only
// stay slower. Turning it on waits for one RCU grace period itself, so it
// runs off the start-up path, before the daemon's own move into gcs,
// which it then speeds up.
func (m *Manager) favorDynMods() {
	if !m.favor {
		return
	}
	if m.sys.l.unified == "" {
		m.log.Debug("no cgroup2 mount: favordynmods not turned on")
		return
	}
	begun := time.Now()
	changed, err := favorDynamicMods(m.sys.l.unified)
	switch {
	case kernelLacksFavor(err):
		// Expected on utility VM kernels before 6.0 (5.15 is common).
		m.log.WithError(err).Info("cgroup migrations stay slow (each waits for an RCU grace period)")
	case err != nil:
		m.log.WithError(err).Warn("cgroup migrations stay slow (each waits for an RCU grace period)")
	case changed:
		m.log.WithFields(logrus.Fields{"mount": m.sys.l.unified, "took": time.Since(begun)}).
			Info("cgroup2 reconfigured with favordynmods")
	}
}

// favorDynamicMods adds favordynmods to the options of the cgroup2 mount
// at mount, keeping every other option it has, and reports whether it
// changed anything.
func favorDynamicMods(mount string) (bool, error) {
	opts, err := mountOptions(mount)
	if err != nil {
		return false, err
	}
	if slices.Contains(opts, favorOption) {
		return false, nil
	}
	if err := reconfigureCgroup2(mount, append(opts, favorOption)); err != nil {
		return false, fmt.Errorf("turn on %s: %w", favorOption, err)
	}
	return true, nil
}

// mountOptions returns the superblock options of the cgroup2 mount at
// mount, as /proc/self/mountinfo lists them.
func mountOptions(mount string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	defer f.Close()
	opts, err := cgroup2Options(f, mount)
	if err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	return opts, nil
}

// cgroup2Options returns the superblock options of the cgroup2 mount at
// mount in the mountinfo document r: those of the last such line, the
// mount on top.
func cgroup2Options(r io.Reader, mount string) ([]string, error) {
	var opts []string
	err := scanMountinfo(r, func(e mountEntry) {
		if e.fsType == "cgroup2" && e.mount == mount {
			opts = strings.Split(e.superOpts, ",")
		}
	})
	if err != nil {
		return nil, err
	}
	if opts == nil {
		return nil, fmt.Errorf("no cgroup2 mount at %s", mount)
	}
	return opts, nil
}

// fsParam is one fsconfig parameter: a flag when value is empty.
type fsParam struct{ key, value string }

// cgroup2Params turns superblock options into the parameters that set
// exactly them again. A reconfiguration of cgroup2 sets every one of its
// flags from scratch (nsdelegate, memory_recursiveprot... are cleared when
// not given), so all must be passed; rw and ro belong to the superblock's
// read-only state, which a reconfiguration without them leaves alone.
func cgroup2Params(opts []string) []fsParam {
	var out []fsParam
	for _, o := range opts {
		if o == "" || o == "rw" || o == "ro" {
			continue
		}
		k, v, _ := strings.Cut(o, "=")
		out = append(out, fsParam{key: k, value: v})
	}
	return out
}

// reconfigureCgroup2 sets the options of the cgroup2 superblock mounted at
// mount to opts (see cgroup2Params). Nothing changes unless the kernel
// takes every parameter.
func reconfigureCgroup2(mount string, opts []string) error {
	fd, err := unix.Fspick(unix.AT_FDCWD, mount, unix.FSPICK_CLOEXEC|unix.FSPICK_SYMLINK_NOFOLLOW|unix.FSPICK_NO_AUTOMOUNT)
	if err != nil {
		return fmt.Errorf("open the cgroup2 superblock at %s: %w", mount, err)
	}
	defer unix.Close(fd)
	for _, p := range cgroup2Params(opts) {
		if p.value == "" {
			err = unix.FsconfigSetFlag(fd, p.key)
		} else {
			err = unix.FsconfigSetString(fd, p.key, p.value)
		}
		if errors.Is(err, unix.EINVAL) {
			return &unknownOptionError{key: p.key, err: err}
		}
		if err != nil {
			return fmt.Errorf("set cgroup2 option %q: %w", p.key, err)
		}
	}
	if err := unix.FsconfigReconfigure(fd); err != nil {
		return fmt.Errorf("reconfigure cgroup2 at %s: %w", mount, err)
	}
	return nil
}

// unknownOptionError is a cgroup2 option the kernel refused to take.
type unknownOptionError struct {
	key string
	err error
}

func (e *unknownOptionError) Error() string {
	return fmt.Sprintf("the kernel does not take cgroup2 option %q: %v", e.key, e.err)
}

func (e *unknownOptionError) Unwrap() error { return e.err }

// kernelLacksFavor reports whether err says that the kernel has no
// favordynmods at all: it refused the option, or it has no fspick (before
// Linux 5.2, long before the option).
func kernelLacksFavor(err error) bool {
	var u *unknownOptionError
	return (errors.As(err, &u) && u.key == favorOption) || errors.Is(err, unix.ENOSYS)
}
