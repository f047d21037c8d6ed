package policy

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/framework"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// everyPoint calls every method of an Enforcer once, by rule name.
func everyPoint(ctx context.Context, e Enforcer) map[string]func() (*Decision, error) {
	caps := &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}}
	return map[string]func() (*Decision, error){
		RuleMountDevice:        func() (*Decision, error) { return e.MountDevice(ctx, MountDevice{Target: "/t"}) },
		RuleUnmountDevice:      func() (*Decision, error) { return e.UnmountDevice(ctx, UnmountDevice{Target: "/t"}) },
		RuleRWMountDevice:      func() (*Decision, error) { return e.RWMountDevice(ctx, RWMountDevice{Target: "/t"}) },
		RuleRWUnmountDevice:    func() (*Decision, error) { return e.RWUnmountDevice(ctx, RWUnmountDevice{Target: "/t"}) },
		RuleMountBlockDevice:   func() (*Decision, error) { return e.MountBlockDevice(ctx, MountBlockDevice{Target: "/t"}) },
		RuleUnmountBlockDevice: func() (*Decision, error) { return e.UnmountBlockDevice(ctx, UnmountBlockDevice{Target: "/t"}) },
		RuleMountOverlay:       func() (*Decision, error) { return e.MountOverlay(ctx, MountOverlay{ContainerID: "c"}) },
		RuleUnmountOverlay:     func() (*Decision, error) { return e.UnmountOverlay(ctx, UnmountOverlay{Target: "/t"}) },
		RuleScratchMount:       func() (*Decision, error) { return e.ScratchMount(ctx, ScratchMount{Target: "/t"}) },
		RuleScratchUnmount:     func() (*Decision, error) { return e.ScratchUnmount(ctx, ScratchUnmount{Target: "/t"}) },
		RuleCreateContainer: func() (*Decision, error) {
			return e.CreateContainer(ctx, CreateContainer{ContainerID: "c", Env: []string{"A=1"}, Capabilities: caps})
		},
		RuleExecInContainer: func() (*Decision, error) {
			return e.ExecInContainer(ctx, ExecInContainer{ContainerID: "c", Env: []string{"A=1"}, Capabilities: caps})
		},
		RuleExecExternal:      func() (*Decision, error) { return e.ExecExternal(ctx, ExecExternal{Env: []string{"A=1"}}) },
		RuleShutdownContainer: func() (*Decision, error) { return e.ShutdownContainer(ctx, ShutdownContainer{ContainerID: "c"}) },
		RuleSignalContainerProcess: func() (*Decision, error) {
			return e.SignalContainerProcess(ctx, SignalContainerProcess{ContainerID: "c", Signal: 9})
		},
		RulePlan9Mount:     func() (*Decision, error) { return e.Plan9Mount(ctx, Plan9Mount{Target: "/t"}) },
		RulePlan9Unmount:   func() (*Decision, error) { return e.Plan9Unmount(ctx, Plan9Unmount{Target: "/t"}) },
		RuleGetProperties:  func() (*Decision, error) { return e.GetProperties(ctx) },
		RuleDumpStacks:     func() (*Decision, error) { return e.DumpStacks(ctx) },
		RuleRuntimeLogging: func() (*Decision, error) { return e.RuntimeLogging(ctx) },
		RuleHostNetwork:    func() (*Decision, error) { return e.HostNetwork(ctx) },
		RuleLoadFragment: func() (*Decision, error) {
			return e.LoadFragment(ctx, LoadFragment{Issuer: "i", Feed: "f", Rego: "package frag\n"})
		},
		RuleLoadTransparencyTrustList: func() (*Decision, error) {
			return e.LoadTransparencyTrustList(ctx, LoadTransparencyTrustList{Ledgers: []string{"l"}})
		},
		RuleMountCims:       func() (*Decision, error) { return e.MountCims(ctx, MountCims{ContainerID: "c"}) },
		RuleRegistryChanges: func() (*Decision, error) { return e.RegistryChanges(ctx, RegistryChanges{ContainerID: "c"}) },
		RuleLogProvider:     func() (*Decision, error) { return e.LogProvider(ctx, LogProvider{Providers: []string{"p"}}) },
	}
}

