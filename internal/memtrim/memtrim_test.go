package memtrim

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestTrimRealProcess trims this test process: its resident file-backed
// memory falls, and it still runs code it ran before (which faults back)
// with the same results.
func TestTrimRealProcess(t *testing.T) {
	work := func() string {
		b, err := json.Marshal(map[string]any{"a": []int{1, 2, 3}, "re": regexp.MustCompile(`^x+y$`).String()})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x", sha256.Sum256(b))
	}
	want := work()
	before, err := ReadUsage(0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Trim()
	if err != nil {
		t.Fatal(err)
	}
	after, err := ReadUsage(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trimmed %d mappings (%d KiB resident); RSS %d -> %d KiB, file-backed %d -> %d KiB",
		r.Mappings, r.FileKiB, before.RssKiB, after.RssKiB, before.FileKiB(), after.FileKiB())
	if r.Mappings == 0 || r.FileKiB == 0 {
		t.Fatalf("nothing trimmed: %+v", r)
	}
	if after.FileKiB() >= before.FileKiB() {
		t.Fatalf("file-backed RSS did not fall: %d -> %d KiB", before.FileKiB(), after.FileKiB())
	}
	if got := work(); got != want {
		t.Fatalf("after the trim the same work gave %s, before %s", got, want)
	}
}

func TestParseSmaps(t *testing.T) {
	const smaps = `00400000-00d52000 r-xp 00000000 fe:00 9986834                            /usr/bin/gcs
Size:               9544 kB
Rss:                7688 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me
01b7c000-01cb5000 rw-p 0177c000 fe:00 9986834                            /usr/bin/gcs
Rss:                 340 kB
Anonymous:           136 kB
7f8c54663000-7f8c54667000 r--p 001cf000 fe:00 326269                     /usr/lib/libc.so.6
Rss:                  16 kB
Anonymous:            16 kB
7f8c54500000-7f8c54663000 r-xp 00028000 fe:00 326269                     /usr/lib/libc.so.6
Rss:                 900 kB
Anonymous:             0 kB
7f8c0c00d000-7f8c0c04d000 rw-p 00000000 00:00 0
Rss:                 192 kB
Anonymous:           192 kB
7ffdb17f9000-7ffdb17fb000 r-xp 00000000 00:00 0                          [vdso]
Rss:                   8 kB
Anonymous:             0 kB
7f8c546b0000-7f8c546ba000 r--p 00027000 fe:00 325835                     /usr/lib/my lib.so (deleted)
Rss:                  40 kB
Anonymous:             0 kB
`
	maps, err := parseSmaps([]byte(smaps))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path      string
		perms     string
		rss, anon int64
		trim      bool
	}{
		{"/usr/bin/gcs", "r-xp", 7688, 0, true},
		{"/usr/bin/gcs", "rw-p", 340, 136, false},     // writable data
		{"/usr/lib/libc.so.6", "r--p", 16, 16, false}, // relocated, copied on write
		{"/usr/lib/libc.so.6", "r-xp", 900, 0, false}, // not the executable
		{"", "rw-p", 192, 192, false},                 // anonymous
		{"[vdso]", "r-xp", 8, 0, false},
		{"/usr/lib/my lib.so (deleted)", "r--p", 40, 0, false},
	}
	if len(maps) != len(tests) {
		t.Fatalf("%d mappings, want %d: %+v", len(maps), len(tests), maps)
	}
	exe := fileID{dev: unix.Mkdev(0xfe, 0), inode: 9986834}
	for i, tt := range tests {
		m := maps[i]
		if m.Path != tt.path || m.Perms != tt.perms || m.RssKiB != tt.rss || m.AnonKiB != tt.anon || m.trimmable(exe) != tt.trim {
			t.Errorf("mapping %d: %+v (trimmable %v), want %+v", i, m, m.trimmable(exe), tt)
		}
	}
	if m := maps[0]; m.Start != 0x400000 || m.End != 0xd52000 || m.Dev != exe.dev || m.Inode != exe.inode {
		t.Errorf("mapping 0 spans %#x-%#x of file %d:%d", m.Start, m.End, m.Dev, m.Inode)
	}
}

// TestTrimLeavesOtherFiles maps a file of its own read-only: Trim must
// leave it resident. Only the executable's mappings are certain to stay
// what they were between reading smaps and madvise: any other could be
// unmapped meanwhile and its addresses given to live anonymous memory,
// which MADV_DONTNEED would zero.
func TestTrimLeavesOtherFiles(t *testing.T) {
	const size = 16 << 12
	f, err := os.CreateTemp(t.TempDir(), "mapped")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(bytes.Repeat([]byte{'x'}, size)); err != nil {
		t.Fatal(err)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Munmap(data) })
	sum := 0
	for i := 0; i < size; i += 1 << 12 {
		sum += int(data[i])
	}
	if sum != 16*'x' {
		t.Fatalf("mapped file reads %d", sum)
	}
	start := uint64(uintptr(unsafe.Pointer(&data[0])))
	before := mappingRss(t, start)
	if before == 0 {
		t.Fatalf("mapping at %#x not resident after reading it", start)
	}
	if _, err := Trim(); err != nil {
		t.Fatal(err)
	}
	if after := mappingRss(t, start); after != before {
		t.Errorf("resident KiB of a file mapping not the executable's: %d -> %d, want unchanged", before, after)
	}
}

// mappingRss is the resident KiB of this process's mapping at start.
func mappingRss(t *testing.T, start uint64) int64 {
	t.Helper()
	maps, err := readSmaps("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range maps {
		if m.Start == start {
			return m.RssKiB
		}
	}
	t.Fatalf("no mapping at %#x", start)
	return 0
}
