package stdio

import (
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/sirupsen/logrus"
)

// PipeOptions configure a PipeRelay.
type PipeOptions struct {
	// NullUnrequested gives the process /dev/null for streams the host
	// did not request (container execs, WIRE.md §6.3.3). Otherwise such a
	// stdin reads EOF at once and writes to such a stdout or stderr fail
	// with EPIPE (container init, §6.3.2).
	NullUnrequested bool
	// Timeouts bound the drain in Wait; zero fields take the defaults.
	Timeouts
}

// PipeRelay relays a process's stdio through pipes: one pipe always sits
// between the process and each host connection. The relay owns the
// connections it was given.
type PipeRelay struct {
	log     *logrus.Entry
	drain   drain
	streams [3]*pipeStream // stdin, stdout, stderr

	startOnce sync.Once
	drainOnce sync.Once
	closeOnce sync.Once
	copies    copies // done is closed when every copy has ended (or none was started)

	// A deferred relay gets its connections after its pipes (Attach).
	attachMu sync.Mutex
	deferred bool
	attached bool
}

// pipeStream is one standard stream of a PipeRelay.
type pipeStream struct {
	name  string
	input bool     // stdin: host → process
	conn  net.Conn // nil: not requested
	ours  *os.File // the relay's pipe end; nil when there is no copy
	child *os.File // the process's end

	connC, oursC, childC closer
}

// NewPipeRelay creates the pipes (or /dev/null files) for the streams of
// c. On success the relay owns c; on error c is left to the caller.
func NewPipeRelay(c Conns, opts PipeOptions, log *logrus.Entry) (*PipeRelay, error) {
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	r := &PipeRelay{
		log:    log,
		drain:  drain{t: opts.Timeouts.withDefaults()},
		copies: copies{done: make(chan struct{})},
	}
	conns := [3]net.Conn{c.Stdin, c.Stdout, c.Stderr}
	for i, name := range [3]string{"stdin", "stdout", "stderr"} {
		s, err := newPipeStream(name, i == 0, conns[i], opts.NullUnrequested)
		if err != nil {
			for _, prev := range r.streams[:i] {
				prev.oursC.Close()
				prev.childC.Close()
			}
			return nil, err
		}
		r.streams[i] = s
	}
	return r, nil
}

// newPipeStream prepares one stream: a pipe when conn is set, otherwise a
// pipe whose relay end is closed at once, or /dev/null when null is set.
func newPipeStream(name string, input bool, conn net.Conn, null bool) (*pipeStream, error) {
	s := &pipeStream{name: name, input: input, conn: conn}
	s.connC.set(conn)
	if conn == nil && null {
		flag := os.O_WRONLY
		if input {
			flag = os.O_RDONLY
		}
		f, err := os.OpenFile(os.DevNull, flag, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s for unrequested %s: %w", os.DevNull, name, err)
		}
		s.child = f
		s.childC.set(f)
		return s, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create %s pipe: %w", name, err)
	}
	s.child, s.ours = pw, pr
	if input {
		s.child, s.ours = pr, pw
	}
	s.childC.set(s.child)
	s.oursC.set(s.ours)
	if conn == nil {
		// Unrequested: the process reads EOF, or its writes fail with EPIPE.
		s.oursC.Close()
		s.ours = nil
	}
	return s, nil
}

// ChildIO returns the process's ends of the three streams, to be passed to
// the process (or to the runtime that starts it).
func (r *PipeRelay) ChildIO() (stdin, stdout, stderr *os.File) {
	return r.streams[0].child, r.streams[1].child, r.streams[2].child
}

// CloseChildEnds drops the relay's copies of the process's ends. Call it
// once the process (or the runtime CLI that passed them on) has started:
// until then the relay's copies keep the output pipes from reaching EOF.
func (r *PipeRelay) CloseChildEnds() {
	for _, s := range r.streams {
		s.childC.Close()
	}
}

// NewDeferredPipeRelay creates a relay whose pipes exist before the host's
// connections do: a container's init gets its stdio at create time, and the
// host names the streams it wants only when it starts the init. Attach the
// connections before Start. Streams left unrequested by Attach behave as in
// NewPipeRelay without NullUnrequested.
func NewDeferredPipeRelay(opts PipeOptions, log *logrus.Entry) (*PipeRelay, error) {
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	r := &PipeRelay{
		log:      log,
		drain:    drain{t: opts.Timeouts.withDefaults()},
		copies:   copies{done: make(chan struct{})},
		deferred: true,
	}
	for i, name := range [3]string{"stdin", "stdout", "stderr"} {
		pr, pw, err := os.Pipe()
		if err != nil {
			for _, prev := range r.streams[:i] {
				prev.oursC.Close()
				prev.childC.Close()
			}
			return nil, fmt.Errorf("create %s pipe: %w", name, err)
		}
		s := &pipeStream{name: name, input: i == 0, child: pw, ours: pr}
		if s.input {
			s.child, s.ours = pr, pw
		}
		s.childC.set(s.child)
		s.oursC.set(s.ours)
		r.streams[i] = s
	}
	return r, nil
}

// Attach gives a deferred relay its connections, once. The relay owns them
// from then on. Pipes of streams without a connection get their relay end
// closed: the process reads EOF on such a stdin, and its writes to such a
// stdout or stderr fail with EPIPE.
func (r *PipeRelay) Attach(c Conns) error {
	r.attachMu.Lock()
	defer r.attachMu.Unlock()
	if !r.deferred || r.attached {
		return fmt.Errorf("stdio: Attach on a relay that already has its connections")
	}
	r.attached = true
	for i, conn := range [3]net.Conn{c.Stdin, c.Stdout, c.Stderr} {
		s := r.streams[i]
		s.conn = conn
		s.connC.set(conn)
		if conn == nil {
			s.oursC.Close()
			s.ours = nil
		}
	}
	return nil
}
