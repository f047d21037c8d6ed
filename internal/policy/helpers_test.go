package policy

import (
	"context"
	"io"
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

const layer1 = "1111111111111111111111111111111111111111111111111111111111111111"

// unitPolicy installs testdata/unit/policy.rego, a policy in the shape the
// reference's generator writes, with one container.
func unitPolicy(t testing.TB, opts Options) *Rego {
	t.Helper()
	code, err := os.ReadFile("testdata/unit/policy.rego")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		opts.Log = l
	}
	p, err := NewRego(context.Background(), string(code), opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startContainer mounts the layer, the overlay and creates container id.
func startContainer(t testing.TB, p *Rego, id string) *Decision {
	t.Helper()
	ctx := context.Background()
	commit(t)(p.MountDevice(ctx, MountDevice{Target: "/run/mounts/scsi/m0", DeviceHash: layer1}))
	commit(t)(p.MountOverlay(ctx, MountOverlay{ContainerID: id, LayerPaths: []string{"/run/mounts/scsi/m0"}, Target: "/run/gcs/c/" + id + "/rootfs"}))
	d, err := p.CreateContainer(ctx, appRequest(id))
	if err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
	d.Commit()
	return d
}

func appRequest(id string) CreateContainer {
	return CreateContainer{
		SandboxID:   id,
		ContainerID: id,
		Args:        []string{"/app", "--serve"},
		Env:         []string{"PATH=/bin", "KEEP_ME=1", "SECRET=hunter2"},
		WorkingDir:  "/",
		User:        IDName{ID: "0", Name: "root"},
		Groups:      []IDName{{ID: "0", Name: "root"}},
		Umask:       "0022",
		Capabilities: &specs.LinuxCapabilities{
			Bounding:  []string{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"},
			Effective: []string{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"},
			Permitted: []string{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"},
		},
	}
}

// commit fails the test on a refusal and commits the decision.
func commit(t testing.TB) func(*Decision, error) {
	return func(d *Decision, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		d.Commit()
	}
}
