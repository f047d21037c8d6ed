package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// README: with -initial-policy-stance deny "the daemon logs nothing until a
// policy allows runtime_logging"; the reference sends logrus output to
// io.Discard before its first line ("GCS started").
func TestDenyStanceLogsNothing(t *testing.T) {
	dir := t.TempDir()
	logf := filepath.Join(dir, "gcs.log")
	g, addr := listenGCS(t, "-disable-time-sync", "-initial-policy-stance", "deny", "-logfile", logf, "-loglevel", "info")
	dialGCS(t, addr)
	_ = g
	b, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.TrimSpace(string(b)); s != "" {
		t.Fatalf("deny stance, no policy set, yet the log has:\n%s", s)
	}
}
