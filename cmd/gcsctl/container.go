package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// validID matches the container ids runc and crun accept. The id also
// names the container's directory under ROOT/c, so "." and ".." are out.
var validID = regexp.MustCompile(`^[A-Za-z0-9_+.-]+$`)

// checkID validates a container id given on the command line.
func checkID(id string) error {
	if !validID.MatchString(id) || id == "." || id == ".." {
		return usageErrorf("invalid container id %q (want letters, digits and _ + - .)", id)
	}
	return nil
}

// newID returns a fresh random container id: 64 hex digits, the shape a
// GCS under a security policy insists on.
func newID() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics instead).
	return hex.EncodeToString(b[:])
}

// containerPaths are where a container lives in the guest, laid out as
// hcsshim's host lays them out under the GCS's state root.
type containerPaths struct {
	bundle  string // ROOT/c/ID
	rootfs  string // ROOT/c/ID/rootfs, where the layers are mounted
	scratch string // ROOT/c/ID/scratch unless given
}

// pathsFor returns container id's paths under root; scratch, when not
// empty, replaces the default scratch directory.
func pathsFor(root, id, scratch string) containerPaths {
	bundle := filepath.Join(root, "c", id)
	p := containerPaths{bundle: bundle, rootfs: filepath.Join(bundle, "rootfs"), scratch: filepath.Join(bundle, "scratch")}
	if scratch != "" {
		p.scratch = scratch
	}
	return p
}

// absPaths makes every path absolute against the current directory (gcsctl
// and the GCS then share a file system) and cleans it.
func absPaths(paths []string) ([]string, error) {
	out := make([]string, len(paths))
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("make %q absolute: %w", p, err)
		}
		out[i] = abs
	}
	return out, nil
}

// combinedLayers is the CombinedLayers request that mounts layers (top
// first) with scratch at p.rootfs, or unmounts it.
func combinedLayers(rt prot.RequestType, id string, p containerPaths, layers []string) *prot.ModificationRequest {
	settings := &prot.LCOWCombinedLayers{ContainerID: id, ContainerRootPath: p.rootfs, ScratchPath: p.scratch}
	for _, l := range layers {
		settings.Layers = append(settings.Layers, prot.Layer{Path: l})
	}
	if rt == prot.RequestTypeRemove {
		settings.Layers, settings.ScratchPath = nil, ""
	}
	return &prot.ModificationRequest{ResourceType: prot.ResourceTypeCombinedLayers, RequestType: rt, Settings: settings}
}

// checkUnused fails if the GCS has a container id already, before run
// mounts anything where that container's root file system is.
func (s *session) checkUnused(ctx context.Context, id string) error {
	exists, err := s.exists(ctx, id)
	switch {
	case err != nil:
		return fmt.Errorf("check that container %s does not exist: %w", id, err)
	case exists:
		return fmt.Errorf("container %s already exists", id)
	}
	return nil
}

// exists reports whether the GCS knows container id; an error is a
// failure to find out (the GCS went away, it did not answer in time).
func (s *session) exists(ctx context.Context, id string) (bool, error) {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	_, err := s.client.GetProperties(ctx, id)
	switch {
	case err == nil:
		return true, nil
	case client.HResult(err) == prot.HrVmcomputeSystemNotFound:
		return false, nil
	}
	return false, err
}

// addLayers mounts container id's root file system from layers, top first.
func (s *session) addLayers(ctx context.Context, id string, p containerPaths, layers []string) error {
	if err := s.modify(ctx, prot.NullContainerID, combinedLayers(prot.RequestTypeAdd, id, p, layers)); err != nil {
		return fmt.Errorf("mount the layers of %s at %s: %w", id, p.rootfs, err)
	}
	return nil
}

// removeLayers unmounts container id's root file system.
func (s *session) removeLayers(ctx context.Context, id string, p containerPaths) error {
	if err := s.modify(ctx, prot.NullContainerID, combinedLayers(prot.RequestTypeRemove, id, p, nil)); err != nil {
		return fmt.Errorf("unmount the layers of %s at %s: %w", id, p.rootfs, err)
	}
	return nil
}

// Retrying DeleteContainerState while the GCS still finishes with the
// container (a Create in progress, an exit being reported).
const (
	deleteRetryFor   = 10 * time.Second
	deleteRetryEvery = 100 * time.Millisecond
)

// deleteContainer deletes container id's state in the guest, retrying for
// a while, and succeeds when the GCS does not know the id (anymore).
func (s *session) deleteContainer(ctx context.Context, id string) error {
	deadline := time.Now().Add(deleteRetryFor)
	for {
		rctx, cancel := s.requestContext(ctx)
		err := s.client.DeleteContainerState(rctx, id)
		cancel()
		var ce *client.Error
		switch {
		case err == nil, client.HResult(err) == prot.HrVmcomputeSystemNotFound:
			return nil
		case !errors.As(err, &ce), time.Now().After(deadline):
			return fmt.Errorf("delete container %s: %w", id, err)
		}
		select {
		case <-time.After(deleteRetryEvery):
		case <-ctx.Done():
			return fmt.Errorf("delete container %s: %w", id, err)
		}
	}
}

// absPath is absPaths for one path.
func absPath(p string) (string, error) {
	abs, err := absPaths([]string{p})
	if err != nil {
		return "", err
	}
	return abs[0], nil
}
