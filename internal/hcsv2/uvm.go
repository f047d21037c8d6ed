package hcsv2

import (
	"context"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/stdio"
)

// uvmArgv is the argv a utility-VM process runs: CommandArgs, or when
// there are none CommandLine split like a shell would. It is computed
// once, so that exec_external judges exactly the argv that is started.
func uvmArgv(p *prot.ProcessParameters) ([]string, error) {
	argv := p.CommandArgs
	if len(argv) == 0 {
		var err error
		if argv, err = splitCommandLine(p.CommandLine); err != nil {
			return nil, prot.Errorf(prot.HrInvalidArg, "CommandLine: %w", err)
		}
	}
	if len(argv) == 0 {
		return nil, prot.Errorf(prot.HrInvalidArg, "utility VM process has no command")
	}
	return argv, nil
}

// startUVMProcess runs argv (see uvmArgv) in the utility VM itself, as
// root, outside any container: exactly the environment p gives, and a pipe
// or pty between it and each connection p asks for.
func (h *Host) startUVMProcess(ctx context.Context, argv []string, p *prot.ProcessParameters, s prot.ExecuteProcessVsockStdioRelaySettings) (uint32, error) {
	if len(argv) == 0 {
		return 0, prot.Errorf(prot.HrInvalidArg, "utility VM process has no command")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if cmd.Err != nil {
		return 0, prot.Errorf(prot.HrFail, "start %q: %w", argv[0], cmd.Err)
	}
	cmd.Dir = p.WorkingDirectory
	cmd.Env = make([]string, 0, len(p.Environment))
	for k, v := range p.Environment {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	sort.Strings(cmd.Env)

	conns, err := h.dialStdio(ctx, p, s)
	if err != nil {
		return 0, err
	}
	var (
		relay   stdio.Relay
		tty     *stdio.TTYRelay
		pipes   *stdio.PipeRelay
		release func()
	)
	if p.EmulateConsole {
		master, slavePath, err := stdio.NewPty()
		if err != nil {
			conns.Close()
			return 0, prot.WithHResult(prot.HrFail, err)
		}
		slave, err := os.OpenFile(slavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
		if err != nil {
			master.Close()
			conns.Close()
			return 0, prot.Errorf(prot.HrFail, "open pty %s: %w", slavePath, err)
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		tty = stdio.NewTTYRelay(master, conns, h.log)
		relay = tty
		release = func() { slave.Close() }
	} else {
		pipes, err = stdio.NewPipeRelay(conns, stdio.PipeOptions{NullUnrequested: true}, h.log)
		if err != nil {
			conns.Close()
			return 0, prot.WithHResult(prot.HrFail, err)
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = pipes.ChildIO()
		relay = pipes
		release = pipes.CloseChildEnds
	}
	var rp *reaper.Process
	start := func() (int, error) {
		var err error
		if rp, err = h.opts.Reaper.StartProcess(cmd); err != nil {
			return 0, err
		}
		return rp.Pid(), nil
	}
	if h.opts.Spawn != nil {
		err = h.opts.Spawn(cmd, start)
	} else {
		_, err = start()
	}
	release()
	if err != nil {
		relay.Close()
		return 0, prot.Errorf(prot.HrFail, "start %s: %w", strings.Join(argv, " "), err)
	}
	proc := newProcess(rp, true)
	proc.setRelay(relay, tty)
	// Wait through the reaper so os/exec releases what it holds.
	reaped := make(chan reaper.Exit, 1)
	go func() {
		e, _ := h.opts.Reaper.Wait(cmd, rp.Exit())
		reaped <- e
	}()
	if err := h.addUVMProcess(proc); err != nil {
		relay.Close()
		proc.kill()
		return 0, err
	}
	if tty != nil {
		tty.Start()
	} else {
		pipes.Start()
	}
	go proc.watch(reaped, nil)
	return proc.pid, nil
}

// addUVMProcess records a started utility-VM process under its pid (see
// putProcess).
func (h *Host) addUVMProcess(p *process) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !putProcess(h.uvmProcs, p) {
		return prot.Errorf(prot.HrFail, "utility VM process %d is already tracked and running", p.pid)
	}
	return nil
}

// uvmProcess looks up a utility-VM process by pid.
func (h *Host) uvmProcess(pid uint32) (*process, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.uvmProcs[pid]
	if !ok {
		return nil, prot.Errorf(prot.HrElementNotFound, "utility VM process %d not found", pid)
	}
	return p, nil
}

// releaseUVMProcess drops a utility-VM process after its exit was delivered.
func (h *Host) releaseUVMProcess(p *process) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.uvmProcs[p.pid] == p {
		delete(h.uvmProcs, p.pid)
	}
}
