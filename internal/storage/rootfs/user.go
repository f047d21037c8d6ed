package rootfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/moby/sys/user"
)

// User is a resolved user: the ids a process runs as.
type User struct {
	UID, GID uint32
}

// Users resolves user and group names against the /etc/passwd and
// /etc/group of one rootfs, read with ReadFile. A missing file counts as
// empty; one that is not a regular file, too large or too slow is an error.
type Users struct {
	// Root is the rootfs directory as the utility VM sees it.
	Root   string
	Limits Limits
}

// Resolve turns a user string into ids the way the reference GCS does:
// "name" and "uid" take the primary group from /etc/passwd (a uid that is
// not listed runs with gid 0); "name:group" and "uid:gid" override it
// with the group, looked up in /etc/group (a gid that is not listed is
// used as is). A name must match exactly one entry.
func (u Users) Resolve(ctx context.Context, spec string) (User, error) {
	parts := strings.Split(spec, ":")
	if len(parts) > 2 {
		return User{}, fmt.Errorf("invalid user %q: more than one ':'", spec)
	}
	res, err := u.resolveUser(ctx, parts[0])
	if err != nil {
		return User{}, err
	}
	if len(parts) == 2 {
		if res.GID, err = u.resolveGroup(ctx, parts[1]); err != nil {
			return User{}, err
		}
	}
	return res, nil
}

func (u Users) resolveUser(ctx context.Context, name string) (User, error) {
	id, numeric, err := parseID(name)
	if err != nil {
		return User{}, fmt.Errorf("invalid user %q: %w", name, err)
	}
	entries, err := u.passwd(ctx)
	if err != nil {
		return User{}, fmt.Errorf("resolve user %q: %w", name, err)
	}
	var found []user.User
	for _, e := range entries {
		if numeric && e.Uid == int(id) || !numeric && e.Name == name {
			found = append(found, e)
		}
	}
	switch {
	case len(found) == 1:
		uid, err1 := toID(found[0].Uid)
		gid, err2 := toID(found[0].Gid)
		if err := errors.Join(err1, err2); err != nil {
			return User{}, fmt.Errorf("resolve user %q: %w", name, err)
		}
		return User{UID: uid, GID: gid}, nil
	case numeric:
		return User{UID: id}, nil
	case len(found) == 0:
		return User{}, fmt.Errorf("resolve user %q: no such user in /etc/passwd", name)
	}
	return User{}, fmt.Errorf("resolve user %q: %d entries in /etc/passwd", name, len(found))
}

func (u Users) resolveGroup(ctx context.Context, name string) (uint32, error) {
	id, numeric, err := parseID(name)
	if err != nil {
		return 0, fmt.Errorf("invalid group %q: %w", name, err)
	}
	entries, err := u.groups(ctx)
	if err != nil {
		return 0, fmt.Errorf("resolve group %q: %w", name, err)
	}
	var found []user.Group
	for _, e := range entries {
		if numeric && e.Gid == int(id) || !numeric && e.Name == name {
			found = append(found, e)
		}
	}
	switch {
	case len(found) == 1:
		gid, err := toID(found[0].Gid)
		if err != nil {
			return 0, fmt.Errorf("resolve group %q: %w", name, err)
		}
		return gid, nil
	case numeric:
		return id, nil
	case len(found) == 0:
		return 0, fmt.Errorf("resolve group %q: no such group in /etc/group", name)
	}
	return 0, fmt.Errorf("resolve group %q: %d entries in /etc/group", name, len(found))
}

// AdditionalGroups resolves supplementary group names or ids against
// /etc/group (a numeric id need not be listed).
func (u Users) AdditionalGroups(ctx context.Context, groups []string) ([]uint32, error) {
	out := make([]uint32, 0, len(groups))
	for _, g := range groups {
		gid, err := u.resolveGroup(ctx, g)
		if err != nil {
			return nil, err
		}
		out = append(out, gid)
	}
	return out, nil
}

func (u Users) passwd(ctx context.Context) ([]user.User, error) {
	b, err := u.read(ctx, "/etc/passwd")
	if err != nil || b == nil {
		return nil, err
	}
	return user.ParsePasswd(strings.NewReader(string(b)))
}

func (u Users) groups(ctx context.Context) ([]user.Group, error) {
	b, err := u.read(ctx, "/etc/group")
	if err != nil || b == nil {
		return nil, err
	}
	return user.ParseGroup(strings.NewReader(string(b)))
}

// read returns the file's content, or nil if it does not exist.
func (u Users) read(ctx context.Context, name string) ([]byte, error) {
	b, err := ReadFile(ctx, u.Root, name, u.Limits)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// parseID reports whether s is numeric, and its value if it is; a number
// outside the 32-bit id range is an error.
func parseID(s string) (uint32, bool, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, true, fmt.Errorf("id out of range")
		}
		return 0, false, nil
	}
	if n < 0 || n > math.MaxUint32 {
		return 0, true, fmt.Errorf("id %d out of range", n)
	}
	return uint32(n), true, nil
}

func toID(n int) (uint32, error) {
	if n < 0 || n > math.MaxUint32 {
		return 0, fmt.Errorf("id %d out of range", n)
	}
	return uint32(n), nil
}
