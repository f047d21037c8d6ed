package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The tests in this file check the habits container people bring from
// docker, ctr and crictl against the real daemon: waiting for a container
// without naming its init, listing containers, prefixes of ids, rm -f.

// TestDaemonWaitInit: wait ID waits for the init without its pid, says on
// stderr that it has no time limit, and exits with the init's code.
func TestDaemonWaitInit(t *testing.T) {
	d := startDaemon(t, "runc")
	d.runDetached(t, "waitinit", waitUntilReleased...)
	var stdout, stderr syncBuffer
	noticed := stderr.notifyOn("with no time limit")
	done := make(chan int, 1)
	go func() { done <- d.gcsctl(t.Context(), nil, &stdout, &stderr, "wait", "waitinit") }()
	waitFor(t, noticed, "wait's notice that it has no time limit")
	d.release(t, "waitinit")
	if code := <-done; code != 5 || stdout.String() != "5\n" {
		t.Errorf("wait ID: exit %d, stdout %q, stderr %q; want 5 and \"5\\n\"", code, stdout.String(), stderr.String())
	}
	// The init can be waited for again, by a prefix of its id.
	if stdout, _ := d.mustCtl(t, 5, "", "wait", "waitin"); stdout != "5\n" {
		t.Errorf("wait PREFIX printed %q", stdout)
	}
	d.mustCtl(t, 0, "", "rm", "waitinit")
	d.mustCtl(t, 0, "", "layers", "remove", "--id", "waitinit")
	if _, _, stderr := d.ctl(t, "", "wait", "waitinit"); !strings.Contains(stderr, "no bundle of container waitinit") {
		t.Errorf("wait on a removed container: stderr %q", stderr)
	}
	d.checkClean(t)
}

// TestDaemonLsPs: ls lists a running container, an exited one and a bundle
// the GCS has no container for, with their init pids and commands; ps marks
// the init among a container's processes.
func TestDaemonLsPs(t *testing.T) {
	d := startDaemon(t, "runc")
	runPid := d.runDetached(t, "lsrun", "sh", "-c", "sleep 1000 & exec sleep 999")
	donePid := d.runDetached(t, "lsdone", "sh", "-c", "exit 3")
	d.mustCtl(t, 3, "", "wait", "lsdone")
	d.mustCtl(t, 0, "", "layers", "add", "--id", "lsnone", d.rootfs)

	stdout, _ := d.mustCtl(t, 0, "", "ls")
	for _, want := range []string{
		`(?m)^ID +STATE +PID +AGE +COMMAND$`,
		`(?m)^lsdone +exited +` + donePid + ` +\d+s +sh -c exit 3$`,
		`(?m)^lsnone +none +- +\d+s +$`,
		`(?m)^lsrun +running +` + runPid + ` +\d+s +sh -c sleep 1000 & exec sleep 999$`,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("ls printed\n%s\nwant a line matching %s", stdout, want)
		}
	}
	stdout, _ = d.mustCtl(t, 0, "", "ls", "--json")
	var list []containerStatus
	if err := json.Unmarshal([]byte(stdout), &list); err != nil || len(list) != 3 || list[2].State != stateRunning || len(list[2].Processes) != 2 {
		t.Errorf("ls --json printed %s (%v)", stdout, err)
	}

	stdout, _ = d.mustCtl(t, 0, "", "ps", "lsrun")
	for _, want := range []string{`(?m)^` + runPid + ` +init +sleep 999$`, `(?m)^\d+ +- +sleep 1000$`} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("ps printed\n%s\nwant a line matching %s", stdout, want)
		}
	}

	d.mustCtl(t, 0, "", "kill", "lsrun")
	d.mustCtl(t, 137, "", "wait", "lsrun")
	for _, id := range []string{"lsrun", "lsdone"} {
		d.mustCtl(t, 0, "", "rm", id)
	}
	for _, id := range []string{"lsrun", "lsdone", "lsnone"} {
		d.mustCtl(t, 0, "", "layers", "remove", "--id", id)
	}
	if stdout, _ := d.mustCtl(t, 0, "", "ls"); stdout != "ID  STATE  PID  AGE  COMMAND\n" {
		t.Errorf("ls with no container printed %q", stdout)
	}
	d.checkClean(t)
}

