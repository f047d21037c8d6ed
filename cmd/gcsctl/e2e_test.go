package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// runCmd runs gcsctl in-process with a 10 s guard and returns its exit
// code and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// Request types, abbreviated for expectations.
const (
	tNegotiate = prot.ComputeSystemNegotiateProtocolV1
	tStacks    = prot.ComputeSystemDumpStacksV1
	tStart     = prot.ComputeSystemStartV1
)

func TestEndToEnd(t *testing.T) {
	tests := []struct {
		name   string
		args   []string // after --addr
		code   int
		stdout []string // regular expressions
		stderr string   // exact
		seen   []prot.MessageIdentifier
	}{
		{name: "negotiate", args: []string{"negotiate"},
			stdout: []string{`(?m)^Protocol version:\s+4$`, `(?m)^Runtime OS type:\s+Linux$`, `(?m)^Schema versions:\s+2\.1$`,
				`(?m)^  SendHostCreateMessage:\s+no$`, `(?m)^  HvSocketConfigOnStartup:\s+no$`,
				`(?m)^  NamespaceAddRequestSupported:\s+yes$`, `(?m)^  DeleteContainerStateSupported:\s+yes$`},
			seen: []prot.MessageIdentifier{tNegotiate}},
		{name: "negotiate --json", args: []string{"--json", "negotiate"},
			stdout: []string{`^\{\n  "Result": 0,\n  "ActivityId": "[0-9a-f-]{36}",\n  "Version": 4,`},
			seen:   []prot.MessageIdentifier{tNegotiate}},
		{name: "stacks", args: []string{"stacks"},
			stdout: []string{"^" + regexp.QuoteMeta(fakeStacks) + "$"},
			seen:   []prot.MessageIdentifier{tNegotiate, tStacks}},
		{name: "stacks --json", args: []string{"stacks", "--json"},
			stdout: []string{`^\{\n  "GuestStacks": "goroutine 1 \[running\]:\\nmain.main\(\)`},
			seen:   []prot.MessageIdentifier{tNegotiate, tStacks}},
		{name: "stacks without negotiating", args: []string{"--no-negotiate", "stacks"}, code: exitFailed,
			stderr: "error: HRESULT: 0x80004001\n",
			seen:   []prot.MessageIdentifier{tStacks}},
		{name: "raw by short name", args: []string{"raw", "DumpStacks", `{"ContainerId":"00000000-0000-0000-0000-000000000000"}`},
			stdout: []string{`^Type: ComputeSystemResponseDumpStacksV1 \(0x20100c01\)\nSize: \d+\nID:   \d+\n\n\{\n  "Result": 0,\n`,
				`"GuestStacks": "goroutine 1`},
			seen: []prot.MessageIdentifier{tNegotiate, tStacks}},
		{name: "raw NegotiateProtocol does not negotiate first",
			args:   []string{"raw", "ComputeSystemNegotiateProtocolV1", `{"MinimumVersion":4,"MaximumVersion":4}`},
			stdout: []string{`^Type: ComputeSystemResponseNegotiateProtocolV1 \(0x20100b01\)\nSize: \d+\nID:   \d+\n`, `"Version": 4`},
			seen:   []prot.MessageIdentifier{tNegotiate}},
		{name: "raw --json by number", args: []string{"raw", "--json", "0x10100c01"},
			stdout: []string{`^\{\n  "Result": 0,\n  "GuestStacks": "goroutine 1`},
			seen:   []prot.MessageIdentifier{tNegotiate, tStacks}},
		{name: "raw --no-negotiate", args: []string{"--no-negotiate", "raw", "DumpStacks", "{}"}, code: exitFailed,
			stdout: []string{`^Type: ComputeSystemResponseDumpStacksV1 \(0x20100c01\)\nSize: \d+\nID:   \d+\n`, `"Result": -2147467263`},
			stderr: "error: HRESULT: 0x80004001\n",
			seen:   []prot.MessageIdentifier{tStacks}},
		{name: "raw error reply", args: []string{"raw", "Start", `{"ContainerId":"missing"}`}, code: exitFailed,
			stdout: []string{`"Result": -1070137074`, `"ModuleName": "gcs"`},
			stderr: "error: HRESULT 0xc037010e: container \"missing\" not found\n",
			seen:   []prot.MessageIdentifier{tNegotiate, tStart}},
		{name: "raw unimplemented type", args: []string{"raw", "0x10100e01"}, code: exitFailed,
			stdout: []string{`^Type: ComputeSystemResponseUpdateContainerV1 \(0x20100e01\)\n`},
			stderr: "error: HRESULT: 0x80004001\n",
			seen:   []prot.MessageIdentifier{tNegotiate, prot.ComputeSystemUpdateContainerV1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, addr := listenFake(t)
			code, stdout, stderr := runCmd(t, append([]string{"--addr", addr}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			for _, re := range tt.stdout {
				if !regexp.MustCompile(re).MatchString(stdout) {
					t.Errorf("stdout does not match %q:\n%s", re, stdout)
				}
			}
			if stderr != tt.stderr {
				t.Errorf("stderr = %q, want %q", stderr, tt.stderr)
			}
			if got := f.types(); !slices.Equal(got, tt.seen) {
				t.Errorf("GCS saw %v, want %v", got, tt.seen)
			}
		})
	}
}

func TestNegotiateJSONIsTheResponse(t *testing.T) {
	_, addr := listenFake(t)
	code, stdout, stderr := runCmd(t, "--addr", addr, "--json", "negotiate")
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	var resp prot.NegotiateProtocolResponse
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if resp.Version != 4 || !reflect.DeepEqual(resp.Capabilities, prot.LinuxCapabilities()) {
		t.Errorf("response %+v", resp)
	}
}

func TestRawBodyIsSentVerbatim(t *testing.T) {
	body := "{\"ContainerId\":\"a<b>&c\"}\n\n"
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"@" + file, "-", body} {
		t.Run(src[:1], func(t *testing.T) {
			f, addr := listenFake(t)
			a, stdout, stderr := newTestApp(nil, body)
			if code := a.run(t.Context(), []string{"--addr", addr, "raw", "DumpStacks", src}); code != 0 {
				t.Fatalf("exit code %d: %s%s", code, stdout, stderr)
			}
			reqs := f.requests()
			if len(reqs) != 2 || string(reqs[1].body) != body {
				t.Fatalf("GCS received %d requests, last body %q; want %q", len(reqs), reqs[len(reqs)-1].body, body)
			}
		})
	}
}

func TestListenMode(t *testing.T) {
	path := socketPath(t)
	f := dialFake(t, path)
	code, stdout, stderr := runCmd(t, "--addr", "unix://"+path, "--listen", "stacks")
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	if stdout != fakeStacks {
		t.Errorf("stdout = %q", stdout)
	}
	if !strings.Contains(stderr, "waiting for the GCS to connect") {
		t.Errorf("stderr = %q", stderr)
	}
	if got := f.types(); !slices.Equal(got, []prot.MessageIdentifier{tNegotiate, tStacks}) {
		t.Errorf("GCS saw %v", got)
	}
}

func TestConnectionFailures(t *testing.T) {
	path := socketPath(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nobody listens", []string{"--addr", "unix://" + path, "stacks"}, "error: gcs: dial unix://" + path},
		{"nobody listens: the hint", []string{"--addr", "unix://" + path, "stacks"},
			"(is gcs running with '-listen -bridge unix://" + path + "'? A gcs that dials its bridge, as in a utility VM, needs gcsctl --listen)"},
		{"a bare path is a unix socket", []string{"--addr", path, "stacks"}, "error: gcs: dial unix://" + path},
		{"nobody dials in", []string{"--addr", "unix://" + path, "--listen", "--timeout", "100ms", "negotiate"},
			"error: wait for the GCS to connect to unix://" + path},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.args...)
			if code != exitFailed || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, stdout, stderr, exitFailed, tt.want)
			}
		})
	}
}

// TestListenFromEnvironment: GCSCTL_LISTEN=1 is --listen, as the VM's
// profile sets it (the GCS there dials the bridge address).
func TestListenFromEnvironment(t *testing.T) {
	path := socketPath(t)
	f := dialFake(t, path)
	t.Setenv(listenEnv, "1")
	code, stdout, stderr := runCmd(t, "--addr", path, "stacks")
	if code != 0 || stdout != fakeStacks || !strings.Contains(stderr, "waiting for the GCS to connect") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if got := f.types(); !slices.Equal(got, []prot.MessageIdentifier{tNegotiate, tStacks}) {
		t.Errorf("GCS saw %v", got)
	}
}
