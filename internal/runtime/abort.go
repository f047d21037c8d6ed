package runtime

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// marker is a pipe whose read end every invocation inherits as an extra
// file and passes on to what it forks: a runtime's helpers may leave its
// process tree (crun's double fork, runc init after setsid) but keep the
// files they inherited, so holding the marker names them as the
// invocation's own when it has to be killed.
type marker struct {
	child *os.File // the end the runtime inherits; closed here once it started
	link  string   // what /proc/PID/fd/N reads for it: "pipe:[INODE]"
}

// newMarker makes the pipe with plain system calls: os.Pipe would register
// both ends with the poller only to have the write end closed at once and
// the read end made blocking again when handed to the runtime.
func newMarker() (*marker, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("creating invocation marker: %w", err)
	}
	// Nobody writes: the pipe only has to exist.
	unix.Close(p[1])
	var st unix.Stat_t
	if err := unix.Fstat(p[0], &st); err != nil {
		unix.Close(p[0])
		return nil, fmt.Errorf("creating invocation marker: %w", err)
	}
	return &marker{child: os.NewFile(uintptr(p[0]), "invocation-marker"), link: fmt.Sprintf("pipe:[%d]", st.Ino)}, nil
}

// abort kills invocation pid, the leader of a process group of its own:
// the group, the processes descended from pid and those holding m. The
// group is stopped first, so the runtime can neither reap nor fork while
// its processes are listed; a process is only killed through a pidfd
// opened while it was listed and found again on a second look, so a
// reused pid is never signalled. What dies is reparented to this process
// (a child subreaper) and reaped by the Reaper.
func abort(pid int, m *marker, log *logrus.Entry) {
	_ = unix.Kill(-pid, unix.SIGSTOP)
	done := map[int]bool{os.Getpid(): true}
	// A listed process still running may fork once more: look again
	// until nothing new turns up, a few times at most.
	for range 4 {
		first := related(pid, m)
		fds := make(map[int]int)
		for _, p := range first {
			if done[p] {
				continue
			}
			if fd, err := unix.PidfdOpen(p, 0); err == nil {
				fds[p] = fd
			}
		}
		if len(fds) == 0 {
			break
		}
		for _, p := range related(pid, m) {
			if fd, ok := fds[p]; ok {
				if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err == nil {
					log.WithField("pid", p).Debug("killed a process of a timed-out runtime invocation")
				}
				done[p] = true
			}
		}
		for p, fd := range fds {
			unix.Close(fd)
			done[p] = true
		}
	}
	_ = unix.Kill(-pid, unix.SIGKILL)
}

// related lists pid, its descendants and the processes holding m, from a
// scan of /proc.
func related(pid int, m *marker) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return []int{pid}
	}
	children := make(map[int][]int)
	var holders []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentOf(p); ok {
			children[pp] = append(children[pp], p)
		}
		if m != nil && holds(p, m.link) {
			holders = append(holders, p)
		}
	}
	// Never this process (nor init), whatever the scan says: its
	// children are every container's.
	seen := map[int]bool{os.Getpid(): true, 1: true}
	out := []int{}
	queue := append([]int{pid}, holders...)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
		queue = append(queue, children[p]...)
	}
	return out
}

// parentOf reads the parent pid of p from /proc/p/stat.
func parentOf(p int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
	if err != nil {
		return 0, false
	}
	// "pid (comm) state ppid ...": comm may hold anything but ends at
	// the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(string(f[1]))
	return pp, err == nil
}

// holds reports whether process p has a file descriptor reading link.
func holds(p int, link string) bool {
	dir := "/proc/" + strconv.Itoa(p) + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && l == link {
			return true
		}
	}
	return false
}
