package memtrim

import (
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// Idle trims once the process has been left alone for a while after
// something that used memory once (start-up, installing a policy): each
// Soon starts the wait again, so a burst of work trims once, after it.
type Idle struct {
	delay time.Duration
	log   logrus.FieldLogger

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

// NewIdle returns an Idle that trims delay after the last Soon.
func NewIdle(delay time.Duration, log logrus.FieldLogger) *Idle {
	return &Idle{delay: delay, log: log}
}

// Soon schedules a trim delay from now, replacing one already scheduled.
func (i *Idle) Soon() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.stopped {
		return
	}
	if i.timer != nil {
		i.timer.Stop()
	}
	i.timer = time.AfterFunc(i.delay, i.trim)
}

// Stop cancels a scheduled trim; Soon does nothing after it.
func (i *Idle) Stop() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stopped = true
	if i.timer != nil {
		i.timer.Stop()
	}
}

func (i *Idle) trim() {
	before, _ := ReadUsage(0)
	r, err := Trim()
	if err != nil {
		i.log.WithError(err).Warn("memory not trimmed")
		return
	}
	after, _ := ReadUsage(0)
	i.log.WithFields(logrus.Fields{
		"mappings": r.Mappings, "file-kib": r.FileKiB,
		"rss-kib-before": before.RssKiB, "rss-kib-after": after.RssKiB,
	}).Debug("memory trimmed")
}
