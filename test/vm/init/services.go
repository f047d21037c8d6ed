//go:build linux

package main

import (
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// startGCS starts the GCS as a direct child of pid 1 (its poweroff guard
// checks that) with its log going to logPath.
func startGCS(r *reaper, logPath string) *proc {
	out, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_NOCTTY, 0o644)
	if err != nil {
		fatal("open the GCS log %s: %v", logPath, err)
	}
	defer out.Close()
	null, err := os.Open("/dev/null")
	if err != nil {
		fatal("open /dev/null: %v", err)
	}
	defer null.Close()
	g, err := r.start(gcsArgs, "/", guestEnv, []uintptr{null.Fd(), out.Fd(), out.Fd()}, &syscall.SysProcAttr{Setsid: true})
	if err != nil {
		fatal("%v", err)
	}
	logf("started gcs (pid %d), log in %s: %s", g.pid, logPath, strings.Join(gcsArgs, " "))
	return g
}

// rawTTY puts a serial port into raw mode: no echo, no line editing, no
// newline translation, so that it carries lines between the driver and the
// host-side runner unchanged.
func rawTTY(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8 | unix.CLOCAL
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	return unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
}
