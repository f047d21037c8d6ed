package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
)

// disk is an ext4 image made for a run, holding hello.txt with
// "gcs-vm NAME\n" so that the guest can tell it mounted the right one.
type disk struct {
	name string
	size string
}

var disks = []disk{
	{fmt.Sprintf("scsi-lun%d", coldLUN), "32M"},
	{fmt.Sprintf("scsi-lun%d", hotplugLUN), "32M"},
	{fmt.Sprintf("scsi-lun%d", scratchLUN), "64M"},
	{"pmem0", "128M"}, // nvdimm sizes are best kept to 128 MiB multiples
}

func makeDisks(work string) error {
	mkfs, err := lookSbin("mkfs.ext4")
	if err != nil {
		return err
	}
	for _, d := range disks {
		src := filepath.Join(work, d.name+".content")
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(src, "hello.txt"), []byte("gcs-vm "+d.name+"\n"), 0o644); err != nil {
			return err
		}
		img := filepath.Join(work, d.name+".img")
		out, err := exec.Command(mkfs, "-q", "-F", "-L", d.name, "-d", src, img, d.size).CombinedOutput()
		if err != nil {
			return fmt.Errorf("mkfs.ext4 %s: %v: %s", img, err, out)
		}
		os.RemoveAll(src)
	}
	return nil
}

func lookSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(d, name); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (install e2fsprogs: make vm-deps)", name)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// workMarker marks a directory as a run directory that vmrun may empty.
const workMarker = ".vmrun-work"

// freshWorkDir empties dir for a new run; it refuses to touch a non-empty
// directory that an earlier run did not create.
func freshWorkDir(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case len(ents) > 0 && !fileExists(filepath.Join(dir, workMarker)):
		return fmt.Errorf("%s is not empty and not a vmrun work directory; not removing it", dir)
	default:
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, workMarker), nil, 0o644)
}
