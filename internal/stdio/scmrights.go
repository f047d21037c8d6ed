package stdio

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"golang.org/x/sys/unix"
)

// maxNameLen bounds the name a runtime sends with the master descriptor.
const maxNameLen = 4096

// receiveFd reads one message carrying exactly one descriptor from conn
// and returns the descriptor (close-on-exec) and the message text.
// Descriptors in a message that is rejected are closed.
func receiveFd(conn *net.UnixConn) (int, string, error) {
	buf := make([]byte, maxNameLen)
	oob := make([]byte, unix.CmsgSpace(4*4)) // room to see (and close) a few extra descriptors
	n, oobn, flags, _, err := conn.ReadMsgUnix(buf, oob)
	if errors.Is(err, io.EOF) && oobn == 0 {
		return -1, "", errors.New("connection closed before a descriptor was sent")
	}
	if err != nil {
		return -1, "", fmt.Errorf("read message: %w", err)
	}
	fds, err := parseRights(oob[:oobn])
	if err != nil {
		return -1, "", err
	}
	switch {
	case flags&unix.MSG_CTRUNC != 0:
		err = errors.New("control message truncated: too many descriptors")
	case len(fds) == 0 && n == 0:
		err = errors.New("connection closed before a descriptor was sent")
	case len(fds) != 1:
		err = fmt.Errorf("got %d descriptors, want 1", len(fds))
	}
	if err != nil {
		for _, fd := range fds {
			_ = unix.Close(fd)
		}
		return -1, "", err
	}
	name := strings.TrimRight(string(buf[:n]), "\x00")
	if name == "" {
		name = "pty-master"
	}
	return fds[0], name, nil
}

// parseRights returns the descriptors of every SCM_RIGHTS message in oob.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_RIGHTS {
			continue
		}
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			for _, fd := range fds {
				_ = unix.Close(fd)
			}
			return nil, fmt.Errorf("parse SCM_RIGHTS: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// setBlocking clears O_NONBLOCK on fd.
func setBlocking(fd int) error {
	if err := unix.SetNonblock(fd, false); err != nil {
		return fmt.Errorf("make descriptor %d blocking: %w", fd, err)
	}
	return nil
}
