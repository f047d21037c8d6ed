package kmsg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// DefaultPath is the kernel log device.
const DefaultPath = "/dev/kmsg"

// recordMax bounds one read: a record is at most about 8 KiB with its
// dictionary (a read too small for a record fails with EINVAL).
const recordMax = 16 << 10

// Forward logs, on log, every record of the kernel log at path whose
// priority is at or below level, from the oldest the kernel holds, until
// ctx ends (nil is returned then) or the log cannot be read. It forwards a
// burst of limitBurst records, then limitRate a second: the records it
// leaves out, and the overruns of the kernel's buffer, are counted in one
// line once the limit lets a line through again. The records the kernel
// held when Forward began (a bounded backlog: the boot's, say) are not
// limited.
func Forward(ctx context.Context, path string, level uint8, log *logrus.Entry) error {
	// Opened non-blocking and registered with the poller: a pending read
	// ends when the file is closed, or at a read deadline.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("open kernel log %s: %w", path, err)
	}
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	defer f.Close()
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &now); err != nil {
		return fmt.Errorf("read the monotonic clock: %w", err)
	}
	fw := forwarder{
		log:     log,
		level:   level,
		limit:   newBucket(limitRate, limitBurst, time.Now()),
		backlog: uint64(now.Nano() / 1000),
	}
	buf := make([]byte, recordMax)
	for {
		n, err := f.Read(buf)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			// Quiet since records were left out: count them now.
			fw.flush(time.Now())
			if err := f.SetReadDeadline(fw.deadline()); err != nil {
				return fmt.Errorf("read kernel log %s: %w", path, err)
			}
			continue
		case errors.Is(err, syscall.EPIPE):
			fw.overrun(time.Now())
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			return fmt.Errorf("read kernel log %s: %w", path, err)
		default:
			fw.record(time.Now(), buf[:n])
		}
		if err := f.SetReadDeadline(fw.deadline()); err != nil {
			return fmt.Errorf("read kernel log %s: %w", path, err)
		}
	}
}

// forwarder logs kernel log records within its rate limit.
type forwarder struct {
	log   *logrus.Entry
	level uint8
	limit *bucket
	// backlog is the time since boot, in microseconds, at which Forward
	// began: the kernel's clock for records, CLOCK_MONOTONIC, within
	// milliseconds. Records from before it are not limited.
	backlog uint64
	// left and overruns count the records left out and the overruns of
	// the kernel's buffer not logged yet.
	left, overruns uint64
}

// record logs the record b read at now if it is at or below the level and
// the limit allows.
func (fw *forwarder) record(now time.Time, b []byte) {
	r, err := Parse(b)
	if err != nil {
		if fw.allow(now) {
			fw.log.WithError(err).Warn("skip a kernel log record")
		}
		return
	}
	if r.Priority > fw.level {
		return
	}
	if r.SinceBoot >= fw.backlog && !fw.allow(now) {
		return
	}
	fw.log.WithFields(logrus.Fields{
		"priority":   r.Priority,
		"facility":   r.Facility,
		"seq":        r.Seq,
		"since-boot": r.SinceBoot,
		"message":    r.Message,
	}).Info("kernel log")
}

// overrun notes that records were overwritten before they were read.
func (fw *forwarder) overrun(now time.Time) {
	fw.overruns++
	fw.flush(now)
}

// allow reports whether a line may be logged at now, logging the count of
// what was left out first when there is one; a line not allowed is counted.
func (fw *forwarder) allow(now time.Time) bool {
	if !fw.limit.take(now) {
		fw.left++
		return false
	}
	fw.logLeftOut()
	return true
}

// flush logs the count of what was left out if the limit allows a line.
func (fw *forwarder) flush(now time.Time) {
	if fw.left+fw.overruns == 0 || !fw.limit.take(now) {
		return
	}
	fw.logLeftOut()
}

// logLeftOut logs and resets the counts of what was left out.
func (fw *forwarder) logLeftOut() {
	if fw.left+fw.overruns == 0 {
		return
	}
	fw.log.WithFields(logrus.Fields{
		"left-out": fw.left,
		"overruns": fw.overruns,
		"burst":    limitBurst,
		"per-sec":  limitRate,
	}).Warn("kernel log records left out: over the rate limit, or overwritten before they were read")
	fw.left, fw.overruns = 0, 0
}

// deadline is when a read should stop waiting: when the limit next allows
// a line if something left out is to be counted, else never.
func (fw *forwarder) deadline() time.Time {
	if fw.left+fw.overruns == 0 {
		return time.Time{}
	}
	return fw.limit.next()
}
