package stdio

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/transport"
)

// copyBufSize is the buffer size of one stream copy.
const copyBufSize = 32 << 10

// outputSource is what an output copy reads: a pipe read end or a pty
// master.
type outputSource interface {
	io.Reader
	readDeadliner
}

// copyOut copies src to dst until src reports the end of output: io.EOF,
// or EIO from a pty master (Linux's answer once every slave descriptor is
// closed). Bytes read together with an error are written first. Once d has
// begun, src's reads are bounded by d. It returns the bytes written.
func copyOut(d *drain, src outputSource, dst io.Writer, pty bool) (int64, error) {
	buf := make([]byte, copyBufSize)
	var n int64
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := dst.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, fmt.Errorf("write to host: %w", werr)
			}
			d.extend(src)
		}
		switch {
		case rerr == nil:
		case errors.Is(rerr, io.EOF), pty && errors.Is(rerr, syscall.EIO):
			return n, nil
		default:
			return n, fmt.Errorf("read process output: %w", rerr)
		}
	}
}

// copyIn copies the host's stdin connection to the process side until the
// host half-closes (io.EOF, a nil error) or either side fails.
func copyIn(src net.Conn, dst io.Writer) (int64, error) {
	buf := make([]byte, copyBufSize)
	var n int64
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := dst.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, fmt.Errorf("write process input: %w", werr)
			}
		}
		switch {
		case rerr == nil:
		case errors.Is(rerr, io.EOF):
			return n, nil
		default:
			return n, fmt.Errorf("read from host: %w", rerr)
		}
	}
}

// finishOutput ends an output connection: half-close so the host reads
// EOF, wait up to hostClose for the host to close its side (anything it
// sends meanwhile is discarded), then close. Closing only after the host
// did keeps a reset from discarding output still in flight.
func finishOutput(log *logrus.Entry, conn net.Conn, hostClose time.Duration) {
	if err := transport.CloseWrite(conn); err != nil {
		log.WithError(err).Debug("half-close output connection")
	}
	if err := conn.SetReadDeadline(time.Now().Add(hostClose)); err == nil {
		if _, err := io.Copy(io.Discard, conn); err != nil {
			log.WithError(err).Debug("host did not close output connection")
		}
	}
	_ = conn.Close()
}

// logCopy reports the end of one stream copy at a level that matches how
// it ended. For stdin (input) being stopped after the process exited, or
// the process side going away (EPIPE from a pipe, EIO from a pty), are
// normal.
func logCopy(log *logrus.Entry, d *drain, input bool, n int64, err error) {
	log = log.WithField("bytes", n)
	switch {
	case err == nil:
		log.Debug("stdio stream finished")
	case d.aborted.Load():
		log.WithError(err).Debug("stdio stream stopped by close")
	case input && (d.active.Load() || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.EIO)):
		log.WithError(err).Debug("stdin stream stopped")
	case d.active.Load() && errors.Is(err, os.ErrDeadlineExceeded):
		log.WithError(err).Warn("stdio stream cut short: output still open or host not reading after the process exited")
	default:
		log.WithError(err).Warn("stdio stream failed")
	}
}
