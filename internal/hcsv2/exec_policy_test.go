package hcsv2

// What an exec policy decides on must be what runs: the utility-VM argv
// and the container exec's user and working directory are completed
// before the policy is asked, and the completed values are started.

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

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
