package hcsv2

// What an exec policy decides on must be what runs: the utility-VM argv
// and the container exec's user and working directory are completed
// before the policy is asked, and the completed values are started.

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// noTouchPolicy allows every utility-VM process except /bin/touch.
const noTouchPolicy = `package policy

import rego.v1

api_version := "0.12.0"

default exec_external := {"allowed": false}

exec_external := {"allowed": true, "allow_stdio_access": true, "env_list": null} if {
	not input.argList[0] == "/bin/touch"
}

runtime_logging := {"allowed": false}
get_properties := {"allowed": true}
`

// A utility-VM process given by CommandLine alone runs the command line
// split into argv; exec_external must judge that argv (it was shown the
// empty CommandArgs, so a policy forbidding /bin/touch let it run).
func TestExecExternalCommandLineHiddenFromPolicy(t *testing.T) {
	fh := newFuzzHost(t)
	h := fh.host
	var ran []string
	h.opts.Spawn = func(cmd *exec.Cmd, start func() (int, error)) error {
		ran = append([]string(nil), cmd.Args...)
		return harmlessUVMProcess(cmd, start)
	}
	setTestPolicy(t, h, noTouchPolicy)
	marker := filepath.Join(fh.root, "touched")

	for _, tc := range []struct {
		name   string
		params prot.ProcessParameters
		want   []string // argv started; nil: refused, nothing started
	}{
		{"args forbidden", prot.ProcessParameters{CommandArgs: []string{"/bin/touch", marker}}, nil},
		{"command line forbidden", prot.ProcessParameters{CommandLine: "/bin/touch " + marker}, nil},
		{"quoted command line forbidden", prot.ProcessParameters{CommandLine: `'/bin/touch' "` + marker + `"`}, nil},
		{"command line allowed", prot.ProcessParameters{CommandLine: `/bin/echo 'a b' c`}, []string{"/bin/echo", "a b", "c"}},
		{"args win over command line", prot.ProcessParameters{CommandArgs: []string{"/bin/echo", "hi"}, CommandLine: "/bin/touch " + marker}, []string{"/bin/echo", "hi"}},
		{"args forbidden whatever the command line", prot.ProcessParameters{CommandArgs: []string{"/bin/touch", marker}, CommandLine: "/bin/echo hi"}, nil},
		{"no command", prot.ProcessParameters{}, nil},
		{"unterminated quote", prot.ProcessParameters{CommandLine: "/bin/echo 'a"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran = nil
			pid, err := h.enforcedUVMProcess(context.Background(), &tc.params, prot.ExecuteProcessVsockStdioRelaySettings{})
			switch {
			case tc.want == nil && err == nil:
				t.Fatalf("started pid %d with argv %q; want refused", pid, ran)
			case tc.want == nil && ran != nil:
				t.Fatalf("refused (%v) but argv %q was started", err, ran)
			case tc.want != nil && err != nil:
				t.Fatalf("refused: %v; want %q started", err, tc.want)
			case !slices.Equal(ran, tc.want):
				t.Fatalf("started argv %q; want %q", ran, tc.want)
			}
		})
	}
}

// appExecPolicy allows any container, and an exec in one only as app
// (uid 1000, named so by the container's files), with umask 0077, in a
// working directory other than "/".
const appExecPolicy = `package policy

import rego.v1

api_version := "0.12.0"

default create_container := {"allowed": false}

create_container := {"allowed": true, "allow_stdio_access": true, "env_list": null}

default exec_in_container := {"allowed": false}

exec_in_container := {"allowed": true, "allow_stdio_access": true, "env_list": null} if {
	input.user == {"id": "1000", "name": "app"}
	input.groups == [{"id": "1000", "name": "app"}]
	input.umask == "0077"
	input.workingDir != "/"
}

runtime_logging := {"allowed": false}
get_properties := {"allowed": true}
`

