package runtime

import (
	"errors"
	"regexp"
	"strings"

	"github.com/linux-gcs/gcs/internal/reaper"
)

// Sentinel errors a failed runtime invocation is classified into; test for
// them with errors.Is.
var (
	// ErrNotFound means the container does not exist.
	ErrNotFound = errors.New("container does not exist")
	// ErrExists means a container with that id exists already.
	ErrExists = errors.New("container already exists")
	// ErrNotStopped means the container must be stopped first (delete
	// without force of a running container).
	ErrNotStopped = errors.New("container is not stopped")
	// ErrNotRunning means the container is not running (kill of a stopped
	// container).
	ErrNotRunning = errors.New("container is not running")
	// ErrInvalidID means the runtime rejected the container id.
	ErrInvalidID = errors.New("invalid container id")
)

// Error is a runtime invocation that exited with a non-zero status.
type Error struct {
	// Op is the runtime binary's base name and subcommand, e.g. "runc create".
	Op string
	// ID is the container the invocation was about, if any.
	ID string
	// Message is the runtime's own error text.
	Message string
	// Exit is how the runtime process ended.
	Exit reaper.Exit
	// Kind is the sentinel error the message was classified as, or nil.
	Kind error
}

// Error returns "<op>: <message>", e.g. `runc delete: container does not
// exist`. A message that already starts with "<op> failed: ", as runc's do
// for create and run, is not prefixed twice.
func (e *Error) Error() string {
	return e.Op + ": " + strings.TrimPrefix(e.Message, e.Op+" failed: ")
}

// Unwrap returns the sentinel the error was classified as, if any.
func (e *Error) Unwrap() error {
	return e.Kind
}

// classification maps a runtime error message to a sentinel error. The
// patterns are the messages runc 1.1 and crun 1.8 print; internal/runtime's
// tests provoke each of them.
type classification struct {
	kind    error
	pattern *regexp.Regexp
	// badID requires the container id to be invalid too: crun does not
	// check ids and only fails to create the state directory of one.
	badID bool
}

func classifications() []classification {
	re := regexp.MustCompile
	return []classification{
		// runc: "container does not exist"
		{kind: ErrNotFound, pattern: re(`\bcontainer does not exist\b`)},
		// crun: "error opening file `/root/id/status`: No such file or directory"
		{kind: ErrNotFound, pattern: re("error opening file `[^`]*/status`: No such file or directory")},
		// crun delete: "cannot open directory '/root/id': No such file or directory"
		{kind: ErrNotFound, pattern: re(`cannot open directory '[^']*': No such file or directory`)},
		// runc: "container with given ID already exists"
		{kind: ErrExists, pattern: re(`container with given ID already exists`)},
		// crun: "container `id` already exists"
		{kind: ErrExists, pattern: re("container `[^`]*` already exists")},
		// runc: "cannot delete container id that is not stopped: running"
		{kind: ErrNotStopped, pattern: re(`cannot delete container .* that is not stopped`)},
		// crun: "the container `id` is not in `created` or `stopped` state"
		{kind: ErrNotStopped, pattern: re("the container `[^`]*` is not in `created` or `stopped` state")},
		// runc: "container not running"
		{kind: ErrNotRunning, pattern: re(`\bcontainer not running\b`)},
		// crun kill: "open pidfd: No such process"
		{kind: ErrNotRunning, pattern: re(`open pidfd: No such process`)},
		// runc: "invalid container ID format"
		{kind: ErrInvalidID, pattern: re(`invalid container ID format`)},
		// crun: "cannot create state directory for `a/b`"
		{kind: ErrInvalidID, pattern: re("cannot create state directory for `[^`]*`"), badID: true},
	}
}

// validID applies runc's rule for container ids, which crun does not
// enforce: letters, digits and _ + - . only, and not "." or "..".
func validID(id string) bool {
	if id == "" || id == "." || id == ".." {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '+', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}

// classify returns the sentinel error msg means for container id, or nil.
func classify(msg, id string) error {
	for _, c := range classifications() {
		if !c.pattern.MatchString(msg) {
			continue
		}
		if c.badID && validID(id) {
			continue
		}
		return c.kind
	}
	return nil
}
