package mount

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseEntry(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Entry
		ok   bool
	}{
		{`36 35 98:0 /mnt1 /mnt\040two rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue`,
			Entry{ID: 36, Parent: 35, MajorMinor: "98:0", Root: "/mnt1", Point: "/mnt two", Options: "rw,noatime",
				Optional: []string{"master:1", "shared:7"}, FSType: "ext3", Source: "/dev/root", SuperOptions: "rw,errors=continue"}, true},
		{`22 1 0:21 / /sys rw - sysfs sysfs rw`,
			Entry{ID: 22, Parent: 1, MajorMinor: "0:21", Root: "/", Point: "/sys", Options: "rw", Optional: []string{},
				FSType: "sysfs", Source: "sysfs", SuperOptions: "rw"}, true},
		{"garbage", Entry{}, false},
		{"x 1 0:1 / /a rw - t s o", Entry{}, false},
	} {
		got, ok := parseEntry(tc.line)
		if ok != tc.ok || ok && (got.Point != tc.want.Point || got.Source != tc.want.Source || got.FSType != tc.want.FSType ||
			got.SuperOptions != tc.want.SuperOptions || got.ID != tc.want.ID || !slices.Equal(got.Optional, tc.want.Optional)) {
			t.Errorf("parseEntry(%q) = %+v, %v; want %+v", tc.line, got, ok, tc.want)
		}
	}
}

func TestPropagationAndUnmount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	for _, tc := range []struct {
		opts          []string
		want, without string
	}{
		{[]string{"rshared"}, "shared:", ""},
		{[]string{"shared", "private"}, "", "shared:"},
		{[]string{"unbindable"}, "unbindable", "shared:"},
	} {
		t.Run(strings.Join(tc.opts, ","), func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "m")
			if err := MakeTarget(target, nil); err != nil {
				t.Fatal(err)
			}
			if err := unix.Mount("tmpfs", target, "tmpfs", 0, ""); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
			if err := MakeTarget(target, nil); err == nil || !strings.Contains(err.Error(), "already a mount point") {
				t.Fatalf("MakeTarget on a mount point: %v", err)
			}
			if err := unix.Mount("tmpfs", target, "tmpfs", 0, ""); err != nil { // stacked
				t.Fatal(err)
			}
			if err := SetPropagation(target, tc.opts); err != nil {
				t.Fatal(err)
			}
			e, ok, err := Lookup(target)
			if err != nil || !ok {
				t.Fatalf("Lookup: %v, %v", ok, err)
			}
			has := func(p string) bool {
				return slices.ContainsFunc(e.Optional, func(o string) bool { return strings.HasPrefix(o, p) })
			}
			if tc.want != "" && !has(tc.want) || tc.without != "" && has(tc.without) {
				t.Errorf("optional fields %q after %q", e.Optional, tc.opts)
			}
			if err := SetPropagation(target, []string{"rshared", "nosuid"}); err == nil {
				t.Error("SetPropagation accepted nosuid")
			}
			for range 2 {
				detached, err := Unmount(t.Context(), target)
				if err != nil || detached {
					t.Fatalf("Unmount = %v, %v", detached, err)
				}
			}
			if _, ok, _ := Lookup(target); ok {
				t.Fatal("stacked mounts left")
			}
		})
	}
}

func TestUnmountBusyDetaches(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	target := t.TempDir()
	if err := unix.Mount("tmpfs", target, "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
	// An open file keeps a mount busy.
	g, err := os.Create(filepath.Join(target, "busy"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	detached, err := Unmount(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	if !detached {
		t.Skip("the kernel unmounted a busy tmpfs without detaching it")
	}
	if _, ok, _ := Lookup(target); ok {
		t.Fatal("still mounted after detaching")
	}
}
