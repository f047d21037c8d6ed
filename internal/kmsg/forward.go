package kmsg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/sirupsen/logrus"
)

// DefaultPath is the kernel log device.
const DefaultPath = "/dev/kmsg"

// recordMax bounds one read: a record is at most about 8 KiB with its
// dictionary (a read too small for a record fails with EINVAL).
const recordMax = 16 << 10

// Forward logs, on log, every record of the kernel log at path whose
// priority is at or below level, from the oldest the kernel holds, until
// ctx ends (nil is returned then) or the log cannot be read.
func Forward(ctx context.Context, path string, level uint8, log *logrus.Entry) error {
	// Opened non-blocking and registered with the poller: a pending read
	// ends when the file is closed.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("open kernel log %s: %w", path, err)
	}
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	defer f.Close()
	buf := make([]byte, recordMax)
	for {
		n, err := f.Read(buf)
		switch {
		case errors.Is(err, syscall.EPIPE):
			log.Warn("kernel log records were overwritten before they were read")
			continue
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			return fmt.Errorf("read kernel log %s: %w", path, err)
		}
		r, err := Parse(buf[:n])
		if err != nil {
			log.WithError(err).Warn("skip a kernel log record")
			continue
		}
		if r.Priority <= level {
			log.WithFields(logrus.Fields{
				"priority":   r.Priority,
				"facility":   r.Facility,
				"seq":        r.Seq,
				"since-boot": r.SinceBoot,
				"message":    r.Message,
			}).Info("kernel log")
		}
	}
}
