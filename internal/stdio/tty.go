package stdio

import (
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/containerd/console"
	"github.com/sirupsen/logrus"
)

// TTYRelay relays a process attached to a pseudo-terminal: stdin
// connection → pty master, pty master → stdout connection. A stderr
// connection is unused and closed at the end. The relay owns the master
// and the connections.
type TTYRelay struct {
	log      *logrus.Entry
	drain    drain
	conns    [3]net.Conn // stdin, stdout, stderr
	connC    [3]closer
	master   console.Console
	masterC  closer
	pty      *os.File // pollable duplicate of master used for all I/O
	ptyC     closer
	setupErr error // the duplicate could not be made; the relay is inert

	mu     sync.Mutex // guards closed against Resize
	closed bool

	startOnce sync.Once
	drainOnce sync.Once
	closeOnce sync.Once
	copies    copies // done is closed when every copy has ended (or none was started)
}

// NewTTYRelay is NewTTYRelayWithTimeouts with the default Timeouts.
func NewTTYRelay(master console.Console, c Conns, log *logrus.Entry) *TTYRelay {
	return NewTTYRelayWithTimeouts(master, c, Timeouts{}, log)
}

// NewTTYRelayWithTimeouts creates a relay for master and the connections
// of c; zero fields of t take the defaults. From here on the relay owns
// master: resize it with TTYRelay.Resize, and do not read, write or call
// Fd on it (with a master from console.NewPty, Fd would switch the shared
// descriptor back to blocking mode under the relay). Should preparing the
// master fail, Start closes everything and Wait reports the error.
func NewTTYRelayWithTimeouts(master console.Console, c Conns, t Timeouts, log *logrus.Entry) *TTYRelay {
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	r := &TTYRelay{
		log:    log,
		drain:  drain{t: t.withDefaults()},
		conns:  [3]net.Conn{c.Stdin, c.Stdout, c.Stderr},
		master: master,
		copies: copies{done: make(chan struct{})},
	}
	for i, conn := range r.conns {
		r.connC[i].set(conn)
	}
	r.masterC.set(master)
	pty, err := pollableDup(master)
	if err != nil {
		r.setupErr = fmt.Errorf("prepare pty master for relaying: %w", err)
		return r
	}
	r.pty = pty
	r.ptyC.set(pty)
	return r
}

// Resize sets the terminal's window size: width columns, height rows. It
// may be called before Start. After the relay closed it does nothing and
// succeeds.
func (r *TTYRelay) Resize(width, height uint16) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	if r.pty == nil {
		return fmt.Errorf("resize pty: %w", r.setupErr)
	}
	if err := setWinsize(r.pty, width, height); err != nil {
		return fmt.Errorf("resize pty to %dx%d: %w", width, height, err)
	}
	return nil
}
