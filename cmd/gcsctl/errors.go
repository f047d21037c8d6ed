package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/linux-gcs/gcs/client"
)

// Exit codes of gcsctl itself. Commands that run a process exit with the
// process's code instead (see exitStatus).
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
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
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(a.stderr, "error: %s\nRun 'gcsctl help' for usage.\n", ue.msg)
		return exitUsage
	}
	// A bare error reply is printed in short; one wrapped with what gcsctl
	// was doing falls through and is printed in full.
	if ce, ok := err.(*client.Error); ok {
		switch {
		case ce.Message == "":
			fmt.Fprintf(a.stderr, "error: HRESULT %s\n", ce.HResult.Hex())
		case strings.HasPrefix(ce.Message, "HRESULT"):
			// The GCS already names the HRESULT in its message.
			fmt.Fprintf(a.stderr, "error: %s\n", ce.Message)
		default:
			fmt.Fprintf(a.stderr, "error: HRESULT %s: %s\n", ce.HResult.Hex(), ce.Message)
		}
		return exitError
	}
	fmt.Fprintf(a.stderr, "error: %v\n", err)
	return exitError
}
