package hcsv2

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// resolveUser turns a user name ("name" or "name:group", either part may be
// numeric) into uid and gid using the container's own /etc/passwd and
// /etc/group, as the reference does for exec processes.
func resolveUser(rootfs, name string) (oci.User, error) {
	userPart, groupPart, hasGroup := strings.Cut(name, ":")
	var u oci.User
	uid, gid, err := lookupID(filepath.Join(rootfs, "etc", "passwd"), userPart, true)
	if err != nil {
		return u, fmt.Errorf("resolve user %q: %w", userPart, err)
	}
	u.UID, u.GID = uid, gid
	if hasGroup {
		g, _, err := lookupID(filepath.Join(rootfs, "etc", "group"), groupPart, false)
		if err != nil {
			return u, fmt.Errorf("resolve group %q: %w", groupPart, err)
		}
		u.GID = g
	}
	return u, nil
}

// lookupID finds name (or a numeric id) in a passwd- or group-style file and
// returns its id and, for passwd, its primary group.
func lookupID(path, name string, passwd bool) (uint32, uint32, error) {
	if n, err := strconv.ParseUint(name, 10, 32); err == nil && !passwd {
		return uint32(n), 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		if n, perr := strconv.ParseUint(name, 10, 32); perr == nil {
			return uint32(n), uint32(n), nil
		}
		return 0, 0, err
	}
	defer f.Close()
	numeric, isNumeric := strconv.ParseUint(name, 10, 32)
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Split(s.Text(), ":")
		if len(fields) < 3 {
			continue
		}
		id, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil {
			continue
		}
		if fields[0] != name && !(isNumeric == nil && id == numeric) {
			continue
		}
		var gid uint64
		if passwd && len(fields) > 3 {
			gid, _ = strconv.ParseUint(fields[3], 10, 32)
		}
		return uint32(id), uint32(gid), nil
	}
	if isNumeric == nil {
		return uint32(numeric), uint32(numeric), nil
	}
	return 0, 0, fmt.Errorf("%q not found in %s", name, path)
}
