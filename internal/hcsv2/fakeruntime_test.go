package hcsv2

// The fake OCI runtime of the handler fuzz tests. The runtime is the one
// boundary a fuzzer cannot cross thousands of times a second (a real runc
// create takes tens of milliseconds and a real container), so only there
// the Host talks to this stand-in: the test binary itself, run under the
// name fakeRuntimeName, speaking runc's command line and error messages.
// Its "containers" are a state directory each, and every process it starts
// is a short /bin/sleep with the given stdio (or a pty whose master it
// sends to the console socket), reparented to the test process's reaper
// like a real container's.

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/stdio"
)

// fakeRuntimeName is the name the test binary answers to as the runtime.
const fakeRuntimeName = "fake-oci-runtime"

// fakeProcessLife is how long a fake container process lives.
const fakeProcessLife = "0.02"

var fakeIDPattern = regexp.MustCompile(`^[\w+\-.]+$`)

// fakeRuntime is one invocation.
type fakeRuntime struct {
	root, logPath string
}

// runFakeRuntime executes one runtime command line and returns the exit
// status.
func runFakeRuntime(args []string) int {
	var rt fakeRuntime
	for len(args) > 1 && len(args[0]) > 2 && args[0][:2] == "--" {
		switch args[0] {
		case "--root":
			rt.root = args[1]
		case "--log":
			rt.logPath = args[1]
		}
		args = args[2:]
	}
	if len(args) == 0 {
		return rt.fail("no command")
	}
	op, rest := args[0], args[1:]
	flags, operands := fakeFlags(rest)
	if len(operands) == 0 {
		return rt.fail("container id cannot be empty")
	}
	id := operands[0]
	if !fakeIDPattern.MatchString(id) || id == "." || id == ".." {
		return rt.fail("invalid container ID format: " + id)
	}
	dir := filepath.Join(rt.root, id)
	_, statErr := os.Stat(dir)
	exists := statErr == nil
	switch op {
	case "create":
		if exists {
			return rt.fail("container with given ID already exists")
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return rt.fail(err.Error())
		}
		return rt.spawn(flags["--pid-file"], flags["--console-socket"])
	case "start", "kill", "update", "exec", "state":
		if !exists {
			return rt.fail("container does not exist")
		}
		if op == "update" {
			_, _ = io.Copy(io.Discard, os.Stdin)
		}
		if op == "state" {
			b, _ := json.Marshal(map[string]any{"id": id, "status": "stopped", "pid": 0})
			fmt.Println(string(b))
		}
		if op == "exec" {
			return rt.spawn(flags["--pid-file"], flags["--console-socket"])
		}
		return 0
	case "delete":
		if !exists {
			return rt.fail("container does not exist")
		}
		if err := os.RemoveAll(dir); err != nil {
			return rt.fail(err.Error())
		}
		return 0
	}
	return rt.fail("unknown command " + op)
}

// fakeFlags splits runc-style arguments into flags (with their values;
// "-d", "--all", "--force" and "--no-pivot" take none) and operands.
func fakeFlags(args []string) (map[string]string, []string) {
	flags := map[string]string{}
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-d" || a == "--all" || a == "--force" || a == "--no-pivot":
			flags[a] = ""
		case len(a) > 1 && a[0] == '-' && a != "-" && i+1 < len(args):
			flags[a] = args[i+1]
			i++
		default:
			operands = append(operands, a)
		}
	}
	return flags, operands
}

// spawn starts the container's process, detached, and writes its pid.
func (rt fakeRuntime) spawn(pidFile, consoleSocket string) int {
	cmd := exec.Command("/bin/sleep", fakeProcessLife)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if consoleSocket != "" {
		master, slavePath, err := stdio.NewPty()
		if err != nil {
			return rt.fail(err.Error())
		}
		slave, err := os.OpenFile(slavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
		if err != nil {
			return rt.fail(err.Error())
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
		if err := sendMaster(consoleSocket, master.Fd(), slavePath); err != nil {
			return rt.fail("send console: " + err.Error())
		}
	}
	if err := cmd.Start(); err != nil {
		return rt.fail(err.Error())
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	if pidFile != "" {
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(pid)), 0o600); err != nil {
			return rt.fail(err.Error())
		}
	}
	return 0
}

// sendMaster passes a pty master to a console socket, as runc does.
func sendMaster(path string, fd uintptr, name string) error {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, _, err = conn.(*net.UnixConn).WriteMsgUnix([]byte(name), unix.UnixRights(int(fd)), nil)
	return err
}

// fail logs msg as runc does (a JSON line at level error) and returns 1.
func (rt fakeRuntime) fail(msg string) int {
	b, _ := json.Marshal(map[string]string{"level": "error", "msg": msg})
	if rt.logPath != "" {
		_ = os.WriteFile(rt.logPath, append(b, '\n'), 0o600)
	}
	fmt.Fprintln(os.Stderr, msg)
	return 1
}