// TestDaemonRmForcePrefixName: run --name names a container; a unique
// prefix of an id names it in exec and rm, an ambiguous one is refused;
// rm -f removes a running container, an exited one and mounted layers
// without a container, leaving nothing behind.
func TestDaemonRmForcePrefixName(t *testing.T) {
	d := startDaemon(t, "runc")
	stdout, _ := d.mustCtl(t, 0, "", "run", "-d", "--name", "rmf-running", d.rootfs, "sleep", "1000")
	if !strings.HasPrefix(stdout, "rmf-running ") {
		t.Errorf("run -d --name printed %q", stdout)
	}
	d.runDetached(t, "rmf-exited", "true")
	d.mustCtl(t, 0, "", "wait", "rmf-exited")
	d.mustCtl(t, 0, "", "layers", "add", "--id", "rmf-layers", d.rootfs)

	if code, _, stderr := d.ctl(t, "", "exec", "rmf", "true"); code != exitFailed ||
		!strings.Contains(stderr, `container id prefix "rmf" is ambiguous: it matches rmf-exited, rmf-layers, rmf-running`) {
		t.Errorf("exec with an ambiguous prefix: exit %d, stderr %q", code, stderr)
	}
	if stdout, _ := d.mustCtl(t, 0, "", "exec", "rmf-r", "echo", "hi"); stdout != "hi\n" {
		t.Errorf("exec by prefix printed %q", stdout)
	}
	for _, prefix := range []string{"rmf-r", "rmf-e", "rmf-l"} {
		d.mustCtl(t, 0, "", "rm", "-f", prefix)
	}
	if stdout, _ := d.mustCtl(t, 0, "", "ls"); stdout != "ID  STATE  PID  AGE  COMMAND\n" {
		t.Errorf("ls after rm -f printed %q", stdout)
	}
	d.checkClean(t)
}

// TestDaemonLayersRemoveLeavesNothing: layers add then layers remove, no
// container ever created, leaves no bundle directory behind (issue 12: the
// GCS made ROOT/c/ID for the mount and the scratch, and kept it).
func TestDaemonLayersRemoveLeavesNothing(t *testing.T) {
	d := startDaemon(t, "runc")
	d.mustCtl(t, 0, "", "layers", "add", "--id", "onlylayers", d.rootfs)
	d.mustCtl(t, 0, "", "layers", "remove", "--id", "onlylayers")
	d.checkClean(t)
}

