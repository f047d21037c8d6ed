package hcsv2

import (
	"context"

	oci "github.com/opencontainers/runtime-spec/specs-go"

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
