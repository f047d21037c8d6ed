package mounttest

import (
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// Logger returns a debug-level logrus entry that writes through t.Log, so
// its lines show only for failing tests or with -v.
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
