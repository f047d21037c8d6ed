package runtime

import "os"

// IO is the standard input, output and error handed to the process a
// runtime starts (create: the container's init; exec: the new process).
// They become exactly fds 0, 1 and 2 of the runtime command, which passes
// them on. A nil file means /dev/null.
type IO struct {
	Stdin, Stdout, Stderr *os.File
}

// CreateOpts are the options of Runtime.Create.
type CreateOpts struct {
	// PidFile is where the runtime writes the init's pid; a temporary
	// file is used when empty.
	PidFile string
	// ConsoleSocket is the path of a unix socket the runtime sends the
	// pty master of the init to, when the spec asks for a terminal.
	ConsoleSocket string
	// IO is the init's stdio when it has no terminal.
	IO IO
	// NoPivot makes the runtime use MS_MOVE instead of pivot_root (for a
	// rootfs on a ramdisk).
	NoPivot bool
}

func (o CreateOpts) args() []string {
	var a []string
	if o.PidFile != "" {
		a = append(a, "--pid-file", o.PidFile)
	}
	if o.ConsoleSocket != "" {
		a = append(a, "--console-socket", o.ConsoleSocket)
	}
	if o.NoPivot {
		a = append(a, "--no-pivot")
	}
	return a
}

// ExecOpts are the options of Runtime.Exec.
type ExecOpts struct {
	// PidFile is where the runtime writes the new process's pid; a
	// temporary file is used when empty.
	PidFile string
	// ConsoleSocket is the path of a unix socket the runtime sends the
	// pty master of the process to, when the process asks for a terminal.
	ConsoleSocket string
	// IO is the process's stdio when it has no terminal.
	IO IO
}

func (o ExecOpts) args() []string {
	var a []string
	if o.PidFile != "" {
		a = append(a, "--pid-file", o.PidFile)
	}
	if o.ConsoleSocket != "" {
		a = append(a, "--console-socket", o.ConsoleSocket)
	}
	return a
}
