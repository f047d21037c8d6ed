package mount

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Filesystems Probe recognises.
const (
	Ext4 = "ext4" // ext2, ext3 and ext4 alike: the ext4 driver mounts all three
	XFS  = "xfs"
)

// Superblock magic numbers and where they are.
const (
	extMagicOffset = 1080 // 1024 (superblock) + 56 (s_magic)
	extMagic       = 0xEF53
	xfsMagicOffset = 0
	xfsMagic       = "XFSB"
)

// Probe reads the superblock magic numbers of the file system on device
// and returns Ext4 or XFS, or "" if it recognises neither (a blank
// device, or another file system).
func Probe(device string) (string, error) {
	f, err := os.Open(device)
	if err != nil {
		return "", fmt.Errorf("probe file system: %w", err)
	}
	defer f.Close()
	fs, err := probe(f)
	if err != nil {
		return "", fmt.Errorf("probe file system on %s: %w", device, err)
	}
	return fs, nil
}

func probe(r io.ReaderAt) (string, error) {
	buf := make([]byte, extMagicOffset+2)
	n, err := r.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	buf = buf[:n]
	switch {
	case len(buf) >= xfsMagicOffset+len(xfsMagic) && bytes.Equal(buf[xfsMagicOffset:xfsMagicOffset+len(xfsMagic)], []byte(xfsMagic)):
		return XFS, nil
	case len(buf) >= extMagicOffset+2 && binary.LittleEndian.Uint16(buf[extMagicOffset:]) == extMagic:
		return Ext4, nil
	}
	return "", nil
}
