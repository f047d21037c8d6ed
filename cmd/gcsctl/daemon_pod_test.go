package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDaemonPod runs a pod by hand in each host layout: pod run starts a
// sandbox and two workloads sharing a sandbox:// directory and the
// sandbox's hostname, exec reaches them, and pod rm takes everything down
// without leaving containers, mounts or cgroups behind.
func TestDaemonPod(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		d := startDaemon(t, rt)
		disk := filepath.Join(filepath.Dir(d.root), "mounts", "scsi", "0_1_0")
		if err := os.MkdirAll(disk, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, layout := range [][]string{{"--layout", "hcsoci"}, {"--layout", "controller", "--scratch-disk", disk}} {
			t.Run(layout[1], func(t *testing.T) {
				args := append([]string{"pod", "run", "--id", "p1", "--hostname", "podhost", "--mount", "sandbox://data:/data"}, layout...)
				args = append(args, d.rootfs, "sleep", "1000", "---", "sh", "-c", "echo hi > /data/f; sleep 1000")
				stdout, _ := d.mustCtl(t, 0, "", args...)
				lines := strings.Split(strings.TrimSpace(stdout), "\n")
				if len(lines) != 3 || !strings.HasPrefix(lines[0], "p1 ") || !strings.HasPrefix(lines[1], "p1-1 ") || !strings.HasPrefix(lines[2], "p1-2 ") {
					t.Fatalf("pod run printed %q, want p1, p1-1 and p1-2 with their pids", stdout)
				}
				if got, _ := d.mustCtl(t, 0, "", "exec", "p1-1", "sh", "-c", "until test -s /data/f; do sleep 0.1; done; cat /data/f /etc/hostname"); got != "hi\npodhost\n" {
					t.Errorf("p1-1 sees %q, want what p1-2 wrote and the pod's hostname", got)
				}
				d.mustCtl(t, 0, "", append(append([]string{"pod", "rm"}, layout...), "p1")...)
				if _, stderr := d.mustCtl(t, exitFailed, "", "rm", "p1"); !strings.Contains(stderr, "0xc037010e") {
					t.Errorf("the sandbox is still there after pod rm: %s", stderr)
				}
			})
		}
		if entries, _ := os.ReadDir(filepath.Join(d.root, "pods")); len(entries) > 0 {
			t.Errorf("pod directories left in %s: %v", filepath.Join(d.root, "pods"), entries)
		}
		d.checkClean(t)
	})
}
