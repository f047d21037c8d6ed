package policy

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestInputDocuments checks that each request becomes the input document
// the reference guest builds for that enforcement point: the same keys,
// and the derived values (path regexes, sandbox directories) it computes.
func TestInputDocuments(t *testing.T) {
	mode := os.FileMode(0o644)
	uid := uint32(7)
	for _, tc := range []struct {
		name  string
		input map[string]any
		keys  []string
		fixed map[string]any
	}{
		{"mount_device", MountDevice{Target: "/t", DeviceHash: "h"}.input(),
			[]string{"target", "deviceHash", "mountPathRegex"}, map[string]any{"mountPathRegex": "/run/mounts/scsi/m[0-9]+"}},
		{"rw_mount_device", RWMountDevice{Target: "/t"}.input(),
			[]string{"target", "encrypted", "ensureFilesystem", "filesystem", "mountPathRegex"},
			map[string]any{"mountPathRegex": "/run/gcs/c/[0-9a-fA-F]{64}"}},
		{"unmount_device", UnmountDevice{Target: "/t"}.input(), []string{"unmountTarget"}, nil},
		{"mount_overlay", MountOverlay{ContainerID: "c", LayerPaths: []string{"/a"}, Target: "/t"}.input(),
			[]string{"containerID", "layerPaths", "target"}, nil},
		{"scratch_mount", ScratchMount{Target: "/t"}.input(), []string{"target", "encrypted"}, nil},
		{"create_container", CreateContainer{SandboxID: "pod", ContainerID: "c",
			Devices:      []specs.LinuxDevice{{Path: "/dev/x", Type: "c", Major: 1, Minor: 2, FileMode: &mode, UID: &uid}},
			Capabilities: &specs.LinuxCapabilities{}}.input(),
			[]string{"containerID", "argList", "envList", "workingDir", "sandboxDir", "hugePagesDir", "mounts", "devices",
				"privileged", "noNewPrivileges", "user", "groups", "umask", "capabilities", "seccompProfileSHA256", "isSandboxContainer"},
			map[string]any{"sandboxDir": "/run/gcs/c/pod/sandboxMounts", "hugePagesDir": "/run/gcs/c/pod/hugepages",
				"devices":      []any{map[string]any{"path": "/dev/x", "type": "c", "major": 1, "minor": 2, "fileMode": 420, "uid": 7, "gid": nil}},
				"capabilities": map[string]any{"bounding": []any{}, "effective": []any{}, "inheritable": []any{}, "permitted": []any{}, "ambient": []any{}}}},
		{"exec_in_container", ExecInContainer{ContainerID: "c"}.input(),
			[]string{"containerID", "argList", "envList", "workingDir", "noNewPrivileges", "user", "groups", "umask", "capabilities"}, nil},
		{"exec_external", ExecExternal{}.input(), []string{"argList", "envList", "workingDir"}, nil},
		{"shutdown_container", ShutdownContainer{ContainerID: "c"}.input(), []string{"containerID"}, nil},
		{"signal_container_process", SignalContainerProcess{ContainerID: "c", Signal: 9}.input(),
			[]string{"containerID", "signal", "isInitProcess", "argList"}, map[string]any{"signal": 9}},
		{"plan9_mount", Plan9Mount{Target: "/t"}.input(), []string{"rootPrefix", "mountPathPrefix", "target"},
			map[string]any{"rootPrefix": "/run/gcs/c", "mountPathPrefix": "/mounts/m[0-9]+"}},
		{"load_transparency_trust_list", LoadTransparencyTrustList{}.input(), []string{"issuer", "subject", "svn", "ledgers"}, nil},
		{"mount_cims", MountCims{}.input(), []string{"containerID", "layerHashes", "mountedCim"}, nil},
		{"log_provider", LogProvider{}.input(), []string{"providers"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			for k := range tc.input {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			want := append([]string(nil), tc.keys...)
			sort.Strings(want)
			if !reflect.DeepEqual(keys, want) {
				t.Fatalf("keys %v, want %v", keys, want)
			}
			doc := asJSON(t, tc.input)
			for k, v := range tc.fixed {
				if got, want := doc[k], asJSON(t, map[string]any{k: v})[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
		})
	}
}

func asJSON(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRedaction checks what a denial's input hides: every environment
// value, whatever its type in the input, and nothing else.
func TestRedaction(t *testing.T) {
	in := map[string]any{
		"envList": []any{"A=secret", "B", "C=x=y", 5},
		"argList": []any{"/bin/app", "--flag"},
	}
	out := redactInput(in)
	if want := []any{"A=<<redacted>>", "B=<<redacted>>", "C=<<redacted>>"}; !reflect.DeepEqual(out["envList"], want) {
		t.Errorf("envList %v, want %v", out["envList"], want)
	}
	if !reflect.DeepEqual(out["argList"], in["argList"]) {
		t.Errorf("argList changed: %v", out["argList"])
	}
	if in["envList"].([]any)[0] != "A=secret" {
		t.Error("redaction changed the caller's input")
	}
	priv := map[string]any{"capabilities": capsInput(&specs.LinuxCapabilities{
		Bounding: DefaultPrivilegedCapabilities(), Effective: DefaultPrivilegedCapabilities(),
		Inheritable: DefaultPrivilegedCapabilities(), Permitted: DefaultPrivilegedCapabilities(),
	})}
	if got := redactInput(priv)["capabilities"]; got != "[privileged]" {
		t.Errorf("privileged capabilities shown as %v", got)
	}
	other := map[string]any{"capabilities": capsInput(&specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}})}
	if _, ok := redactInput(other)["capabilities"].(map[string]any); !ok {
		t.Error("non-default capabilities replaced by a placeholder")
	}
}
