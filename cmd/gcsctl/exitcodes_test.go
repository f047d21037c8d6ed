package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDaemonExitCodeConvention: every command follows one convention
// against the real GCS: 2 for a usage error (125 for run, exec and wait,
// which exit with a process's code otherwise), 125 when gcsctl or the GCS
// fails (an error reply, no connection), 126 and 127 when run or exec
// cannot start CMD, and the process's own code for run, exec and wait.
func TestDaemonExitCodeConvention(t *testing.T) {
	d := startDaemon(t, "runc")
	d.runDetached(t, "codes", "sleep", "1000")
	missing := filepath.Join(d.root, "layers", "nosuch") // an image that is not there
	mnt := filepath.Join(d.root, "mnt")
	dead := []string{"--addr", "unix://" + filepath.Join(d.root, "nobody.sock")} // no GCS listens
	tests := []struct {
		name string
		args []string
		want int
	}{
		// The process's own code, and docker's when CMD cannot start.
		{"run: the process's code", []string{"run", d.rootfs, "sh", "-c", "exit 3"}, 3},
		{"run: the process exits 2", []string{"run", d.rootfs, "sh", "-c", "exit 2"}, 2},
		{"run: CMD not found", []string{"run", d.rootfs, "nosuchcmd"}, exitNotFound},
		{"exec: the process's code", []string{"exec", "codes", "sh", "-c", "exit 4"}, 4},
		{"exec: CMD cannot run", []string{"exec", "codes", "/etc"}, exitCannotRun},

		// Usage errors: 2, except for the commands that exit with a
		// process's code, where 125 keeps a process's 2 unambiguous (as
		// docker run does).
		{"run: usage", []string{"run", "--bogus", d.rootfs, "true"}, exitFailed},
		{"exec: usage", []string{"exec", "codes"}, exitFailed},
		{"wait: usage", []string{"wait"}, exitFailed},
		{"ps: usage", []string{"ps"}, exitUsage},
		{"kill: usage", []string{"kill", "--signal", "NOSUCH", "codes"}, exitUsage},
		{"layers add: usage", []string{"layers", "add", "--id", "x"}, exitUsage},

		// gcsctl's or the GCS's failures: 125 for every command.
		{"negotiate: no GCS", append(dead, "negotiate"), exitFailed},
		{"stacks: no GCS", append(dead, "stacks"), exitFailed},
		{"version: no GCS", append(dead, "version"), exitFailed},
		{"raw: an error reply", []string{"raw", "ShutdownForced", `{"ContainerId":"nosuch"}`}, exitFailed},
		{"run: the image is missing", []string{"run", missing, "true"}, exitFailed},
		{"exec: no such container", []string{"exec", "nosuch", "true"}, exitFailed},
		{"wait: no such container", []string{"wait", "nosuch"}, exitFailed},
		{"wait: no such process", []string{"wait", "codes", "99999"}, exitFailed},
		{"ls: --root is no directory", []string{"--root", "/dev/null", "ls"}, exitFailed},
		{"ls: --root does not exist", []string{"--root", filepath.Join(d.root, "nosuch"), "ls"}, exitFailed},
		{"ps: no such container", []string{"ps", "nosuch"}, exitFailed},
		{"stats: no such container", []string{"stats", "nosuch"}, exitFailed},
		{"kill: no such container", []string{"kill", "nosuch"}, exitFailed},
		{"stop: no such container", []string{"stop", "nosuch"}, exitFailed},
		{"rm: no such container", []string{"rm", "nosuch"}, exitFailed},
		{"pod run: the image is missing", []string{"pod", "run", missing, "true"}, exitFailed},
		{"layers add: the layer is missing", []string{"layers", "add", "--id", "x", missing}, exitFailed},
		{"disk unplug: no such device", []string{"disk", "unplug", "--lun", "3"}, exitFailed},
		{"pmem add: no such device", []string{"pmem", "add", "--device", "3", mnt}, exitFailed},
		{"share add: nobody serves it", []string{"share", "add", "--port", "5", mnt}, exitFailed},
		{"modify: refused", []string{"modify", "-"}, exitFailed},
		{"policy simulate: no policy file", []string{"policy", "simulate", "-policy", "/nonexistent", "-commands", "/nonexistent"}, exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdin := ""
			if tt.args[0] == "modify" {
				stdin = `{"ResourceType":"Bogus"}`
			}
			code, stdout, stderr := d.ctl(t, stdin, tt.args...)
			if code != tt.want {
				t.Errorf("gcsctl %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(tt.args, " "), code, tt.want, stdout, stderr)
			}
		})
	}
	d.mustCtl(t, 0, "", "rm", "-f", "codes")
	d.checkClean(t)
}
