package hcsv2

import (
	"context"
	"fmt"
	"strconv"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/rootfs"
)

// defaultUmask is the kernel's umask when a process names none.
const defaultUmask = "0022"

// policyUser describes to a Rego policy (the open and closed doors need
// nothing, and read nothing, as in the reference) the user of a process
// whose ids are resolved already (resolveInitUser, execSpec), the way the
// reference hands it to the policy: the user and its groups by id, with
// the names the container's /etc/passwd and /etc/group give them, and the
// umask. The ids are only named here, never looked up again, so that what
// the policy judges is what the runtime gets. As in the reference, an id
// that a present file does not list is an error, except when named (the
// user came from a user name), whose names are looked up leniently.
func (h *Host) policyUser(ctx context.Context, root string, u oci.User, named bool) (policy.IDName, []policy.IDName, string, error) {
	if _, ok := h.enforcer().(*policy.Rego); !ok {
		return policy.IDName{}, nil, "", nil
	}
	return describeUser(ctx, root, u, named)
}

// describeUser names u's ids from the files of the rootfs at root (see
// policyUser), leniently for the user and its primary group when named.
func describeUser(ctx context.Context, root string, u oci.User, named bool) (policy.IDName, []policy.IDName, string, error) {
	users := rootfs.Users{Root: root}
	umask := defaultUmask
	if u.Umask != nil {
		umask = fmt.Sprintf("%04o", *u.Umask)
	}
	fail := func(err error) (policy.IDName, []policy.IDName, string, error) {
		return policy.IDName{}, nil, "", prot.Errorf(prot.HrFail, "describe the process's user to the policy: %w", err)
	}
	uname, err := users.UserName(ctx, u.UID)
	if err != nil && !named {
		return fail(err)
	}
	gname, err := users.GroupName(ctx, u.GID)
	if err != nil && !named {
		return fail(err)
	}
	usr := policy.IDName{ID: strconv.FormatUint(uint64(u.UID), 10), Name: uname}
	groups := []policy.IDName{{ID: strconv.FormatUint(uint64(u.GID), 10), Name: gname}}
	for _, gid := range u.AdditionalGids {
		name, err := users.GroupName(ctx, gid)
		if err != nil {
			return fail(err)
		}
		groups = append(groups, policy.IDName{ID: strconv.FormatUint(uint64(gid), 10), Name: name})
	}
	return usr, groups, umask, nil
}
