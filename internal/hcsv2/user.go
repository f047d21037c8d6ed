package hcsv2

import (
	"context"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/rootfs"
)

// resolveUser turns a user string ("name", "uid", "name:group",
// "uid:gid") into ids using the container's own /etc/passwd and
// /etc/group, read inside its rootfs only (see rootfs.Users), as the
// reference does for exec processes.
func resolveUser(ctx context.Context, root, name string) (oci.User, error) {
	u, err := rootfs.Users{Root: root}.Resolve(ctx, name)
	if err != nil {
		return oci.User{}, err
	}
	return oci.User{UID: u.UID, GID: u.GID}, nil
}

// resolveInitUser turns the init's User.Username into ids read in the
// container's own rootfs (see rootfs.Users), keeping the additional gids
// the host sent, as the reference does for sandbox and workload inits.
// It runs once, before the policy decides (enforceCreate): the ids the
// policy judges are those the runtime gets, however the host rewrites the
// rootfs's /etc/passwd afterwards. The name stays in the spec (the
// runtime does not read it; an exec naming no user takes the init's).
func resolveInitUser(ctx context.Context, spec *oci.Spec, rootfs string) error {
	name := spec.Process.User.Username
	if name == "" {
		return nil
	}
	u, err := resolveUser(ctx, rootfs, name)
	if err != nil {
		return prot.Errorf(prot.HrFail, "init user: %w", err)
	}
	spec.Process.User.UID, spec.Process.User.GID = u.UID, u.GID
	return nil
}
