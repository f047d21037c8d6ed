package policy

import (
	"fmt"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// shapesRequest is a create_container request for container id of
// testdata/native/policy.rego, with every mount its containers allow.
func shapesRequest(id string) CreateContainer {
	unpriv := DefaultUnprivilegedCapabilities()
	return CreateContainer{
		SandboxID: id, ContainerID: id, Args: []string{"/app"}, Env: []string{"PATH=/bin", "MODE=fast"}, WorkingDir: "/",
		Mounts: []specs.Mount{
			{Destination: "/huge", Type: "bind", Source: HugePagesMountsDir(id) + "/2M", Options: []string{"rw"}},
			{Destination: "/share", Type: "bind", Source: ContainerRoot + "/" + id + "/mounts/m0", Options: []string{"ro"}},
		},
		User: IDName{ID: "0", Name: "root"}, Groups: []IDName{{ID: "0", Name: "root"}}, Umask: "0022",
		Capabilities: &specs.LinuxCapabilities{Bounding: unpriv, Effective: unpriv, Permitted: unpriv},
	}
}

// TestNativeMatchesOPAOnShapes runs the policy of testdata/native (null
// capabilities, elevation, hugepages and plan9 sources, containers only
// stdio tells apart, fields of unexpected types) through both enforcers,
// each create_container with the usual mutations and a privileged one.
func TestNativeMatchesOPAOnShapes(t *testing.T) {
	code := string(mustReadFile(t, "testdata/native/policy.rego"))
	np := newNativePair(t, code)
	if !np.fast.fast.Covers(RuleCreateContainer) || !np.fast.fast.Covers(RuleMountDevice) {
		t.Fatal("the policy got no plan")
	}
	var cmds []corpusCommand
	for i, layer := range []string{"aa", "bb", "cc", "dd", "ee"} {
		id := fmt.Sprintf("c%d", i)
		target := fmt.Sprintf("/run/mounts/scsi/m%d", i)
		cmds = append(cmds,
			corpusCommand{RuleMountDevice, rawInput(MountDevice{Target: target, DeviceHash: layer}.input())},
			corpusCommand{RuleMountOverlay, rawInput(MountOverlay{ContainerID: id, LayerPaths: []string{target}, Target: ContainerRoot + "/" + id + "/rootfs"}.input())},
			corpusCommand{RulePlan9Mount, rawInput(Plan9Mount{Target: ContainerRoot + "/" + id + "/mounts/m0"}.input())},
			corpusCommand{RuleCreateContainer, cloneInput(t, shapesRequest(id).input())},
		)
	}
	privileged := func(name string, in rawInput) []rawInput {
		out := mutations(t)(name, in)
		if name == RuleCreateContainer {
			priv := strs(DefaultPrivilegedCapabilities())
			v := cloneInput(t, in)
			v["privileged"] = true
			v["capabilities"] = map[string]any{"bounding": priv, "effective": priv, "inheritable": priv, "permitted": priv, "ambient": []any{}}
			out = append(out, cloneInput(t, v))
		}
		return out
	}
	np.replay(t, "testdata/native", cmds, privileged)
	if np.byRule[RuleCreateContainer] == 0 || np.byRule[RuleMountDevice] == 0 {
		t.Fatalf("the plan decided only %v", np.byRule)
	}
	t.Logf("decisions made natively: %v", np.byRule)
}
