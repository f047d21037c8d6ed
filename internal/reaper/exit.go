package reaper

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Exit is a reaped process's end.
type Exit struct {
	// Pid is the process id that was reaped.
	Pid int
	// Status is the raw wait status returned by wait4.
	Status unix.WaitStatus
	// Time is when the process was reaped.
	Time time.Time

	// seq numbers the reaps of one Reaper in order (1, 2, ...), so the
	// exits of processes that had the same pid are told apart in time.
	seq uint64
}

// Code returns the exit status of a process that exited, or 128 plus the
// signal number of one that was killed by a signal, as container runtimes
// and shells report it. It returns -1 for a status that is neither.
func (e Exit) Code() int {
	switch {
	case e.Status.Exited():
		return e.Status.ExitStatus()
	case e.Status.Signaled():
		return 128 + int(e.Status.Signal())
	default:
		return -1
	}
}

// Signaled reports whether the process was terminated by a signal.
func (e Exit) Signaled() bool {
	return e.Status.Signaled()
}

// String describes the exit like os.ProcessState does: "exit status 3" or
// "signal: killed".
func (e Exit) String() string {
	if e.Status.Signaled() {
		s := "signal: " + e.Status.Signal().String()
		if e.Status.CoreDump() {
			s += " (core dumped)"
		}
		return s
	}
	return fmt.Sprintf("exit status %d", e.Code())
}

// ExitError is returned by Reaper.Output and Reaper.CombinedOutput when the
// command ran but did not exit with status 0.
type ExitError struct {
	Exit
	// Stderr holds the standard error output when Output collected it
	// (the command's Stderr was nil); it is nil for CombinedOutput.
	Stderr []byte
}

// Error describes the exit, e.g. "exit status 3".
func (e *ExitError) Error() string {
	return e.Exit.String()
}
