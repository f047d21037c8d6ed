package rootfs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/sys/user"
)

// ErrNotListed is returned when a rootfs's /etc/passwd or /etc/group exists
// and does not list the id asked about.
var ErrNotListed = errors.New("not listed")

// UserName returns the name /etc/passwd gives uid: "" when the rootfs has
// no /etc/passwd, ErrNotListed when it has one without uid.
func (u Users) UserName(ctx context.Context, uid uint32) (string, error) {
	b, err := u.read(ctx, "/etc/passwd")
	if err != nil || b == nil {
		return "", err
	}
	entries, err := user.ParsePasswd(strings.NewReader(string(b)))
	if err != nil {
		return "", fmt.Errorf("parse /etc/passwd: %w", err)
	}
	for _, e := range entries {
		if e.Uid >= 0 && int64(e.Uid) == int64(uid) {
			return e.Name, nil
		}
	}
	return "", fmt.Errorf("user %d: %w in /etc/passwd", uid, ErrNotListed)
}

// GroupName returns the name /etc/group gives gid: "" when the rootfs has
// no /etc/group, ErrNotListed when it has one without gid.
func (u Users) GroupName(ctx context.Context, gid uint32) (string, error) {
	b, err := u.read(ctx, "/etc/group")
	if err != nil || b == nil {
		return "", err
	}
	entries, err := user.ParseGroup(strings.NewReader(string(b)))
	if err != nil {
		return "", fmt.Errorf("parse /etc/group: %w", err)
	}
	for _, e := range entries {
		if e.Gid >= 0 && int64(e.Gid) == int64(gid) {
			return e.Name, nil
		}
	}
	return "", fmt.Errorf("group %d: %w in /etc/group", gid, ErrNotListed)
}
