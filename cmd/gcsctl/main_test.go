package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// gcsBinary is the gcs daemon built once by TestMain for daemon_test.go.
var gcsBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gcsctl-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "create a directory for the gcs binary:", err)
		os.Exit(1)
	}
	gcsBinary = filepath.Join(dir, "gcs")
	build := exec.Command("go", "build", "-o", gcsBinary, "github.com/linux-gcs/gcs/cmd/gcs")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build gcs:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
