package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// The bridge protocol has no request that lists containers or tells a
// container's init: the host is expected to remember what it created.
// gcsctl runs beside the GCS and shares its file system, so it reads what
// the GCS keeps for each container under its state directory (--root):
// the bundle ROOT/c/ID (ROOT/pods/POD/ID for a pod's containers) holds the
// config.json the GCS wrote at Create and the init.pid file the OCI
// runtime wrote. The GCS deletes the bundle with the container (rm), so
// this record lives exactly as long as the container.

// bundleRecord is what a container's bundle tells of it.
type bundleRecord struct {
	ID      string    `json:"id"`
	Pod     string    `json:"pod,omitempty"` // the pod, for a bundle under ROOT/pods
	Bundle  string    `json:"bundle"`
	InitPid uint32    `json:"initPid,omitempty"` // 0 until the runtime created the init
	Command []string  `json:"command,omitempty"` // the init's args in config.json
	Created time.Time `json:"created"`           // when the bundle was made
}

// readBundles returns the records of every bundle under root, sorted by
// id. A bundle directory without a config.json (its layers mounted but no
// container created, or one being made) is listed with no command.
func readBundles(root string) ([]bundleRecord, error) {
	var out []bundleRecord
	add := func(dir, pod string) error {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list containers in %s: %w", dir, err)
		}
		for _, e := range entries {
			if e.IsDir() {
				out = append(out, readBundle(filepath.Join(dir, e.Name()), e.Name(), pod))
			}
		}
		return nil
	}
	if err := add(filepath.Join(root, "c"), ""); err != nil {
		return nil, err
	}
	pods, err := os.ReadDir(filepath.Join(root, "pods"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list pods in %s: %w", root, err)
	}
	for _, p := range pods {
		if p.IsDir() {
			if err := add(filepath.Join(root, "pods", p.Name()), p.Name()); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(out, func(a, b bundleRecord) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// readBundle reads the record of the bundle dir of container id; what
// cannot be read stays empty.
func readBundle(dir, id, pod string) bundleRecord {
	r := bundleRecord{ID: id, Pod: pod, Bundle: dir}
	if fi, err := os.Stat(dir); err == nil {
		r.Created = fi.ModTime()
	}
	if b, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
		var spec oci.Spec
		if json.Unmarshal(b, &spec) == nil && spec.Process != nil {
			r.Command = spec.Process.Args
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "init.pid")); err == nil {
		if pid, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32); err == nil {
			r.InitPid = uint32(pid)
		}
	}
	return r
}

// findBundle returns the record of container id, which must be a full id.
func findBundle(root, id string) (bundleRecord, error) {
	records, err := readBundles(root)
	if err != nil {
		return bundleRecord{}, err
	}
	for _, r := range records {
		if r.ID == id {
			return r, nil
		}
	}
	return bundleRecord{}, fmt.Errorf("no bundle of container %s under %s (is --root the GCS's -root?)", id, root)
}

// resolveID turns what the user typed into a container id: an id the
// bundles under root know, or the only one it is a prefix of. An argument
// that matches nothing is returned as it is: the GCS may know a container
// whose bundle is elsewhere, and says so if it does not.
func resolveID(root, arg string) (string, error) {
	records, err := readBundles(root)
	if err != nil {
		return "", err
	}
	var matches []string
	for _, r := range records {
		if r.ID == arg {
			return arg, nil
		}
		if strings.HasPrefix(r.ID, arg) {
			matches = append(matches, r.ID)
		}
	}
	switch len(matches) {
	case 0:
		return arg, nil
	case 1:
		return matches[0], nil
	}
	return "", usageErrorf("container id prefix %q is ambiguous: it matches %s", arg, strings.Join(matches, ", "))
}