// recordingRuntimeScript is longLivedRuntimeScript that also keeps the
// process.json of each exec as ROOT/last-exec.json.
var recordingRuntimeScript = strings.NewReplacer(
	"--bundle|--console-socket|--process|--resources) shift 2;;",
	"--process) process=$2; shift 2;; --bundle|--console-socket|--resources) shift 2;;",
	"exec) sleep 30 &", `exec) cp "$process" "$root/last-exec.json"; sleep 30 &`,
).Replace(longLivedRuntimeScript)

// An exec in a container whose init runs as a user name runs as that
// user when it names none itself, and an empty Cwd runs in "/":
// exec_in_container must judge the user, groups, umask and working
// directory the runtime is given. It was shown the exec's own user and
// Cwd "", so a policy allowing only app outside "/" let root run in "/".
func TestExecInContainerUserAndCwdSubstitutedAfterPolicy(t *testing.T) {
	fh := newPodHost(t)
	h := fh.host
	script := filepath.Join(fh.root, "recording-runtime")
	if err := os.WriteFile(script, []byte(recordingRuntimeScript), 0o755); err != nil {
		t.Fatal(err)
	}
	h.opts.Runtime.Command = script
	setTestPolicy(t, h, appExecPolicy)

	sb := podSettings(t, h, policyTestSandboxID, policyTestSandboxID, map[string]string{annotationContainerType: "sandbox"}, nil)
	sb.OCISpecification.Process.User = oci.User{Username: "root"}
	etc := filepath.Join(sb.OCISpecification.Root.Path, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n",
		"group":  "root:x:0:\napp:x:1000:\n",
	} {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.CreateContainer(context.Background(), policyTestSandboxID, "", sb); err != nil {
		t.Fatalf("create: %v", err)
	}
	c, err := h.container(policyTestSandboxID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.teardown(context.Background()) })
	recorded := filepath.Join(h.opts.Runtime.Root, "last-exec.json")
	umask := uint32(0o077)

	for _, tc := range []struct {
		name string
		user oci.User
		cwd  string
		want *oci.User // what the runtime is given; nil: refused
	}{
		// Substituted by the container's root: refused.
		{"uid 1000 without a name", oci.User{UID: 1000, GID: 1000, Umask: &umask}, "/home/app", nil},
		// Runs in "/": refused.
		{"named app in an empty cwd", oci.User{Username: "app", Umask: &umask}, "", nil},
		{"named app", oci.User{Username: "app", Umask: &umask}, "/home/app", &oci.User{UID: 1000, GID: 1000, Umask: &umask}},
		{"named app without umask", oci.User{Username: "app"}, "/home/app", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.Remove(recorded); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			params := &prot.ProcessParameters{OCIProcess: &oci.Process{
				Args: []string{"/bin/id"}, Cwd: tc.cwd, User: tc.user,
				Capabilities: &oci.LinuxCapabilities{},
			}}
			pid, err := c.enforcedExec(context.Background(), params, prot.ExecuteProcessVsockStdioRelaySettings{})
			b, rerr := os.ReadFile(recorded)
			var ran oci.Process
			if rerr == nil {
				if err := json.Unmarshal(b, &ran); err != nil {
					t.Fatal(err)
				}
			}
			switch {
			case tc.want == nil && err == nil:
				t.Fatalf("exec pid %d allowed; the runtime got uid %d gid %d cwd %q", pid, ran.User.UID, ran.User.GID, ran.Cwd)
			case tc.want == nil && rerr == nil:
				t.Fatalf("refused (%v) but the runtime was given uid %d cwd %q", err, ran.User.UID, ran.Cwd)
			case tc.want != nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != nil && rerr != nil:
				t.Fatal(rerr)
			case tc.want != nil:
				if ran.User.UID != tc.want.UID || ran.User.GID != tc.want.GID || ran.User.Umask == nil || *ran.User.Umask != *tc.want.Umask || ran.Cwd != tc.cwd {
					t.Fatalf("the runtime got user %+v cwd %q; want uid %d gid %d umask %04o cwd %q", ran.User, ran.Cwd, tc.want.UID, tc.want.GID, *tc.want.Umask, tc.cwd)
				}
			}
		})
	}
}
