// Package runtime is a thin typed wrapper over an OCI runtime command line
// (runc or crun): a Runtime holds the global flags and has one method per
// subcommand, taking a context, the container id and an options struct
// that renders its own flags.
//
// Every invocation is started through a reaper.Reaper, since this process
// is the child subreaper of what the runtime leaves behind, and runs with
// `--log /proc/self/fd/4 --log-format json`, fd 4 an in-memory file
// (memfd) of its own: both runtimes write their error there in
// their own words, even when the command's standard error is the container
// process's own (create and exec hand their stdio to the process they
// start; both also print the error there, so a failed create or exec shows
// it on IO.Stderr too). A failed invocation returns an *Error carrying that
// message, classified so that errors.Is matches ErrNotFound, ErrExists,
// ErrNotStopped, ErrNotRunning or ErrInvalidID.
//
// Every invocation is bounded (DefaultTimeout, Runtime.Timeout) as well as
// by its context, since a container can wedge the runtime itself (an
// /etc/passwd that is a FIFO blocks runc's and crun's exec). One that runs
// out is killed with its process group, its descendants and whatever holds
// the marker pipe it inherited (helpers that left its tree, as runc init
// and crun's double fork do), so nothing it started stays behind; an
// invocation that outlived its bound returns an error matching ErrTimeout.
package runtime
