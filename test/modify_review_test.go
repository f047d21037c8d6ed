package test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// waitDeviceScript makes a node for /dev/loop-control (c 10:237, none of
// the runtime's defaults) and tries to open it for about five seconds,
// so that an update sent meanwhile can change the answer.
const waitDeviceScript = `mknod /dev/lc c 10 237 || exit 1
i=0
while [ $i -lt 50 ]; do
	if true </dev/lc 2>/dev/null; then echo opened; exit 0; fi
	sleep 0.1
	i=$((i+1))
done
echo refused`

// TestUpdateCannotGrantDevicesUnderPolicy: a container the policy allowed
// as unprivileged and without devices runs under the GCS's own device
// rules (deny-all, the runtime's defaults and what the policy was shown).
// UpdateContainer is not judged (as in the reference), so the device
// cgroup rules it carries must not reach the container: it still cannot
// open a node it made.
func TestUpdateCannotGrantDevicesUnderPolicy(t *testing.T) {
	major, minor := int64(10), int64(237)
	forEachRuntime(t, func(t *testing.T, runtime string) {
		h := newHostEnv(t, runtime)
		if err := h.setConfPolicy(unprivilegedOnlyPolicy, ""); err != nil {
			t.Fatalf("set policy: %v", err)
		}
		id := h.confidentialID("update-dev")
		spec := confSpec("sh", "-c", waitDeviceScript)
		if err := h.createConfidential(t, id, h.bundle(id), filepath.Join(h.bundle(id), "scratch", id), spec); err != nil {
			t.Fatalf("create: %v", err)
		}
		s := h.listenStdio(false, true, true)
		pid, err := h.startInit(id, s)
		if err != nil {
			t.Fatal(err)
		}
		out, errOut := h.readAll(s.out), h.readAll(s.err)
		upd := &prot.ModificationRequest{
			ResourceType: prot.ResourceTypeContainerConstraints, RequestType: prot.RequestTypeUpdate,
			Settings: &prot.LCOWContainerConstraints{Linux: oci.LinuxResources{Devices: []oci.LinuxDeviceCgroup{
				{Allow: true, Access: "rwm"},
				{Allow: true, Type: "c", Major: &major, Minor: &minor, Access: "rwm"},
			}}},
		}
		updErr := h.c.ModifySettings(testCtx(t), id, upd)
		if code := h.wait(id, pid); code != 0 {
			t.Fatalf("container exited %d: %s", code, <-errOut)
		}
		if got := strings.TrimSpace(<-out); got != "refused" {
			t.Fatalf("after an UpdateContainer carrying device rules (reply: %v) the container's /dev/loop-control was %s, want refused", updErr, got)
		}
		if updErr == nil {
			t.Fatalf("UpdateContainer with device rules accepted under a judging policy")
		}
		if got := fmt.Sprint(updErr); !strings.Contains(got, "device") {
			t.Fatalf("UpdateContainer refused with %q, want a reason naming the device rules", got)
		}
	})
}