// TestDaemonProcessFlags: run and exec take docker's short flags, combined
// (-it, -ti) or not (-e, -w, -u), and "--" before CMD; -u NAME is resolved
// by the GCS in the container's own /etc/passwd and /etc/group.
func TestDaemonProcessFlags(t *testing.T) {
	d := startDaemon(t, "runc")
	script := `cat; echo "$A $B"; pwd; id -u; id -g`
	stdout, _ := d.mustCtl(t, 0, "in\n", "run", "-i", "--rm", "-e", "A=1", "--env", "B=2", "-w", "/etc", "-u", "1:2", d.rootfs, "--", "sh", "-c", script)
	if stdout != "in\n1 2\n/etc\n1\n2\n" {
		t.Errorf("run with short flags printed %q", stdout)
	}

	d.runDetached(t, "flags", "sleep", "1000")
	rootfs := filepath.Join(d.root, "c", "flags", "rootfs")
	for file, line := range map[string]string{"passwd": "alice:x:1234:4321::/:/bin/sh\n", "group": "staff:x:4321:\nwheel:x:99:\n"} {
		f, err := os.OpenFile(filepath.Join(rootfs, "etc", file), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteString(line)
		if f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		user, want string
	}{
		{"alice", "1234 4321\n"}, {"alice:wheel", "1234 99\n"}, {"root", "0 0\n"}, {"7:8", "7 8\n"},
	} {
		if stdout, _ := d.mustCtl(t, 0, "", "exec", "-u", tt.user, "flags", "--", "sh", "-c", `echo $(id -u) $(id -g)`); stdout != tt.want {
			t.Errorf("exec -u %s printed %q, want %q", tt.user, stdout, tt.want)
		}
	}
	if code, _, stderr := d.ctl(t, "", "exec", "-u", "nosuchuser", "flags", "true"); code == 0 || !strings.Contains(stderr, "nosuchuser") {
		t.Errorf("exec -u nosuchuser: exit %d, stderr %q", code, stderr)
	}
	// -ti: the flags combined, in any order.
	if stdout, _ := d.mustCtl(t, 0, "", "exec", "-ti", "flags", "tty"); !strings.HasPrefix(stdout, "/dev/pts/") {
		t.Errorf("exec -ti tty printed %q", stdout)
	}
	d.mustCtl(t, 0, "", "rm", "-f", "flags")
	d.checkClean(t)
}

// TestDaemonExitCodes: run and exec exit with docker's codes where CMD is
// not found (127) or cannot be run (126), and with 125 for gcsctl's own
// failures, for both runtimes, whose words for these differ.
func TestDaemonExitCodes(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		d := startDaemon(t, rt)
		d.runDetached(t, "codes", "sleep", "1000")
		tests := []struct {
			cmd  string
			code int
		}{
			{"/nonexistent", exitNotFound}, {"nosuchcmd", exitNotFound}, {"/etc/passwd", exitCannotRun}, {"/etc", exitCannotRun},
		}
		for _, tt := range tests {
			if code, _, stderr := d.ctl(t, "", "run", d.rootfs, tt.cmd); code != tt.code {
				t.Errorf("run %s: exit %d, want %d; stderr %q", tt.cmd, code, tt.code, stderr)
			}
			if code, _, stderr := d.ctl(t, "", "exec", "codes", tt.cmd); code != tt.code {
				t.Errorf("exec %s: exit %d, want %d; stderr %q", tt.cmd, code, tt.code, stderr)
			}
		}
		for _, args := range [][]string{{"exec", "nosuchcontainer", "true"}, {"wait", "codes", "99999"}} {
			if code, _, stderr := d.ctl(t, "", args...); code != exitFailed {
				t.Errorf("gcsctl %v: exit %d, want %d; stderr %q", args, code, exitFailed, stderr)
			}
		}
		d.mustCtl(t, 0, "", "rm", "-f", "codes")
		d.checkClean(t)
	})
}

// TestDaemonInterrupt: the first interrupt an attached run or exec gets is
// sent to its process (130 when SIGINT kills it, the init's own code when
// it handles it); a second one kills the process.
func TestDaemonInterrupt(t *testing.T) {
	d := startDaemon(t, "runc")
	d.runDetached(t, "intr", "sleep", "1000")
	tests := []struct {
		name   string
		args   []string
		twice  bool   // interrupt again after the notice
		code   int    // gcsctl's exit code
		stdout string // what the process printed
	}{
		{"exec dies of SIGINT", []string{"exec", "intr", "sh", "-c", "echo ready; exec sleep 1000"}, false, 130, "ready\n"},
		{"run handles SIGINT", []string{"run", d.rootfs, "sh", "-c", `trap 'echo got INT; exit 7' INT; echo ready; while :; do sleep 0.05; done`}, false, 7, "ready\ngot INT\n"},
		{"run ignores SIGINT: killed by the second", []string{"run", d.rootfs, "sh", "-c", "trap '' INT; echo ready; while :; do sleep 0.05; done"}, true, 137, "ready\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signals := make(chan os.Signal, 1)
			var stdout, stderr syncBuffer
			ready, noticed := stdout.notifyOn("ready\n"), stderr.notifyOn("interrupt again to kill it")
			done := make(chan int, 1)
			go func() {
				done <- runWithSignals(t.Context(), append(append([]string(nil), d.flags...), tt.args...), signals, nil, &stdout, &stderr)
			}()
			waitFor(t, ready, "the process to be ready")
			signals <- os.Interrupt
			if tt.twice {
				waitFor(t, noticed, "the notice that the interrupt was sent")
				signals <- os.Interrupt
			}
			if code := <-done; code != tt.code || stdout.String() != tt.stdout {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, stdout.String(), stderr.String(), tt.code, tt.stdout)
			}
		})
	}
	d.mustCtl(t, 0, "", "rm", "-f", "intr")
	d.checkClean(t)
}

