package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in      string
		want    int32
		wantErr string
	}{
		{in: "9", want: 9}, {in: "KILL", want: 9}, {in: "SIGKILL", want: 9}, {in: "sigterm", want: 15},
		{in: "term", want: 15}, {in: "HUP", want: 1}, {in: "usr1", want: 10}, {in: "64", want: 64},
		{in: "0", wantErr: "out of range"}, {in: "65", wantErr: "out of range"}, {in: "-9", wantErr: "out of range"},
		{in: "", wantErr: "unknown signal"}, {in: "SIGFOO", wantErr: `unknown signal "SIGFOO"`},
	}
	for _, tt := range tests {
		got, err := parseSignal(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseSignal(%q) = %d, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSignal(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseUser(t *testing.T) {
	tests := []struct {
		in   string
		want oci.User
		ok   bool
	}{
		{"0", oci.User{}, true}, {"1000:100", oci.User{UID: 1000, GID: 100}, true},
		{"4294967295:1", oci.User{UID: 4294967295, GID: 1}, true},
		{"root", oci.User{Username: "root"}, true}, {"nobody:nogroup", oci.User{Username: "nobody:nogroup"}, true},
		{"1000:users", oci.User{Username: "1000:users"}, true}, {"www-data", oci.User{Username: "www-data"}, true},
		{"", oci.User{}, false}, {"1:", oci.User{}, false}, {":1", oci.User{}, false}, {"-1", oci.User{}, false},
		{"4294967296", oci.User{}, false}, {"a b", oci.User{}, false}, {"a:b:c", oci.User{}, false},
	}
	for _, tt := range tests {
		got, err := parseUser(tt.in)
		if (err == nil) != tt.ok || (tt.ok && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("parseUser(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestCheckID(t *testing.T) {
	for _, id := range []string{"c1", "demo_1.a+b-c", "3f1c0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"} {
		if err := checkID(id); err != nil {
			t.Errorf("checkID(%q) = %v", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "a/b", "a b", "a:b", "ü"} {
		if err := checkID(id); err == nil {
			t.Errorf("checkID(%q) succeeded", id)
		}
	}
}

func TestProcessEnv(t *testing.T) {
	tests := []struct {
		env  []string
		tty  bool
		want []string
	}{
		{nil, false, []string{defaultPath}},
		{nil, true, []string{defaultPath, "TERM=xterm"}},
		{[]string{"A=1", "B="}, false, []string{defaultPath, "A=1", "B="}},
		{[]string{"PATH=/bin", "A=1", "A=2"}, true, []string{"TERM=xterm", "PATH=/bin", "A=2"}},
		{[]string{"PATHX=1"}, false, []string{defaultPath, "PATHX=1"}},
	}
	for _, tt := range tests {
		if got := processEnv(tt.env, tt.tty); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("processEnv(%q, %v) = %q, want %q", tt.env, tt.tty, got, tt.want)
		}
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		in   string
		want prot.LCOWRoute
		ok   bool
	}{
		{"0.0.0.0/0=10.0.0.1", prot.LCOWRoute{DestinationPrefix: "0.0.0.0/0", NextHop: "10.0.0.1"}, true},
		{"10.1.0.0/16=10.0.0.1@5", prot.LCOWRoute{DestinationPrefix: "10.1.0.0/16", NextHop: "10.0.0.1", Metric: 5}, true},
		{"::/0=fe80::1@65535", prot.LCOWRoute{DestinationPrefix: "::/0", NextHop: "fe80::1", Metric: 65535}, true},
		{"0.0.0.0/0", prot.LCOWRoute{}, false},
		{"0.0.0.0/0=10.0.0.1@", prot.LCOWRoute{}, false},
		{"0.0.0.0/0=10.0.0.1@-1", prot.LCOWRoute{}, false},
		{"nowhere=10.0.0.1", prot.LCOWRoute{}, false},
	}
	for _, tt := range tests {
		got, err := parseRoute(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseRoute(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB (1024)"}, {917504, "896.0 KiB (917504)"},
		{3145728, "3.0 MiB (3145728)"}, {1 << 40, "1.0 TiB (1099511627776)"}, {1<<64 - 1, "16.0 EiB (18446744073709551615)"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.in); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWrapWords(t *testing.T) {
	tests := []struct {
		in            string
		width, indent int
		want          []string
	}{
		{"a b c", 80, 2, []string{"a b c"}},
		{"aa bb cc dd", 5, 2, []string{"aa bb", "  cc", "  dd"}},
		{"averyverylongword b", 5, 1, []string{"averyverylongword", " b"}},
		{"", 10, 0, []string{""}},
	}
	for _, tt := range tests {
		if got := wrapWords(tt.in, tt.width, tt.indent); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("wrapWords(%q, %d, %d) = %q, want %q", tt.in, tt.width, tt.indent, got, tt.want)
		}
	}
}

func TestExitStatusCode(t *testing.T) {
	tests := []struct {
		in   uint32
		want int
	}{{0, 0}, {3, 3}, {137, 137}, {255, 255}, {256, 255}, {4294967295, 255}}
	for _, tt := range tests {
		if got := exitStatus(tt.in).code(); got != tt.want {
			t.Errorf("exitStatus(%d).code() = %d, want %d", tt.in, got, tt.want)
		}
	}
	if exitWith(0) != nil {
		t.Error("exitWith(0) is an error")
	}
}

func TestWithCleanupError(t *testing.T) {
	failed := errors.New("unmount failed")
	startErr := errors.New("start failed")
	tests := []struct {
		name       string
		err, clean error
		want       string // "" for nil
		code       int    // what gcsctl exits with
	}{
		{"all well", nil, nil, "", exitOK},
		{"exit status kept", exitStatus(3), nil, "exit status 3", 3},
		{"cleanup failed", nil, failed, "unmount failed", exitFailed},
		{"cleanup failed after an exit status", exitStatus(3), failed, "unmount failed (the container exited with status 3)", exitFailed},
		{"both failed", startErr, failed, "start failed\nunmount failed", exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withCleanupError(tt.err, tt.clean)
			if (got == nil) != (tt.want == "") || (got != nil && got.Error() != tt.want) {
				t.Fatalf("withCleanupError = %v, want %q", got, tt.want)
			}
			code := exitOK
			if got != nil {
				a, _, _ := newTestApp(nil, "")
				code = a.report(got)
			}
			if code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
		})
	}
}
