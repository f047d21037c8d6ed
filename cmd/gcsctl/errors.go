package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/linux-gcs/gcs/client"
)

// Exit codes, one convention for every command, as container CLIs have
// it (docker, podman): 0 on success; exitUsage for a mistake on the
// command line, found before gcsctl connects; exitFailed whenever gcsctl
// or the GCS failed, an error reply included; and for run, exec and wait
// the process's own exit code, with exitCannotRun and exitNotFound when
// run or exec could not start CMD. exitStatusHelp says the same to users.
const (
	exitOK    = 0
	exitUsage = 2
	// exitFailed is gcsctl's own failure, or the GCS's, in any command.
	exitFailed = 125
	// exitCannotRun is a command that was found but could not be run.
	exitCannotRun = 126
	// exitNotFound is a command that was not found.
	exitNotFound = 127
)

// usageError is a mistake on the command line (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf returns a usageError.
func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitStatus is the exit code of a process gcsctl ran or waited for, which
// gcsctl exits with, silently. It is an error so that actions can return
// it; a zero status is returned as nil.
type exitStatus uint32

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", uint32(e)) }

// exitWith returns the error an action returns to exit with code.
func exitWith(code uint32) error {
	if code == 0 {
		return nil
	}
	return exitStatus(code)
}

// code returns the status as a process exit code: codes above 255, which
// a process cannot exit with (such as 4294967295 for a utility-VM process
// killed by a signal), become 255.
func (e exitStatus) code() int {
	if e > 255 {
		return 255
	}
	return int(e)
}

// report prints err to stderr and returns the exit code it implies.
func (a *app) report(err error) int {
	var es exitStatus
	if errors.As(err, &es) {
		return es.code()
	}
	msg, code := describe(err)
	if a.jsonErrors {
		return a.reportJSON(err, msg, code)
	}
	if code == exitUsage {
		fmt.Fprintf(a.stderr, "error: %s\nRun 'gcsctl help' for usage.\n", msg)
		return code
	}
	fmt.Fprintf(a.stderr, "error: %s\n", msg)
	return code
}

// describe returns the message to print for err and the exit code it
// implies.
func describe(err error) (string, int) {
	var se *startError
	if errors.As(err, &se) {
		return err.Error(), se.code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return ue.msg, exitUsage
	}
	// A bare error reply is printed in short; one wrapped with what gcsctl
	// was doing falls through and is printed in full.
	if ce, ok := err.(*client.Error); ok {
		switch {
		case ce.Message == "":
			return "HRESULT " + ce.HResult.Hex(), exitFailed
		case strings.HasPrefix(ce.Message, "HRESULT"):
			// The GCS already names the HRESULT in its message.
			return ce.Message, exitFailed
		}
		return fmt.Sprintf("HRESULT %s: %s", ce.HResult.Hex(), ce.Message), exitFailed
	}
	return err.Error(), exitFailed
}

// errorJSON is an error as --json prints it on stderr.
type errorJSON struct {
	Error   string `json:"error"`
	HResult string `json:"hresult,omitempty"` // of the GCS's error reply, if any
	Usage   bool   `json:"usage,omitempty"`   // a mistake on the command line
}

// reportJSON prints err, described as msg, as a JSON object on stderr.
func (a *app) reportJSON(err error, msg string, code int) int {
	e := errorJSON{Error: msg, Usage: code == exitUsage}
	var ce *client.Error
	if errors.As(err, &ce) {
		e.HResult = ce.HResult.Hex()
	}
	b, merr := json.Marshal(e)
	if merr != nil {
		fmt.Fprintf(a.stderr, "error: %s\n", msg)
		return code
	}
	fmt.Fprintf(a.stderr, "%s\n", b)
	return code
}

// startError is the GCS's refusal to start a process because its
// executable is missing or cannot be run, which run and exec exit with
// as a shell does: 127 and 126.
type startError struct {
	code int
	err  error
}

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// The runtimes' words (runc's, crun's) for an executable that is missing
// or cannot be run, in lower case.
var (
	notFoundWords  = []string{"executable file not found", "no such file or directory"}
	cannotRunWords = []string{"permission denied", "operation not permitted", "exec format error", "is a directory"}
)

// classifyStart wraps err, the error of the request that starts a process
// (run's Create, exec's ExecuteProcess), in a startError when the GCS's
// reply says the executable is missing or cannot be run. Only replies that
// speak of the exec are taken: "exec:" (runc) or "executable" (crun).
func classifyStart(err error) error {
	var reply *client.Error
	if !errors.As(err, &reply) {
		return err
	}
	msg := strings.ToLower(reply.Message)
	if !strings.Contains(msg, "exec: ") && !strings.Contains(msg, "executable") {
		return err
	}
	for _, w := range notFoundWords {
		if strings.Contains(msg, w) {
			return &startError{code: exitNotFound, err: err}
		}
	}
	for _, w := range cannotRunWords {
		if strings.Contains(msg, w) {
			return &startError{code: exitCannotRun, err: err}
		}
	}
	return err
}