// TestDaemonJSON: --json covers run -d, wait and errors (on stderr).
func TestDaemonJSON(t *testing.T) {
	d := startDaemon(t, "runc")
	stdout, _ := d.mustCtl(t, 0, "", "--json", "run", "-d", "--id", "js", d.rootfs, "sh", "-c", "exit 4")
	var started startedJSON
	if err := json.Unmarshal([]byte(stdout), &started); err != nil || started.ID != "js" || started.Pid == 0 {
		t.Errorf("run -d --json printed %q (%v)", stdout, err)
	}
	stdout, _ = d.mustCtl(t, 4, "", "wait", "--json", "js")
	var waited struct {
		ExitCode *uint32 `json:"exitCode"`
	}
	if err := json.Unmarshal([]byte(stdout), &waited); err != nil || waited.ExitCode == nil || *waited.ExitCode != 4 {
		t.Errorf("wait --json printed %q (%v)", stdout, err)
	}
	tests := []struct {
		args []string
		code int
		want errorJSON
	}{
		{[]string{"rm", "--json", "nosuch"}, exitFailed, errorJSON{Error: `HRESULT 0xc037010e: container "nosuch" not found`, HResult: "0xc037010e"}},
		{[]string{"--json", "ps"}, exitUsage, errorJSON{Error: "ps wants ID, got 0 arguments", Usage: true}},
		{[]string{"--json", "run", d.rootfs, "/nonexistent"}, exitNotFound, errorJSON{HResult: "0x80004005"}},
	}
	for _, tt := range tests {
		code, stdout, stderr := d.ctl(t, "", tt.args...)
		var got errorJSON
		err := json.Unmarshal([]byte(stderr), &got)
		if tt.want.Error == "" {
			tt.want.Error = got.Error // run's message is the runtime's
		}
		if code != tt.code || stdout != "" || err != nil || got != tt.want {
			t.Errorf("gcsctl %v: exit %d, stdout %q, stderr %q (%v); want %d and %+v", tt.args, code, stdout, stderr, err, tt.code, tt.want)
		}
	}
	d.mustCtl(t, 0, "", "rm", "-f", "js")
	d.checkClean(t)
}

// TestDaemonVersion: version prints gcsctl's build and what the GCS
// negotiates; without a GCS only gcsctl's part, and exit 1.
func TestDaemonVersion(t *testing.T) {
	d := startDaemon(t, "runc")
	stdout, _ := d.mustCtl(t, 0, "", "version")
	for _, want := range []string{`(?m)^Client: gcsctl .*, go1\.`, `(?m)^Server: the GCS at unix://`, `(?m)^Protocol version: +4$`, `(?m)^  SignalProcessSupported: +yes$`} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("version printed\n%s\nwant a line matching %s", stdout, want)
		}
	}
	stdout, _ = d.mustCtl(t, 0, "", "version", "--json")
	var v versionJSON
	if err := json.Unmarshal([]byte(stdout), &v); err != nil || v.Client.Go == "" || v.Server == nil || v.Server.Version != 4 {
		t.Errorf("version --json printed %s (%v)", stdout, err)
	}
	code, stdout, stderr := d.ctl(t, "", "--addr", filepath.Join(t.TempDir(), "none.sock"), "version")
	if code != exitFailed || !strings.HasPrefix(stdout, "Client: gcsctl ") || strings.Contains(stdout, "Server") || !strings.Contains(stderr, "is gcs running") {
		t.Errorf("version without a GCS: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if stdout, _ := d.mustCtl(t, 0, "", "--addr", "/nonexistent.sock", "version", "--client"); !strings.HasPrefix(stdout, "Client: gcsctl ") {
		t.Errorf("version --client printed %q", stdout)
	}
}