// TestOpenDoorAllowsEverything checks every enforcement point, and that the
// process points keep everything requested.
func TestOpenDoorAllowsEverything(t *testing.T) {
	ctx := context.Background()
	points := everyPoint(ctx, OpenDoor{})
	if len(points) != len(closedDoorActions) {
		t.Fatalf("%d points tested, %d known", len(points), len(closedDoorActions))
	}
	for rule, call := range points {
		d, err := call()
		if err != nil {
			t.Errorf("%s: %v", rule, err)
			continue
		}
		if d.Rule != rule || d.Result["allowed"] != true {
			t.Errorf("%s: decision %+v", rule, d)
		}
		d.Commit()
		if err := d.Rollback(ctx); err != nil {
			t.Errorf("%s: rollback after commit: %v", rule, err)
		}
	}
	d, _ := OpenDoor{}.CreateContainer(ctx, CreateContainer{Env: []string{"A=1"}, Capabilities: &specs.LinuxCapabilities{Bounding: []string{"X"}}})
	if !reflect.DeepEqual(d.Env, []string{"A=1"}) || d.Capabilities.Bounding[0] != "X" || !d.AllowStdioAccess {
		t.Errorf("open door create: %+v", d)
	}
}

// TestClosedDoorRefusesEverything checks every enforcement point.
func TestClosedDoorRefusesEverything(t *testing.T) {
	for rule, call := range everyPoint(context.Background(), ClosedDoor{}) {
		d, err := call()
		if d != nil || !errors.Is(err, ErrClosedDoor) {
			t.Errorf("%s: decision %v, error %v", rule, d, err)
		}
	}
}

// TestInstallPicksEnforcer checks that an empty policy gets the open door,
// the open-door policy (whatever its api_version and layout) the enforcer
// deciding as its Rego does, and any other the Rego enforcer: a blank one
// is not empty, and does not compile (as in the reference).
func TestInstallPicksEnforcer(t *testing.T) {
	ctx := context.Background()
	reindented := "# comment\n" + framework.OpenDoorPolicy()
	for _, tc := range []struct {
		name   string
		policy string
		want   Enforcer
	}{
		{"empty", "", OpenDoor{}},
		{"open door", framework.OpenDoorPolicy(), &OpenDoorPolicy{}},
		{"open door with a comment", reindented, &OpenDoorPolicy{}},
		{"open door of an older API", "package policy\napi_version := \"0.10.0\"\n" + framework.OpenDoorPolicy()[len("package policy\n\napi_version := \"0.12.0\"\n"):], &OpenDoorPolicy{}},
		{"framework policy", "package policy\n\napi_version := \"0.12.0\"\nmount_device := data.framework.mount_device\n", &Rego{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Install(ctx, tc.policy, quietOptions())
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(e) != reflect.TypeOf(tc.want) {
				t.Fatalf("got %T, want %T", e, tc.want)
			}
		})
	}
	if e, err := Install(ctx, " \n\t\n", quietOptions()); err == nil {
		t.Errorf("a blank policy installed as %T", e)
	}
}

// TestOpenDoorPolicyMatchesOpenDoor checks that the open-door policy run
// by the Rego enforcer answers every point as OpenDoor does.
func TestOpenDoorPolicyMatchesOpenDoor(t *testing.T) {
	ctx := context.Background()
	p, err := NewRego(ctx, framework.OpenDoorPolicy(), quietOptions())
	if err != nil {
		t.Fatal(err)
	}
	open := everyPoint(ctx, OpenDoor{})
	for rule, call := range everyPoint(ctx, p) {
		if rule == RuleLoadTransparencyTrustList {
			continue // the policy names no ledgers: refused, as by the reference
		}
		got, err := call()
		if err != nil {
			t.Errorf("%s: %v", rule, err)
			continue
		}
		got.Commit()
		want, _ := open[rule]()
		if !reflect.DeepEqual(got.Result, want.Result) {
			t.Errorf("%s: policy %v, open door %v", rule, got.Result, want.Result)
		}
	}
}
