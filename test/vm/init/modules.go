//go:build linux

package main

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// loadModules loads the modules of modulesTxt in order (dependencies come
// first) and returns how many failed.
func loadModules() int {
	f, err := os.Open(modulesTxt)
	if err != nil {
		logf("no module list: %v", err)
		return 1
	}
	defer f.Close()
	failed := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		path := strings.TrimSpace(s.Text())
		if path == "" {
			continue
		}
		start := time.Now()
		if err := loadModule(path); err != nil {
			logf("load module %s: %v", path, err)
			failed++
		}
		if d := time.Since(start); d > 250*time.Millisecond {
			logf("module %s took %.2fs", filepath.Base(path), d.Seconds())
		}
	}
	return failed
}

func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), "", 0)
	switch {
	case errors.Is(err, unix.EEXIST):
		return nil
	case errors.Is(err, unix.ENODEV):
		// A CPU-specific implementation (crc32c-intel, aesni, ...) that
		// the emulated CPU lacks; the generic one is loaded as well.
		logf("module %s: %v (not for this CPU; skipped)", filepath.Base(path), err)
		return nil
	}
	return err
}
