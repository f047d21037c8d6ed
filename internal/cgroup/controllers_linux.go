package cgroup

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sirupsen/logrus"
)

// enableControllers enables, in cgroup.subtree_control of the v2 root under
// mnt and of every cgroup down to rel included, each controller that level
// offers and has not enabled yet, so that rel's children get them all. Only
// memory is required (the limits live there); a controller the kernel
// refuses otherwise is logged and skipped.
func enableControllers(mnt, rel string, log *logrus.Entry) error {
	dir := mnt
	levels := []string{dir}
	for _, part := range strings.Split(strings.Trim(rel, "/"), "/") {
		if part != "" {
			dir = filepath.Join(dir, part)
			levels = append(levels, dir)
		}
	}
	for _, dir := range levels {
		if err := enableLevel(dir, log); err != nil {
			return err
		}
	}
	return nil
}

// enableLevel enables the missing controllers of one cgroup: all at once,
// then one by one if the kernel refuses the batch.
func enableLevel(dir string, log *logrus.Entry) error {
	avail, err := readFields(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return fmt.Errorf("read available controllers: %w", err)
	}
	enabled, err := readFields(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return fmt.Errorf("read enabled controllers: %w", err)
	}
	var missing []string
	for _, c := range avail {
		if !slices.Contains(enabled, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	file := filepath.Join(dir, "cgroup.subtree_control")
	if err := writeFile(file, "+"+strings.Join(missing, " +")); err == nil {
		return nil
	}
	for _, c := range missing {
		err := writeFile(file, "+"+c)
		switch {
		case err == nil:
		case c == "memory":
			return fmt.Errorf("enable the memory controller: %w", err)
		default:
			log.WithError(err).WithFields(logrus.Fields{"cgroup": dir, "controller": c}).
				Warn("cgroup controller not enabled")
		}
	}
	return nil
}

// readFields reads a space-separated list file.
func readFields(file string) ([]string, error) {
	b, err := readBuf(file, nil)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}
