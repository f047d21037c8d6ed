package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/console"
)

// shellPrompt is the VM shell's prompt (PS1 in the image's /etc/profile),
// after which busybox's line editor may ask for the cursor position.
var shellPrompt = regexp.MustCompile(`gcs-vm:[^\r\n]*# (\x1b\[6n)?$`)

// ptyTestCommand is "vmrun pty-test [-timeout DUR] -- COMMAND...": it runs
// COMMAND (make vm-shell) on a new pseudo-terminal as a person's shell
// would (a session of its own, the pty its controlling terminal, in the
// foreground), and uses it as a person does: waits for the prompt, types
// commands and reads their output, interrupts one with Ctrl-C, powers the
// VM off. It returns the exit code: 0 when every step went as expected.
func ptyTestCommand(args []string) int {
	fs := flag.NewFlagSet("vmrun pty-test", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 4*time.Minute, "limit for each wait for output")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: vmrun pty-test [-timeout DUR] -- COMMAND...")
		return 2
	}
	t, err := startOnPty(fs.Args())
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmrun: pty-test: %v\n", err)
		return 2
	}
	defer t.stop()
	if err := shellSteps(t, *timeout); err != nil {
		fmt.Printf("\nvmrun: pty-test: FAIL: %v\n", err)
		t.describeStopped()
		return 1
	}
	fmt.Printf("\nvmrun: pty-test: PASS\n")
	return 0
}

// shellSteps is what the person does at the VM's shell.
func shellSteps(t *ptySession, timeout time.Duration) error {
	if err := t.expect(shellPrompt, timeout, "the shell's prompt"); err != nil {
		return err
	}
	steps := []struct {
		what, input string
		want        *regexp.Regexp
		goesOn      bool // the command still runs once want is seen: no prompt yet
	}{
		{"a shell command's output", "echo pty-$((6*7))\r", regexp.MustCompile(`pty-42`), false},
		{"gcsctl negotiate, as the README shows it", "gcsctl negotiate\r", regexp.MustCompile(`Protocol version:\s+4`), false},
		{"a container's output", "gcsctl run /run/layers/busybox sh -c 'echo ctr-$((6*7))'\r", regexp.MustCompile(`ctr-42`), false},
		{"gcsctl ls lists a detached container, as the README shows it",
			"gcsctl run -d --name web /run/layers/busybox sleep 1000; gcsctl ls\r", regexp.MustCompile(`web\s+running\s+\d+`), false},
		{"gcsctl rm -f removes it", "gcsctl rm -f web; gcsctl ls; echo rm-$((6*7))\r", regexp.MustCompile(`COMMAND\s+rm-42`), false},
		{"an attached run to be interrupted, once its init runs",
			"gcsctl run /run/layers/busybox sh -c 'trap \"exit 7\" INT; echo init-$((6*7)); while :; do sleep 0.1; done'; c=$?\r", regexp.MustCompile(`init-42`), true},
		{"the prompt after Ctrl-C (gcsctl sends SIGINT to the container's init)", "\x03", nil, false},
		{"the init's exit code: it handled SIGINT", "echo code-$c\r", regexp.MustCompile(`code-7`), false},
		{"a command started to be interrupted", "sleep 1000; echo slept\r", nil, false},
		{"the prompt after Ctrl-C (the interrupt reaches the guest)", "\x03", nil, false},
		{"the shell alive after Ctrl-C", "echo after-$((6*7))\r", regexp.MustCompile(`after-42`), false},
	}
	for _, s := range steps {
		t.clear()
		if _, err := t.pty.Write([]byte(s.input)); err != nil {
			return fmt.Errorf("type %q: %w", s.input, err)
		}
		if s.want == nil {
			if s.input == "\x03" {
				if err := t.expect(shellPrompt, timeout, s.what); err != nil {
					return err
				}
			} else {
				time.Sleep(time.Second) // let the command start before interrupting it
			}
			continue
		}
		if err := t.expect(s.want, timeout, s.what); err != nil {
			return err
		}
		if s.goesOn {
			continue
		}
		if err := t.expect(shellPrompt, timeout, "the prompt after "+s.what); err != nil {
			return err
		}
	}
	t.clear()
	if _, err := t.pty.Write([]byte("poweroff\r")); err != nil {
		return err
	}
	code, err := t.wait(timeout)
	if err != nil {
		return fmt.Errorf("after poweroff: %w", err)
	}
	if code != 0 {
		return fmt.Errorf("after poweroff the command exited with %d", code)
	}
	return nil
}

