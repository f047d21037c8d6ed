package testutil

import (
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// Logger returns a debug-level logrus entry that writes through t.Log, so
// its lines show up only for failing tests or with -v. Stop everything that
// logs to it before the test ends.
func Logger(t testing.TB) *logrus.Entry {
	l := logrus.New()
	l.SetLevel(logrus.DebugLevel)
	l.SetOutput(testWriter{t})
	return logrus.NewEntry(l)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
