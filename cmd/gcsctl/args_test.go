package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// newTestApp returns an app with captured output and the given environment.
func newTestApp(env map[string]string, stdin string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &app{
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return env[k] },
	}, &stdout, &stderr
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    globals
		cmd     string
		help    bool
		helpFor string
	}{
		{name: "defaults", args: []string{"stacks"},
			want: globals{addr: defaultAddr, timeout: defaultTimeout}, cmd: "stacks"},
		{name: "address from the environment", env: map[string]string{addrEnv: "vsock://3:1073741824"},
			args: []string{"negotiate"},
			want: globals{addr: "vsock://3:1073741824", timeout: defaultTimeout}, cmd: "negotiate"},
		{name: "flag beats the environment", env: map[string]string{addrEnv: "vsock://3:1"},
			args: []string{"--addr", "tcp://127.0.0.1:9", "negotiate"},
			want: globals{addr: "tcp://127.0.0.1:9", timeout: defaultTimeout}, cmd: "negotiate"},
		{name: "every global flag",
			args: []string{"--addr=unix:///tmp/b.sock", "--listen", "--json", "--timeout", "5s", "--no-negotiate", "raw", "DumpStacks"},
			want: globals{addr: "unix:///tmp/b.sock", listen: true, json: true, timeout: 5 * time.Second, noNegotiate: true, timeoutSet: true}, cmd: "raw"},
		{name: "relay and root from the environment", env: map[string]string{relayEnv: "vsock://2", rootEnv: "/var/gcs"},
			args: []string{"stacks"},
			want: globals{addr: defaultAddr, timeout: defaultTimeout, relay: "vsock://2", root: "/var/gcs"}, cmd: "stacks"},
		{name: "relay and root flags beat the environment", env: map[string]string{relayEnv: "vsock://2", rootEnv: "/var/gcs"},
			args: []string{"--relay", "tcp://127.0.0.1", "stacks", "--root=/srv/gcs"},
			want: globals{addr: defaultAddr, timeout: defaultTimeout, relay: "tcp://127.0.0.1", root: "/srv/gcs"}, cmd: "stacks"},
		{name: "two-word command", args: []string{"layers", "remove", "--id", "c1"},
			want: globals{addr: defaultAddr, timeout: defaultTimeout}, cmd: "layers remove"},
		{name: "help for a two-word command", args: []string{"help", "layers", "add"}, help: true, helpFor: "layers add",
			want: globals{addr: defaultAddr, timeout: defaultTimeout}},
		{name: "group -h", args: []string{"disk", "-h"}, help: true, helpFor: "disk",
			want: globals{addr: defaultAddr, timeout: defaultTimeout}},
		{name: "global flags after the command",
			args: []string{"-timeout=0", "raw", "--json", "-no-negotiate", "0x10100c01", "{}"},
			want: globals{addr: defaultAddr, json: true, noNegotiate: true, timeoutSet: true}, cmd: "raw"},
		{name: "help", args: []string{"help"}, help: true,
			want: globals{addr: defaultAddr, timeout: defaultTimeout}},
		{name: "-h", args: []string{"-h"}, help: true,
			want: globals{addr: defaultAddr, timeout: defaultTimeout}},
		{name: "--help", args: []string{"--json", "--help", "stacks"}, help: true,
			want: globals{addr: defaultAddr, json: true, timeout: defaultTimeout}},
		{name: "help for a command", args: []string{"help", "raw"}, help: true, helpFor: "raw",
			want: globals{addr: defaultAddr, timeout: defaultTimeout}},
		{name: "command -h", args: []string{"raw", "-h"}, help: true, helpFor: "raw", cmd: "raw",
			want: globals{addr: defaultAddr, timeout: defaultTimeout}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, _ := newTestApp(tt.env, "")
			inv, err := a.parse(tt.args)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			// The flags this table does not vary keep their defaults.
			if tt.want.relay == "" {
				tt.want.relay = defaultRelay
			}
			if tt.want.root == "" {
				tt.want.root = defaultRoot
			}
			if inv.g != tt.want {
				t.Errorf("globals = %+v, want %+v", inv.g, tt.want)
			}
			if inv.cmd.name != tt.cmd || inv.help != tt.help || inv.helpFor != tt.helpFor {
				t.Errorf("cmd %q help %v helpFor %q, want %q %v %q", inv.cmd.name, inv.help, inv.helpFor, tt.cmd, tt.help, tt.helpFor)
			}
			if !tt.help && inv.act == nil {
				t.Error("no action")
			}
		})
	}
}

