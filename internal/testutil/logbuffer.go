package testutil

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// LogBuffer collects log output that a test reads while something else is
// still writing it. The zero value is ready.
type LogBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Logger returns an info-level logrus entry that writes to l.
func (l *LogBuffer) Logger() *logrus.Entry {
	lg := logrus.New()
	lg.SetOutput(l)
	return logrus.NewEntry(lg)
}

// Count returns how many lines written so far contain every one of parts.
func (l *LogBuffer) Count(parts ...string) int {
	return CountLines(l.String(), parts...)
}

// WaitCount waits, up to 30 s, until Count(parts...) is n, and fails the
// test otherwise.
func (l *LogBuffer) WaitCount(t testing.TB, n int, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for l.Count(parts...) != n {
		if time.Now().After(deadline) {
			t.Fatalf("want %d log lines with %q:\n%s", n, parts, l.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// CountLines returns how many lines of log contain every one of parts.
func CountLines(log string, parts ...string) int {
	n := 0
	for line := range strings.Lines(log) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}
