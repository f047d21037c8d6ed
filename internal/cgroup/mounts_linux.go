package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3"
)

// hierarchy is one mounted cgroup hierarchy.
type hierarchy struct {
	// mount is where the hierarchy's root is mounted.
	mount string
	// controllers are the v1 controllers bound to it ("name=systemd" for a
	// named hierarchy); empty for cgroup2.
	controllers []string
}

// has reports whether the hierarchy carries the controller.
func (h hierarchy) has(controller string) bool {
	return slices.Contains(h.controllers, controller)
}

// layout is the cgroup mounts the Manager works with.
type layout struct {
	// v2 is set in unified mode.
	v2 bool
	// v1 lists the v1 hierarchies (legacy and hybrid modes).
	v1 []hierarchy
	// unified is the cgroup2 mount: the only hierarchy in v2 mode, the
	// controller-less hybrid one in v1 mode, or "".
	unified string
}

// controller returns the v1 hierarchy carrying the controller.
func (l *layout) controller(name string) (hierarchy, bool) {
	for _, h := range l.v1 {
		if h.has(name) {
			return h, true
		}
	}
	return hierarchy{}, false
}

// mounts lists every hierarchy's mount point: where directories are made and
// removed.
func (l *layout) mounts() []string {
	var out []string
	for _, h := range l.v1 {
		out = append(out, h.mount)
	}
	if l.unified != "" {
		out = append(out, l.unified)
	}
	return out
}

// detectLayout finds the cgroup mode and the mounted hierarchies.
func detectLayout() (*layout, error) {
	mode := cgroups.Mode()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	defer f.Close()
	v1, v2, err := parseMountinfo(f)
	if err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	l := &layout{}
	switch mode {
	case cgroups.Unified:
		l.v2 = true
		l.unified = pickUnified(v2, "/sys/fs/cgroup")
		if l.unified == "" {
			return nil, errors.New("unified cgroup mode but no cgroup2 mount")
		}
	case cgroups.Legacy, cgroups.Hybrid:
		// Hybrid: the cgroup2 mount carries no controllers we use, so the
		// v1 hierarchies are the truth; the unified one is only cleaned.
		l.v1 = v1
		if mode == cgroups.Hybrid {
			l.unified = pickUnified(v2, "/sys/fs/cgroup/unified")
		}
		if _, ok := l.controller("memory"); !ok {
			return nil, errors.New("cgroup v1 memory controller is not mounted")
		}
	default:
		return nil, errors.New("cgroups are not available")
	}
	return l, nil
}

// pickUnified prefers the cgroup2 mount at the conventional place.
func pickUnified(mounts []string, want string) string {
	if slices.Contains(mounts, want) {
		return want
	}
	if len(mounts) > 0 {
		return mounts[0]
	}
	return ""
}

// mountEntry is the part of a mountinfo line the package reads.
type mountEntry struct {
	root      string // the mount's root within its filesystem
	mount     string // the mount point, unescaped
	fsType    string
	superOpts string // the superblock's options
}

// scanMountinfo calls each for every well-formed line of the
// /proc/<pid>/mountinfo document r, in order; malformed lines are skipped.
func scanMountinfo(r io.Reader, each func(mountEntry)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if sep < 6 || len(fields) < sep+4 {
			continue
		}
		each(mountEntry{root: fields[3], mount: unescapeMount(fields[4]), fsType: fields[sep+1], superOpts: fields[sep+3]})
	}
	return sc.Err()
}

// parseMountinfo returns the v1 hierarchies (one mount each, preferring
// mounts of the hierarchy root) and the cgroup2 mount points listed in a
// /proc/<pid>/mountinfo document.
func parseMountinfo(r io.Reader) (v1 []hierarchy, v2 []string, err error) {
	rootMount := map[string]bool{}
	err = scanMountinfo(r, func(e mountEntry) {
		switch e.fsType {
		case "cgroup2":
			v2 = append(v2, e.mount)
		case "cgroup":
			ctrls := v1Controllers(e.superOpts)
			if len(ctrls) == 0 {
				return
			}
			key := strings.Join(ctrls, ",")
			i := slices.IndexFunc(v1, func(h hierarchy) bool { return strings.Join(h.controllers, ",") == key })
			switch {
			case i < 0:
				v1 = append(v1, hierarchy{mount: e.mount, controllers: ctrls})
				rootMount[key] = e.root == "/"
			case !rootMount[key] && e.root == "/":
				v1[i].mount = e.mount
				rootMount[key] = true
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return v1, v2, nil
}

// v1Controllers extracts the controllers from a v1 mount's super options.
func v1Controllers(superOpts string) []string {
	var out []string
	for _, o := range strings.Split(superOpts, ",") {
		switch {
		case strings.HasPrefix(o, "name="):
			out = append(out, o)
		case o == "rw" || o == "ro" || strings.Contains(o, "=") ||
			o == "noprefix" || o == "clone_children" || o == "xattr" ||
			o == "cpuset_v2_mode" || o == "favordynmods":
		default:
			out = append(out, o)
		}
	}
	slices.Sort(out)
	return out
}

// unescapeMount undoes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