// ptySession is a command running on a pseudo-terminal, and its output.
type ptySession struct {
	pty  console.Console
	cmd  *exec.Cmd
	done chan struct{}

	mu   sync.Mutex
	buf  bytes.Buffer // output since the last clear
	more chan struct{}
}

// startOnPty starts argv as the leader of a new session whose controlling
// terminal is a new pty, 80x24.
func startOnPty(argv []string) (*ptySession, error) {
	pty, slavePath, err := console.NewPty()
	if err != nil {
		return nil, fmt.Errorf("open a pty: %w", err)
	}
	if err := pty.Resize(console.WinSize{Width: 80, Height: 24}); err != nil {
		pty.Close()
		return nil, fmt.Errorf("size the pty: %w", err)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		pty.Close()
		return nil, fmt.Errorf("open %s: %w", slavePath, err)
	}
	defer slave.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		pty.Close()
		return nil, fmt.Errorf("start %s: %w", strings.Join(argv, " "), err)
	}
	t := &ptySession{pty: pty, cmd: cmd, done: make(chan struct{}), more: make(chan struct{}, 1)}
	go t.read()
	go func() {
		cmd.Wait()
		close(t.done)
	}()
	return t, nil
}

// read copies the pty's output to stdout and to the buffer.
func (t *ptySession) read() {
	b := make([]byte, 4096)
	for {
		n, err := t.pty.Read(b)
		if n > 0 {
			os.Stdout.Write(b[:n])
			t.mu.Lock()
			t.buf.Write(b[:n])
			t.mu.Unlock()
			select {
			case t.more <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// clear forgets the output so far.
func (t *ptySession) clear() {
	t.mu.Lock()
	t.buf.Reset()
	t.mu.Unlock()
}

// expect waits until the output since the last clear matches re.
func (t *ptySession) expect(re *regexp.Regexp, timeout time.Duration, what string) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		t.mu.Lock()
		ok := re.Match(t.buf.Bytes())
		t.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-t.more:
		case <-t.done:
			return fmt.Errorf("waiting for %s: the command exited (%v)", what, t.cmd.ProcessState)
		case <-deadline.C:
			return fmt.Errorf("waiting for %s: nothing within %v (the screen stayed as above)", what, timeout)
		}
	}
}

// wait waits for the command to exit and returns its exit code.
func (t *ptySession) wait(timeout time.Duration) (int, error) {
	select {
	case <-t.done:
		return t.cmd.ProcessState.ExitCode(), nil
	case <-time.After(timeout):
		return -1, fmt.Errorf("the command did not exit within %v", timeout)
	}
}

// sessionPids returns the processes of the command's session (all
// started by it), read from /proc, with their state letter.
func (t *ptySession) sessionPids() map[int]string {
	sid := t.cmd.Process.Pid
	out := map[int]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp session ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		var session int
		if len(f) < 4 {
			continue
		}
		fmt.Sscanf(f[3], "%d", &session)
		if session == sid {
			out[pid] = f[0] + " " + s[strings.IndexByte(s, '(')+1:i]
		}
	}
	return out
}

// describeStopped names the session's stopped processes, the symptom of a
// program reading a terminal it does not own the foreground of.
func (t *ptySession) describeStopped() {
	for pid, st := range t.sessionPids() {
		if strings.HasPrefix(st, "T ") {
			fmt.Printf("vmrun: pty-test: pid %d (%s) is stopped (state T): it touched the terminal from a background process group\n", pid, st[2:])
		}
	}
}

// stop kills what is left of the command's session and closes the pty.
func (t *ptySession) stop() {
	select {
	case <-t.done:
	default:
		for pid := range t.sessionPids() {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		select {
		case <-t.done:
		case <-time.After(10 * time.Second):
		}
	}
	t.pty.Close()
}
