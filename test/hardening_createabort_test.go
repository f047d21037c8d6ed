package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// killedCreateWrapper writes a runtime for -runtime that passes every
// invocation to the real runtime rt, except create: it lets the real
// create run until a child of the runtime is in the container's cgroup,
// then SIGKILLs the runtime, as the soak's runtime-kill fault does at its
// worst moment. What a killed runtime leaves in the cgroup (runc's init,
// crun's container process) dies by itself some time later, of its
// parent-death signal or its closed sync socket: to make that moment last,
// the wrapper also moves a sleep of its own into every hierarchy's
// container cgroup first. And as the runtime may have been quicker than
// the kill, its record of the container is removed after it. Its pid is written to pidsFile; "timeout" there
// means the runtime's child never joined the cgroup.
func killedCreateWrapper(t *testing.T, rt, pidsFile string) string {
	t.Helper()
	script := fmt.Sprintf(`#!/bin/sh
real=%[1]q
bundle=
root=
prev=
for a; do
	case $prev in
	--bundle|-b) bundle=$a ;;
	--root) root=$a ;;
	esac
	prev=$a
	id=$a
done
case " $* " in
*" create "*)
	cg=$(sed -n 's/.*"cgroupsPath":"\([^"]*\)".*/\1/p' "$bundle/config.json")
	"$real" "$@" &
	pid=$!
	i=0
	procs=
	while [ $i -lt 1000 ]; do
		# The runtime's children, not the runtime itself (crun joins too).
		procs=$(cat "/sys/fs/cgroup/pids$cg/cgroup.procs" "/sys/fs/cgroup$cg/cgroup.procs" 2>/dev/null | grep -vx "$pid")
		[ -n "$procs" ] && break
		sleep 0.01
		i=$((i+1))
	done
	if [ -z "$procs" ]; then
		echo timeout > %[2]q
	else
		sleep 1000 </dev/null >/dev/null 2>&1 &
		left=$!
		for d in /sys/fs/cgroup/*$cg /sys/fs/cgroup$cg; do
			[ -d "$d" ] && echo $left > "$d/cgroup.procs"
		done
		echo $left > %[2]q
	fi
	kill -9 $pid
	wait $pid
	# Killed before it recorded the container (crun may have been quicker).
	[ -n "$root" ] && [ -n "$id" ] && rm -rf "$root/$id"
	echo "test: runtime killed mid-create" >&2
	exit 137
	;;
esac
exec "$real" "$@"
`, rt, pidsFile)
	path := filepath.Join(t.TempDir(), "killed-"+filepath.Base(rt))
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHardeningCreateAbortKilledRuntime kills the runtime in the middle of
// a create, after the container's process joined its cgroup and before the
// runtime recorded any state: the create fails, and the daemon must leave
// nothing behind. The runtime cannot delete a container it never recorded,
// so what the killed runtime left in the container's cgroup is the
// daemon's to end; until it does the cgroup cannot be removed (soak
// finding S3: +22 cgroups after a runtime-kill run).
func TestHardeningCreateAbortKilledRuntime(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		pidsFile := filepath.Join(t.TempDir(), "left")
		h := newHostEnv(t, killedCreateWrapper(t, rt, pidsFile))
		id := h.id("killed")
		err := h.create(id, specFor("sleep", "1000"))
		leftPids := readLeft(t, pidsFile)
		cgPath := filepath.Join(daemonCgroupParent(t, h), "pods", id)
		t.Cleanup(func() {
			// The test's own processes, should the daemon not have ended
			// them: only those still in the container's cgroup.
			for _, dir := range containerCgroups(t, cgPath) {
				b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil {
						syscall.Kill(pid, syscall.SIGKILL)
					}
				}
			}
		})
		if err == nil {
			t.Fatal("create with the runtime killed mid-way succeeded")
		}
		if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "137") {
			t.Fatalf("create with the runtime killed: %v, want E_FAIL naming exit status 137", err)
		}
		if dirs := containerCgroups(t, cgPath); len(dirs) > 0 {
			t.Errorf("the failed create left %d cgroups, e.g. %s", len(dirs), dirs[0])
		}
		for _, pid := range leftPids {
			if alive(pid) {
				t.Errorf("the process %d left in the cgroup is still alive", pid)
			}
		}
	})
}

// daemonCgroupParent is the -cgroup-parent h's daemon runs with.
func daemonCgroupParent(t *testing.T, h *hostEnv) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(h.g.Pid()), "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(string(b), "\x00")
	for i, a := range args {
		if a == "-cgroup-parent" && i+1 < len(args) {
			return args[i+1]
		}
	}
	t.Fatal("gcs runs without -cgroup-parent")
	return ""
}

// readLeft reads the pids the wrapper left in the container's cgroup.
func readLeft(t *testing.T, file string) []int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the runtime wrapper did not run its create: %v", err)
	}
	if strings.TrimSpace(string(b)) == "timeout" {
		t.Fatal("the container's process never joined its cgroup")
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("left pids %q: %v", b, err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// containerCgroups lists the directories of cgroup path p in every
// mounted hierarchy that exist.
func containerCgroups(t *testing.T, p string) []string {
	t.Helper()
	var mounts []struct{ point, fstype string }
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 2 && (f[2] == "cgroup" || f[2] == "cgroup2") {
			mounts = append(mounts, struct{ point, fstype string }{f[1], f[2]})
		}
	}
	var left []string
	for _, m := range mounts {
		dir := filepath.Join(m.point, p)
		if _, err := os.Stat(dir); err == nil {
			left = append(left, dir)
		}
	}
	return left
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
