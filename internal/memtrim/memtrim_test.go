package memtrim

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
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
		{"", "rw-p", 192, 192, false},                 // anonymous
		{"[vdso]", "r-xp", 8, 0, false},
		{"/usr/lib/my lib.so (deleted)", "r--p", 40, 0, false},
	}
	if len(maps) != len(tests) {
		t.Fatalf("%d mappings, want %d: %+v", len(maps), len(tests), maps)
	}
	for i, tt := range tests {
		m := maps[i]
		if m.Path != tt.path || m.Perms != tt.perms || m.RssKiB != tt.rss || m.AnonKiB != tt.anon || m.trimmable() != tt.trim {
			t.Errorf("mapping %d: %+v (trimmable %v), want %+v", i, m, m.trimmable(), tt)
		}
	}
	if maps[0].Start != 0x400000 || maps[0].End != 0xd52000 {
		t.Errorf("mapping 0 spans %#x-%#x", maps[0].Start, maps[0].End)
	}
}
