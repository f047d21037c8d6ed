// Package crypttest checks, for tests, what package crypt leaves on a
// disk and in the kernel: the LUKS2 format of encrypted scratch, its
// device-mapper tables, and that nothing (mapping, key file) is left once
// it is closed. It needs cryptsetup, dmsetup and root; it is imported only
// from _test.go files, which run in the test VM where the kernel has
// device-mapper.
package crypttest

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/crypt"
	"github.com/linux-gcs/gcs/internal/storage/devmapper"
)

// openDevice opens the block device dev with its page cache dropped, so
// that reads see the device itself: device-mapper writes bypass that cache.
func openDevice(t testing.TB, dev string) *os.File {
	t.Helper()
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetInt(int(f.Fd()), unix.BLKFLSBUF, 0); err != nil {
		f.Close()
		t.Fatalf("flush the page cache of %s: %v", dev, err)
	}
	return f
}

// ReadDevice returns the content of the (small) block device dev as it is
// on the device.
func ReadDevice(t testing.TB, dev string) []byte {
	t.Helper()
	f := openDevice(t, dev)
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", dev, err)
	}
	return b
}

// DeviceContains reports whether the block device dev holds needle, read
// as it is on the device a chunk at a time (the test VM's memory is small).
func DeviceContains(t testing.TB, dev string, needle []byte) bool {
	t.Helper()
	f := openDevice(t, dev)
	defer f.Close()
	const chunk = 1 << 20
	buf := make([]byte, 0, chunk+len(needle))
	for {
		n, err := io.ReadFull(f, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if bytes.Contains(buf, needle) {
			return true
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return false
		}
		if err != nil {
			t.Fatalf("read %s: %v", dev, err)
		}
		// Keep the tail, in case needle straddles two chunks.
		keep := min(len(needle)-1, len(buf))
		buf = append(buf[:0], buf[len(buf)-keep:]...)
	}
}

// run runs a command and returns its output, failing t if it fails.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var luksUUID = regexp.MustCompile(`(?m)^UUID:\s+(\S+)$`)

// AssertScratch fails t unless the disk dev carries LUKS2 with
// aes-xts-plain64, hmac(sha256) integrity, 4096-byte sectors and a PBKDF2
// key slot, opened as the mapping name over a dm-integrity device without
// a journal, as the reference makes encrypted scratch. It returns the
// volume's UUID, new at every format.
func AssertScratch(t testing.TB, dev, name string) string {
	t.Helper()
	dump := run(t, "cryptsetup", "luksDump", dev)
	for _, want := range []string{"Version:       \t2", "aes-xts-plain64", "hmac(sha256)", "sector: 4096 [bytes]", "PBKDF:      pbkdf2"} {
		if !strings.Contains(dump, want) {
			t.Errorf("luksDump %s lacks %q:\n%s", dev, want, dump)
		}
	}
	if table := run(t, "dmsetup", "table", name); !strings.Contains(table, "authenc(hmac(sha256),xts(aes))") ||
		!strings.Contains(table, "sector_size:4096") || !strings.Contains(table, "integrity:") {
		t.Errorf("dm-crypt table of %s is not authenticated with 4096-byte sectors: %s", name, table)
	}
	if table := run(t, "dmsetup", "table", name+"_dif"); !strings.Contains(table, " integrity ") || strings.Contains(table, " J ") {
		t.Errorf("dm-integrity table of %s_dif (want one without a journal): %s", name, table)
	}
	m := luksUUID.FindStringSubmatch(dump)
	if m == nil {
		t.Fatalf("no UUID in luksDump %s:\n%s", dev, dump)
	}
	return m[1]
}

// AssertNoneLeft fails t if the mapping name or its dm-integrity device
// exists, or if a key file is left in keyDir (crypt.DefaultKeyDir when
// empty).
func AssertNoneLeft(t testing.TB, name, keyDir string) {
	t.Helper()
	for _, n := range []string{name, name + "_dif"} {
		if ok, err := devmapper.Exists(t.Context(), n); err != nil || ok {
			t.Errorf("device-mapper device %s left behind (%v)", n, err)
		}
	}
	if keyDir == "" {
		keyDir = crypt.DefaultKeyDir
	}
	if m, _ := filepath.Glob(filepath.Join(keyDir, crypt.KeyDirPrefix+"*")); len(m) > 0 {
		t.Errorf("key files left behind: %q", m)
	}
}
