package guest

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCgroup2FavorDynMods: the image's GCS, started with its defaults,
// turns on favordynmods on the VM's cgroup2 mount and keeps the option
// the image's init mounted it with (nsdelegate).
func TestCgroup2FavorDynMods(t *testing.T) {
	vm(t).client(t) // the image's GCS is up and connected
	deadline := time.Now().Add(10 * time.Second)
	for {
		opts := cgroup2Options(t, "/sys/fs/cgroup")
		if slices.Contains(opts, "favordynmods") {
			if !slices.Contains(opts, "nsdelegate") {
				t.Errorf("cgroup2 options %q: nsdelegate, which the image's init set, was lost", opts)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cgroup2 options %q 10 s after the GCS connected; want favordynmods", opts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cgroup2Options returns the superblock options of the cgroup2 mount at
// mount, read from /proc/self/mountinfo.
func cgroup2Options(t *testing.T, mount string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var opts []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		sep := slices.Index(f, "-")
		if sep >= 5 && len(f) >= sep+4 && f[4] == mount && f[sep+1] == "cgroup2" {
			opts = strings.Split(f[sep+3], ",")
		}
	}
	if opts == nil {
		t.Fatalf("no cgroup2 mount at %s", mount)
	}
	return opts
}
