package hcsv2

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\nwww:x:33:34::/var/www:/bin/false\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc", "group"), []byte("root:x:0:\nstaff:x:50:\n"), 0o644)
	for _, tc := range []struct {
		name     string
		uid, gid uint32
		bad      bool
	}{
		{name: "root", uid: 0, gid: 0},
		{name: "www", uid: 33, gid: 34},
		{name: "www:staff", uid: 33, gid: 50},
		{name: "1234", uid: 1234, gid: 0}, // not listed: gid 0, as the reference
		{name: "33", uid: 33, gid: 34},
		{name: "www:7", uid: 33, gid: 7},
		{name: "1234:staff", uid: 1234, gid: 50},
		{name: "nobody-here", bad: true},
		{name: "www:nogroup", bad: true},
		{name: "a:b:c", bad: true},
		{name: "-1", bad: true},
		{name: "4294967296", bad: true},
	} {
		u, err := resolveUser(context.Background(), root, tc.name)
		if tc.bad {
			if err == nil {
				t.Errorf("%q resolved to %+v", tc.name, u)
			}
			continue
		}
		if err != nil || u.UID != tc.uid || u.GID != tc.gid {
			t.Errorf("%q: got %+v %v, want %d:%d", tc.name, u, err, tc.uid, tc.gid)
		}
	}
}
