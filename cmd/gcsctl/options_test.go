package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// parseRunArgs parses a run command line (after "run") as gcsctl does.
func parseRunArgs(t *testing.T, args []string) (*runOptions, error) {
	t.Helper()
	fs := newFlagSet("gcsctl run")
	f := registerRunFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return f.options(fs, fs.Args())
}

func TestRunOptions(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	generated := regexp.MustCompile(`^[0-9a-f]{64}$`)
	tests := []struct {
		name string
		args []string
		want runOptions // id "" stands for a generated one
	}{
		{name: "defaults", args: []string{"/rootfs", "sh", "-c", "exit 3"},
			want: runOptions{rm: true, layers: []string{"/rootfs"}, cwd: "/", args: []string{"sh", "-c", "exit 3"}}},
		{name: "an id turns --rm off", args: []string{"--id", "demo1", "/rootfs", "sh"},
			want: runOptions{id: "demo1", hostname: "demo1", layers: []string{"/rootfs"}, cwd: "/", args: []string{"sh"}}},
		{name: "an id with --rm", args: []string{"--id", "demo1", "--rm", "/rootfs", "sh"},
			want: runOptions{id: "demo1", hostname: "demo1", rm: true, layers: []string{"/rootfs"}, cwd: "/", args: []string{"sh"}}},
		{name: "no id and --rm=false", args: []string{"--rm=false", "/rootfs", "sh"},
			want: runOptions{layers: []string{"/rootfs"}, cwd: "/", args: []string{"sh"}}},
		{name: "detached", args: []string{"-d", "/rootfs", "sleep", "1000"},
			want: runOptions{detach: true, layers: []string{"/rootfs"}, cwd: "/", args: []string{"sleep", "1000"}}},
		{name: "every flag", args: []string{"-t", "-i", "--id", "a_long.container-id+1", "--layer", "/l/mid", "--layer", "rel",
			"--scratch", "/s", "--hostname", "box", "--env", "A=1", "--env", "PATH=/bin", "--cwd", "/tmp", "--user", "1000:100",
			"img", "sh", "-c", "-x"},
			want: runOptions{stdioMode: stdioMode{tty: true, stdin: true}, id: "a_long.container-id+1", hostname: "box",
				layers: []string{filepath.Join(cwd, "img"), "/l/mid", filepath.Join(cwd, "rel")}, scratch: "/s",
				env: []string{"A=1", "PATH=/bin"}, cwd: "/tmp", user: oci.User{UID: 1000, GID: 100}, args: []string{"sh", "-c", "-x"}}},
		{name: "a uid alone", args: []string{"--user", "65534", "--id", "x", "/r/", "id"},
			want: runOptions{id: "x", hostname: "x", layers: []string{"/r"}, cwd: "/", user: oci.User{UID: 65534}, args: []string{"id"}}},
		{name: "the hostname is the id's start", args: []string{"--id", "0123456789abcdef", "/r", "id"},
			want: runOptions{id: "0123456789abcdef", hostname: "0123456789ab", layers: []string{"/r"}, cwd: "/", args: []string{"id"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRunArgs(t, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want.id == "" {
				if !generated.MatchString(got.id) {
					t.Errorf("generated id %q", got.id)
				}
				want.id, want.hostname = got.id, got.id[:12]
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("options\n got %+v\nwant %+v", *got, want)
			}
		})
	}
	a, _ := parseRunArgs(t, []string{"/r", "true"})
	b, _ := parseRunArgs(t, []string{"/r", "true"})
	if a.id == b.id {
		t.Errorf("two runs got the same id %s", a.id)
	}
	if _, err := parseRunArgs(t, []string{"/r"}); !errors.As(err, new(*usageError)) {
		t.Errorf("run without CMD: %v, want a usage error", err)
	}
}

func TestDefaultSpec(t *testing.T) {
	o, err := parseRunArgs(t, []string{"-t", "--id", "c1", "--env", "PATH=/bin", "--env", "X=1", "--user", "5:6", "--cwd", "/w", "/r", "sh"})
	if err != nil {
		t.Fatal(err)
	}
	spec := defaultSpec(o, "/run/gcs/c/c1/rootfs")
	var mounts []string
	for _, m := range spec.Mounts {
		mounts = append(mounts, m.Destination)
	}
	var namespaces []oci.LinuxNamespaceType
	for _, ns := range spec.Linux.Namespaces {
		namespaces = append(namespaces, ns.Type)
	}
	slices.Sort(namespaces)
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	checks := []struct {
		what      string
		got, want any
	}{
		{"ociVersion", spec.Version, "1.0.2"},
		{"root", *spec.Root, oci.Root{Path: "/run/gcs/c/c1/rootfs"}},
		{"hostname", spec.Hostname, "c1"},
		{"args", spec.Process.Args, []string{"sh"}},
		{"terminal", spec.Process.Terminal, true},
		{"env", spec.Process.Env, []string{"TERM=xterm", "PATH=/bin", "X=1"}},
		{"cwd", spec.Process.Cwd, "/w"},
		{"user", spec.Process.User, oci.User{UID: 5, GID: 6}},
		{"mounts", mounts, []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"}},
		{"namespaces", namespaces, []oci.LinuxNamespaceType{"ipc", "mount", "network", "pid", "uts"}},
		{"bounding", spec.Process.Capabilities.Bounding, caps},
		{"effective", spec.Process.Capabilities.Effective, caps},
		{"permitted", spec.Process.Capabilities.Permitted, caps},
		{"cgroupsPath", spec.Linux.CgroupsPath, ""},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestExecOptions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want oci.Process
		mode stdioMode
	}{
		{name: "defaults", args: []string{"c1", "ps", "-ef"},
			want: oci.Process{Args: []string{"ps", "-ef"}, Env: []string{defaultPath}, Cwd: "/"}},
		{name: "terminal and stdin", args: []string{"-t", "-i", "--env", "A=b=c", "--cwd", "/tmp", "c1", "sh"},
			mode: stdioMode{tty: true, stdin: true},
			want: oci.Process{Terminal: true, Args: []string{"sh"}, Env: []string{defaultPath, "TERM=xterm", "A=b=c"}, Cwd: "/tmp"}},
		{name: "TERM replaced", args: []string{"-t", "--env", "TERM=dumb", "c1", "sh"}, mode: stdioMode{tty: true},
			want: oci.Process{Terminal: true, Args: []string{"sh"}, Env: []string{defaultPath, "TERM=dumb"}, Cwd: "/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet("gcsctl exec")
			f := registerExecFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			o, err := f.options(fs.Args())
			if err != nil {
				t.Fatal(err)
			}
			if o.id != "c1" || o.stdioMode != tt.mode {
				t.Errorf("id %q mode %+v, want c1 %+v", o.id, o.stdioMode, tt.mode)
			}
			if got := o.process(); !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("process\n got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestStdioModeStreams(t *testing.T) {
	tests := []struct {
		mode stdioMode
		want streams
	}{
		{stdioMode{}, streams{stdout: true, stderr: true}},
		{stdioMode{stdin: true}, streams{stdin: true, stdout: true, stderr: true}},
		{stdioMode{tty: true}, streams{stdout: true}},
		{stdioMode{tty: true, stdin: true}, streams{stdin: true, stdout: true}},
	}
	for _, tt := range tests {
		if got := tt.mode.streams(); got != tt.want {
			t.Errorf("%+v.streams() = %+v, want %+v", tt.mode, got, tt.want)
		}
	}
}
