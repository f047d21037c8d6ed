package reaper

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of the start times /proc reports (clock ticks per
// second, USER_HZ): 100 on every architecture Linux runs a utility VM on.
const userHZ = 100

// ticks is a CLOCK_BOOTTIME instant in clock ticks (1/userHZ s), the
// clock and unit of a process's start time in /proc/PID/stat.
type ticks uint64

// bootTicks returns the current CLOCK_BOOTTIME in clock ticks, rounded
// down.
func bootTicks() ticks {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		// Cannot happen on Linux; 0 makes every hold cover everything,
		// the behaviour without start times.
		return 0
	}
	return ticks(uint64(ts.Sec)*userHZ + uint64(ts.Nsec)/(1e9/userHZ))
}

// child is one child process of this process, as /proc shows it.
type child struct {
	pid    int
	zombie bool  // exited, not yet reaped
	start  ticks // when it was forked
}

// errNoChildList means /proc lists no children of a task here (a kernel
// without CONFIG_PROC_CHILDREN) and a scan of /proc is needed.
var errNoChildList = errors.New("no /proc/self/task/*/children")

// listChildren returns this process's children with their state and
// start time. Only the Reaper reaps them, so under r.mu none of the pids
// can be reused between the listing and a wait4 of it.
func listChildren() ([]child, error) {
	pids, err := childPids()
	if errors.Is(err, errNoChildList) {
		pids, err = scanChildPids()
	}
	if err != nil {
		return nil, err
	}
	kids := make([]child, 0, len(pids))
	for _, pid := range pids {
		if c, ok := readChild(pid); ok {
			kids = append(kids, c)
		}
	}
	return kids, nil
}

// childPids reads the children of every thread of this process (a child
// belongs to the thread that forked it, or that it was reparented to).
func childPids() ([]int, error) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("listing own threads: %w", err)
	}
	var pids []int
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/children")
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := os.Stat("/proc/self/task/" + task.Name()); serr == nil {
				return nil, errNoChildList
			}
			continue // the thread ended meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("reading children of thread %s: %w", task.Name(), err)
		}
		for _, f := range bytes.Fields(b) {
			if pid, err := strconv.Atoi(string(f)); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids, nil
}

// scanChildPids finds this process's children by the parent pid of every
// process in /proc.
func scanChildPids() ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("scanning /proc for children: %w", err)
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f, ok := statFields(pid); ok && len(f) > 1 && string(f[1]) == strconv.Itoa(self) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// readChild reads the state and start time of pid from /proc/PID/stat.
func readChild(pid int) (child, bool) {
	f, ok := statFields(pid)
	// After the command name: state (field 3) ... starttime (field 22).
	if !ok || len(f) < 20 {
		return child{}, false
	}
	start, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return child{}, false
	}
	return child{pid: pid, zombie: string(f[0]) == "Z", start: ticks(start)}, true
}

// statFields returns the fields of /proc/PID/stat after the command name,
// which may hold anything but ends at the last ')'.
func statFields(pid int) ([][]byte, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	return bytes.Fields(b[i+1:]), true
}

// anyZombie reports whether some child has exited and waits to be
// reaped, without reaping it; true when that cannot be told.
func anyZombie() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, nil)
	if err == unix.ECHILD {
		return false
	}
	if err != nil {
		return true
	}
	// Linux fills in si_signo (SIGCHLD) only when a child is waitable;
	// info starts zeroed.
	return info.Signo != 0
}
