package cgroup

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// hybridMountinfo is this kind of machine's cgroup mounts (Debian 12, hybrid).
const hybridMountinfo = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
41 30 0:31 /sub /mnt/memory\040bind rw,relatime - cgroup cgroup rw,memory
42 30 0:38 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
`

func TestParseMountinfo(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		wantV1 []hierarchy
		wantV2 []string
	}{
		{
			name: "hybrid",
			in:   hybridMountinfo,
			wantV1: []hierarchy{
				{"/sys/fs/cgroup/cpu", []string{"cpu"}},
				{"/sys/fs/cgroup/cpuacct", []string{"cpuacct"}},
				{"/sys/fs/cgroup/memory", []string{"memory"}},
				{"/sys/fs/cgroup/pids", []string{"pids"}},
				{"/sys/fs/cgroup/systemd", []string{"name=systemd"}},
				{"/sys/fs/cgroup/cpu,cpuacct", []string{"cpu", "cpuacct"}},
			},
			wantV2: []string{"/sys/fs/cgroup/unified"},
		},
		{
			name:   "unified",
			in:     "25 20 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
			wantV2: []string{"/sys/fs/cgroup"},
		},
		{
			name: "bind of a subtree first, root mount later",
			in: "41 30 0:31 /sub /mnt/m rw - cgroup cgroup rw,memory\n" +
				"34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
			wantV1: []hierarchy{{"/sys/fs/cgroup/memory", []string{"memory"}}},
		},
		{
			name:   "escaped mount point",
			in:     "41 30 0:31 / /mnt/a\\040b rw - cgroup cgroup rw,memory\n",
			wantV1: []hierarchy{{"/mnt/a b", []string{"memory"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v1, v2, err := parseMountinfo(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v1, tt.wantV1) {
				t.Errorf("v1 = %v, want %v", v1, tt.wantV1)
			}
			if !slices.Equal(v2, tt.wantV2) {
				t.Errorf("v2 = %v, want %v", v2, tt.wantV2)
			}
		})
	}
}

func TestParseProcCgroup(t *testing.T) {
	v1, _, err := parseMountinfo(strings.NewReader(hybridMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	l := &layout{v1: v1, unified: "/sys/fs/cgroup/unified"}
	in := "9:name=systemd:/init.scope\n8:pids:/\n4:memory:/process_api/ef40\n" +
		"2:cpuacct,cpu:/x\n0::/user.slice\n"
	got, err := parseProcCgroup(strings.NewReader(in), l)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/sys/fs/cgroup/systemd":     "/init.scope",
		"/sys/fs/cgroup/pids":        "/",
		"/sys/fs/cgroup/memory":      "/process_api/ef40",
		"/sys/fs/cgroup/cpu,cpuacct": "/x",
		"/sys/fs/cgroup/unified":     "/user.slice",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseProcCgroup = %v, want %v", got, want)
	}
}

func TestHugePageName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"hugepages-2048kB", "2MB", true},
		{"hugepages-1048576kB", "1GB", true},
		{"hugepages-64kB", "64KB", true},
		{"hugepages-32768kB", "32MB", true},
		{"hugepages-", "", false},
		{"nr_hugepages", "", false},
	}
	for _, tt := range tests {
		got, ok := hugePageName(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("hugePageName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{"0\n", 0, false},
		{"9223372036854771712\n", 9223372036854771712, false},
		{"18446744073709551615", 1<<64 - 1, false},
		{"18446744073709551616", 0, true},
		{"-1\n", 0, false},
		{"", 0, true},
		{"12a", 0, true},
	}
	for _, tt := range tests {
		got, err := parseUint([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseUint(%q) = %d, %v", tt.in, got, err)
		}
	}
	if got := appendPids(nil, []byte("1\n22\n4294967295\n4294967296\n333")); !slices.Equal(got, []uint32{1, 22, 4294967295, 333}) {
		t.Errorf("appendPids = %v", got)
	}
	if got := appendFields(nil, []byte("10 20 30 \n")); !slices.Equal(got, []uint64{10, 20, 30}) {
		t.Errorf("appendFields = %v", got)
	}
	var keys []string
	eachKV([]byte("a 1\nbad\nb 2\nc x\nd 4"), func(k []byte, v uint64) { keys = append(keys, string(k)) })
	if !slices.Equal(keys, []string{"a", "b", "d"}) {
		t.Errorf("eachKV keys = %v", keys)
	}
}

func TestReadBufLargeFile(t *testing.T) {
	tests := []int{0, 100, 2047, 2048, 4096, 5000, 100000}
	for _, size := range tests {
		p := filepath.Join(t.TempDir(), "f")
		want := []byte(strings.Repeat("x", size))
		if err := os.WriteFile(p, want, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readBuf(p, make([]byte, 0, 1024))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("readBuf of %d bytes returned %d", size, len(got))
		}
	}
}

func TestOnPathTo(t *testing.T) {
	tests := []struct {
		at, rel string
		want    bool
	}{
		{at: "/", rel: "/pods", want: false},
		{at: "", rel: "/pods", want: false},
		{at: "/pods", rel: "/pods", want: true},
		{at: "/a", rel: "/a/b/pods", want: true},
		{at: "/a/b", rel: "/a/b/pods", want: true},
		{at: "/a/b/pods/c", rel: "/a/b/pods", want: false},
		{at: "/a/bc", rel: "/a/b/pods", want: false},
		{at: "/user.slice/test.scope", rel: "/gcs-test/pods", want: false},
	}
	for _, tt := range tests {
		if got := onPathTo(tt.at, tt.rel); got != tt.want {
			t.Errorf("onPathTo(%q, %q) = %v, want %v", tt.at, tt.rel, got, tt.want)
		}
	}
}