// TestUsage runs command lines that never connect anywhere.
func TestUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings
		stderr     []string // substrings
		wantStderr bool     // stderr may be non-empty
	}{
		{name: "help", args: []string{"help"}, code: 0,
			stdout: []string{"Usage: gcsctl [flags] COMMAND [ARGS...]", "--addr ADDR", "--listen", "--json",
				"--timeout DUR", "--no-negotiate", "GCSCTL_ADDR", "unix:///run/gcs/bridge.sock", "help [COMMAND]", "Exit status"}},
		{name: "-h", args: []string{"-h"}, code: 0, stdout: []string{"Commands:"}},
		{name: "help raw", args: []string{"help", "raw"}, code: 0,
			stdout: []string{"Usage: gcsctl [flags] raw TYPE [JSON]", "@FILE", "--no-negotiate"}},
		{name: "raw -h", args: []string{"raw", "-h"}, code: 0, stdout: []string{"raw TYPE [JSON]"}},
		{name: "help unknown", args: []string{"help", "nope"}, code: 2, stderr: []string{`unknown command "nope"`}},
		{name: "help too many", args: []string{"help", "raw", "x"}, code: 2, stderr: []string{"at most one"}},
		{name: "no command", args: nil, code: 2, stderr: []string{"no command given", "gcsctl help"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`}},
		{name: "unknown flag", args: []string{"--frob", "stacks"}, code: 2, stderr: []string{"flag provided but not defined: -frob"}},
		{name: "unknown flag after command", args: []string{"stacks", "--frob"}, code: 2, stderr: []string{"stacks: flag provided but not defined"}},
		{name: "bad timeout", args: []string{"--timeout", "soon", "stacks"}, code: 2, stderr: []string{"invalid value"}},
		{name: "negative timeout", args: []string{"--timeout", "-1s", "stacks"}, code: 2, stderr: []string{"must not be negative"}},
		{name: "bad address", args: []string{"--addr", "nowhere", "stacks"}, code: 2, stderr: []string{"--addr", "missing scheme"}},
		{name: "stacks with arguments", args: []string{"stacks", "x"}, code: 2, stderr: []string{"stacks takes no arguments"}},
		{name: "negotiate with arguments", args: []string{"negotiate", "x"}, code: 2, stderr: []string{"negotiate takes no arguments"}},
		{name: "raw without TYPE", args: []string{"raw"}, code: 2, stderr: []string{"raw wants TYPE [JSON], got 0 arguments"}},
		{name: "raw with three arguments", args: []string{"raw", "Start", "{}", "{}"}, code: 2, stderr: []string{"got 3 arguments"}},
		{name: "raw with a bad TYPE", args: []string{"raw", "Bogus", "{}"}, code: 2, stderr: []string{`unknown message type "Bogus"`}},
		{name: "raw with a missing file", args: []string{"raw", "Start", "@/nonexistent/body.json"}, code: exitFailed,
			stderr: []string{"error: read body: open /nonexistent/body.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, stdout, stderr := newTestApp(nil, "")
			code := a.run(context.Background(), tt.args)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if tt.code == 0 && stderr.Len() > 0 {
				t.Errorf("unexpected stderr: %s", stderr)
			}
			if tt.code != 0 && stdout.Len() > 0 {
				t.Errorf("unexpected stdout: %s", stdout)
			}
		})
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	a, stdout, _ := newTestApp(nil, "")
	if code := a.run(context.Background(), []string{"help"}); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	// Synopses may be wrapped.
	flat := strings.Join(strings.Fields(stdout.String()), " ")
	for _, c := range commands() {
		if !strings.Contains(flat, " "+synopsis(c)+" "+c.summary+" ") {
			t.Errorf("help does not list %q:\n%s", synopsis(c), stdout)
		}
		if c.setup == nil || c.summary == "" {
			t.Errorf("command %q is incomplete", c.name)
		}
	}
}

func TestReadBody(t *testing.T) {
	a, _, _ := newTestApp(nil, `{"from":"stdin"}`)
	b, err := readBody("-", a.stdin)
	if err != nil || string(b) != `{"from":"stdin"}` {
		t.Errorf("readBody(-) = %q, %v", b, err)
	}
	if b, err := readBody(`{"a":1}`, nil); err != nil || string(b) != `{"a":1}` {
		t.Errorf("readBody(literal) = %q, %v", b, err)
	}
	if _, err := readBody("@/nonexistent", nil); err == nil || errors.As(err, new(*usageError)) {
		t.Errorf("readBody(@missing) = %v, want a non-usage error", err)
	}
}
