package crypt

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DefaultKeyDir is where key files are made when Scratch.KeyDir is empty:
// the utility VM's /run is a tmpfs.
const DefaultKeyDir = "/run"

// KeyDirPrefix begins the name of the directory, under the key directory,
// that holds one key file while it is in use.
const KeyDirPrefix = "gcs-crypt-key-"

// keySize is the length of the random key, the key slot's passphrase. The
// volume key itself is drawn by cryptsetup.
const keySize = 64

// withKeyFile writes a fresh random key to a file (mode 0600) in a new
// directory (mode 0700) under dir, which must be memory-backed, calls use
// with the file's path and removes both before it returns, whatever use
// did. A key file that cannot be removed is an error.
func withKeyFile(dir string, use func(keyFile string) error) (err error) {
	if err := checkInMemory(dir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, KeyDirPrefix+"*")
	if err != nil {
		return fmt.Errorf("make key directory: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(tmp); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove key file: %w", rerr))
		}
	}()
	keyFile := filepath.Join(tmp, "key")
	if err := writeKey(keyFile); err != nil {
		return err
	}
	return use(keyFile)
}

// writeKey creates path with keySize random bytes.
func writeKey(path string) error {
	key := make([]byte, keySize)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("create key file: %w", err)
	}
	_, err = f.Write(key)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return nil
}

// checkInMemory returns an error unless dir is on a tmpfs or ramfs, so
// that a key written there never reaches a disk.
func checkInMemory(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("key directory: %w", err)
	}
	if !inMemory(st.Type) {
		return fmt.Errorf("key directory %s is not memory-backed (file system magic %#x, want tmpfs or ramfs)", dir, st.Type)
	}
	return nil
}

// inMemory reports whether a file system of statfs type magic keeps its
// files in memory only.
func inMemory(magic int64) bool {
	return magic == unix.TMPFS_MAGIC || magic == unix.RAMFS_MAGIC
}
