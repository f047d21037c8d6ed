package cgroup

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestCgroup2Options(t *testing.T) {
	const hybrid = `25 24 0:22 / /sys/fs/cgroup/memory rw,relatime shared:8 - cgroup cgroup rw,memory
30 24 0:27 / /sys/fs/cgroup/unified rw,relatime shared:12 - cgroup2 cgroup2 rw
`
	tests := []struct {
		name, doc, mount string
		want             []string
		err              bool
	}{
		{"hybrid", hybrid, "/sys/fs/cgroup/unified", []string{"rw"}, false},
		{"unified with flags",
			"29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
			"/sys/fs/cgroup", []string{"rw", "nsdelegate", "memory_recursiveprot"}, false},
		{"the mount on top wins",
			"29 23 0:26 / /cg rw shared:4 - cgroup2 cgroup2 rw,nsdelegate\n40 29 0:26 / /cg rw shared:5 - cgroup2 cgroup2 rw,nsdelegate,favordynmods\n",
			"/cg", []string{"rw", "nsdelegate", "favordynmods"}, false},
		{"escaped mount point",
			`29 23 0:26 / /run/my\040cg rw - cgroup2 none rw,nsdelegate` + "\n",
			"/run/my cg", []string{"rw", "nsdelegate"}, false},
		{"a v1 mount there is not cgroup2", hybrid, "/sys/fs/cgroup/memory", nil, true},
		{"nothing there", hybrid, "/sys/fs/cgroup", nil, true},
		{"short lines skipped", "garbage\n1 2 3\n" + hybrid, "/sys/fs/cgroup/unified", []string{"rw"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cgroup2Options(strings.NewReader(tt.doc), tt.mount)
			if (err != nil) != tt.err {
				t.Fatalf("error %v; want an error: %v", err, tt.err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("options %q; want %q", got, tt.want)
			}
		})
	}
}

func TestCgroup2Params(t *testing.T) {
	tests := []struct {
		opts []string
		want []fsParam
	}{
		{[]string{"rw"}, nil},
		{[]string{"rw", "favordynmods"}, []fsParam{{key: "favordynmods"}}},
		{[]string{"ro", "nsdelegate", "memory_recursiveprot", "favordynmods"},
			[]fsParam{{key: "nsdelegate"}, {key: "memory_recursiveprot"}, {key: "favordynmods"}}},
		{[]string{"rw", "some=value", ""}, []fsParam{{key: "some", value: "value"}}},
	}
	for _, tt := range tests {
		if got := cgroup2Params(tt.opts); !slices.Equal(got, tt.want) {
			t.Errorf("cgroup2Params(%q) = %v; want %v", tt.opts, got, tt.want)
		}
	}
}

func TestKernelLacksFavor(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"favordynmods refused", fmt.Errorf("turn on: %w", &unknownOptionError{key: favorOption, err: unix.EINVAL}), true},
		{"another option refused", fmt.Errorf("turn on: %w", &unknownOptionError{key: "nsdelegate", err: unix.EINVAL}), false},
		{"no fspick", fmt.Errorf("open the cgroup2 superblock at /x: %w", unix.ENOSYS), true},
		{"not permitted", fmt.Errorf("reconfigure: %w", unix.EPERM), false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		if got := kernelLacksFavor(tt.err); got != tt.want {
			t.Errorf("%s: kernelLacksFavor(%v) = %v; want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// requireCgroup2 skips unless there is a cgroup2 mount to reconfigure,
// and returns it with its options, which it puts back when the test ends.
//
// These tests change a kernel-wide setting, as the daemon does in a
// utility VM: the options of the one cgroup2 superblock. The options are
// put back, but from Linux 6.18 the kernel keeps the faster migrations
// once turned on, so the tests run only where that is nobody else's
// concern: in the test VM (make vm-test runs this package there, GCS_VM=1)
// or when GCS_TEST_KERNELWIDE=1 says the machine may be changed.
func requireCgroup2(t *testing.T) (string, []string) {
	t.Helper()
	if os.Getenv("GCS_VM") != "1" && os.Getenv("GCS_TEST_KERNELWIDE") != "1" {
		t.Skip("changes a kernel-wide setting: runs in the test VM (make vm-test) or with GCS_TEST_KERNELWIDE=1")
	}
	l := requireCgroups(t)
	if l.unified == "" {
		t.Skip("no cgroup2 mount")
	}
	before, err := mountOptions(l.unified)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := reconfigureCgroup2(l.unified, before); err != nil {
			t.Errorf("put the cgroup2 options back: %v", err)
		}
		// favordynmods aside: a daemon may have set it meanwhile.
		if now, _ := mountOptions(l.unified); !slices.Equal(withoutFavor(now), withoutFavor(before)) {
			t.Errorf("cgroup2 options %q after the test; want %q back", now, before)
		}
	})
	return l.unified, before
}

// TestFavorDynamicMods turns favordynmods on for real and checks that the
// mount's other options survive: the reconfiguration sets every flag from
// scratch. Where the mount has no flag of its own (a hybrid machine's
// cgroup2 is often plain "rw") the test adds nsdelegate first, the flag
// systemd mounts cgroup2 with, so that there is one to keep.
//
// A daemon may turn favordynmods on at any moment (in the VM, the image's
// own), so an attempt that found it on already is made again.
func TestFavorDynamicMods(t *testing.T) {
	mount, before := requireCgroup2(t)
	opts := withoutFavor(before)
	if !slices.Contains(opts, "nsdelegate") {
		opts = append(opts, "nsdelegate")
	}
	for attempt := 0; attempt < 3; attempt++ {
		if err := reconfigureCgroup2(mount, opts); err != nil {
			t.Fatalf("set %q: %v", opts, err)
		}
		changed, err := favorDynamicMods(mount)
		if errors.Is(err, unix.EINVAL) {
			t.Skipf("kernel without %s: %v", favorOption, err)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !changed {
			continue
		}
		after, err := mountOptions(mount)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(after, favorOption) {
			t.Fatalf("options %q; want %s added", after, favorOption)
		}
		for _, o := range opts {
			if !slices.Contains(after, o) {
				t.Errorf("option %q lost: %q, was %q", o, after, opts)
			}
		}
		if changed, err := favorDynamicMods(mount); changed || err != nil {
			t.Errorf("second call: changed %v, %v; want nothing to do", changed, err)
		}
		return
	}
	t.Fatalf("favorDynamicMods never changed anything in 3 attempts (options %q)", opts)
}

// withoutFavor returns a copy of opts without favordynmods.
func withoutFavor(opts []string) []string {
	return slices.DeleteFunc(slices.Clone(opts), func(o string) bool { return o == favorOption })
}

// TestNewFavorsDynMods: a Manager asked to turn favordynmods on after
// New returned, in the background.
func TestNewFavorsDynMods(t *testing.T) {
	mount, before := requireCgroup2(t)
	if err := kernelTakes(mount, favorOption); err != nil {
		t.Skipf("kernel without %s: %v", favorOption, err)
	}
	if slices.Contains(before, favorOption) {
		if err := reconfigureCgroup2(mount, withoutFavor(before)); err != nil {
			t.Fatalf("clear %s: %v", favorOption, err)
		}
	}
	newTestManager(t, Options{FavorDynMods: true})
	deadline := time.Now().Add(10 * time.Second)
	for {
		opts, err := mountOptions(mount)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(opts, favorOption) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("options %q 10 s after New; want %s", opts, favorOption)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kernelTakes reports whether the kernel knows cgroup2 flag opt, without
// reconfiguring anything.
func kernelTakes(mount, opt string) error {
	fd, err := unix.Fspick(unix.AT_FDCWD, mount, unix.FSPICK_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.FsconfigSetFlag(fd, opt)
}
