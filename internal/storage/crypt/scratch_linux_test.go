package crypt

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// fakeCryptsetup stands in for cryptsetup: the machine these unit tests
// run on has no device-mapper, so the real one cannot format or open
// anything here (the real one runs in the test VM, package scsi and
// test/vm/guest). It logs its arguments and, for --key-file, what the key
// file looks like while it runs: mode, size, its directory's mode, its file
// system and a digest, never the key. A file fail-<verb> next to it makes
// that command fail, hang-<verb> makes it hang.
const fakeCryptsetup = `#!/bin/sh
dir=$(dirname "$0")
echo "args: $*" >>"$dir/log"
verb=$1
while [ $# -gt 0 ]; do
	if [ "$1" = --key-file ]; then
		echo "key: $(stat -c '%a %s' "$2") dir $(stat -c %a "$(dirname "$2")") fs $(stat -f -c %T "$2") sum $(sha256sum <"$2" | cut -c1-16)" >>"$dir/log"
	fi
	shift
done
if [ -e "$dir/fail-$verb" ]; then
	echo "fake $verb failed" >&2
	exit 1
fi
if [ -e "$dir/hang-$verb" ]; then
	exec sleep 600
fi
exit 0
`

// fake is a fake cryptsetup in a directory of its own.
type fake struct{ dir string }

func newFake(t *testing.T, fail ...string) fake {
	t.Helper()
	f := fake{dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(f.dir, "cryptsetup"), []byte(fakeCryptsetup), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range fail {
		if err := os.WriteFile(filepath.Join(f.dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f fake) command() string { return filepath.Join(f.dir, "cryptsetup") }

// log returns the lines the fake logged.
func (f fake) log(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "log"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// tmpfsDir mounts a small tmpfs of the test's own and returns it.
func tmpfsDir(t *testing.T) string {
	t.Helper()
	mounttest.RequireRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m,mode=0755"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left in the key directory: %s", e.Name())
	}
}

var keyLine = regexp.MustCompile(`^key: 600 64 dir 700 fs tmpfs sum [0-9a-f]{16}$`)

func TestScratchKeyFile(t *testing.T) {
	const device, name = "/dev/fake-disk", "gcs-crypt-unit-test-absent"
	format := "args: luksFormat --batch-mode --key-file KEY --type luks2 --cipher aes-xts-plain64 --integrity hmac-sha256 --pbkdf pbkdf2 --integrity-no-wipe --sector-size 4096 --pbkdf-force-iterations 1000 " + device
	open := "args: open --key-file KEY --type luks2 --integrity-no-journal " + device + " " + name
	close := "args: close " + name
	for _, tc := range []struct {
		name    string
		fail    []string
		timeout time.Duration
		want    []string // the fake's log, key file paths as KEY, key lines as "key"; nil: not checked
		wantErr string
	}{
		{name: "format fails", fail: []string{"fail-luksFormat"}, want: []string{format, "key"}, wantErr: "fake luksFormat failed"},
		{name: "open fails", fail: []string{"fail-open"}, want: []string{format, "key", open, "key"}, wantErr: "fake open failed"},
		// The fake opens nothing, so the mapping's node is missing: the
		// step after open fails and the mapping is closed.
		{name: "opened, then a failure", want: []string{format, "key", open, "key", close}, wantErr: "zero the start"},
		// The fake may be killed before it logs anything: its log is not
		// checked.
		{name: "hung command", fail: []string{"hang-luksFormat"}, timeout: 200 * time.Millisecond, wantErr: "timed out after 200ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.fail...)
			keyDir := tmpfsDir(t)
			s := &Scratch{
				Cryptsetup: Cryptsetup{Command: f.command(), Timeout: tc.timeout, Log: testutil.Logger(t)},
				KeyDir:     keyDir,
			}
			_, err := s.Open(t.Context(), device, name)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
			assertEmpty(t, keyDir)
			var got, sums []string
			keyFile := ""
			for _, l := range f.log(t) {
				if strings.HasPrefix(l, "key: ") {
					if !keyLine.MatchString(l) {
						t.Errorf("key file was not 64 bytes, mode 0600, in a 0700 directory on tmpfs: %s", l)
					}
					sums = append(sums, l[len(l)-16:])
					l = "key"
				}
				if i := strings.Index(l, "--key-file "); i >= 0 {
					p := strings.Fields(l[i:])[1]
					if keyFile != "" && p != keyFile {
						t.Errorf("key file %s, then %s", keyFile, p)
					}
					if filepath.Dir(filepath.Dir(p)) != keyDir {
						t.Errorf("key file %s is not in a directory of its own under %s", p, keyDir)
					}
					keyFile = p
					l = strings.Replace(l, p, "KEY", 1)
				}
				got = append(got, l)
			}
			if tc.want != nil && strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("cryptsetup ran as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(sums) == 2 && sums[0] != sums[1] {
				t.Error("luksFormat and open were given different keys")
			}
		})
	}
}

// TestScratchKeyFilesDiffer checks that every Open draws a new key.
func TestScratchKeyFilesDiffer(t *testing.T) {
	f := newFake(t, "fail-open")
	s := &Scratch{Cryptsetup: Cryptsetup{Command: f.command(), Log: testutil.Logger(t)}, KeyDir: tmpfsDir(t)}
	for range 2 {
		if _, err := s.Open(t.Context(), "/dev/fake-disk", "gcs-crypt-unit-test-absent"); err == nil {
			t.Fatal("the fake open succeeded")
		}
	}
	seen := map[string]bool{}
	for _, l := range f.log(t) {
		if strings.HasPrefix(l, "key: ") {
			seen[l[len(l)-16:]] = true
		}
	}
	if len(seen) != 2 {
		t.Errorf("%d different keys over two Opens, want 2", len(seen))
	}
}

func TestScratchRefusesKeyDirOnDisk(t *testing.T) {
	dir := t.TempDir()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if inMemory(st.Type) {
		t.Skipf("%s is memory-backed here (as in the test VM): no disk directory to refuse", dir)
	}
	f := newFake(t)
	s := &Scratch{Cryptsetup: Cryptsetup{Command: f.command(), Log: testutil.Logger(t)}, KeyDir: dir}
	_, err := s.Open(t.Context(), "/dev/fake-disk", "gcs-crypt-unit-test-absent")
	if err == nil || !strings.Contains(err.Error(), "not memory-backed") {
		t.Fatalf("error %v, want a refusal of the key directory", err)
	}
	if l := f.log(t); len(l) != 0 {
		t.Errorf("cryptsetup ran: %q", l)
	}
	assertEmpty(t, dir)
}

func TestCryptsetupRefusesBadOperands(t *testing.T) {
	f := newFake(t)
	c := &Cryptsetup{Command: f.command(), Log: testutil.Logger(t)}
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"relative device", func() error { return c.LuksFormat(t.Context(), "sdb", "/run/k", ScratchFormat()) }},
		{"device that is a flag", func() error { return c.Open(t.Context(), "--debug", "n", "/run/k", ScratchOpen()) }},
		{"relative key file", func() error { return c.Open(t.Context(), "/dev/sdb", "n", "k", ScratchOpen()) }},
		{"name with a slash", func() error { return c.Open(t.Context(), "/dev/sdb", "a/b", "/run/k", ScratchOpen()) }},
		{"name that is a flag", func() error { return c.Close(t.Context(), "--help", CloseOptions{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if l := f.log(t); len(l) != 0 {
		t.Errorf("cryptsetup ran: %q", l)
	}
}
