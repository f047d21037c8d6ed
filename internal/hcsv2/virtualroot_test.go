package hcsv2

import (
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// A virtual pod's root (<dir of its sandbox's bundle>/virtual-pods/<id>)
// holds the pod's files: no other container's bundle or scratch may be it,
// hold it or lie in it, nor may a new virtual pod's root overlap another
// container's directories. It used to be left out of the check: a
// standalone container whose bundle was a live virtual pod's root was
// created, and its Delete removed the pod's sandboxMounts (found by a
// review probe).
func TestVirtualPodRootNotShared(t *testing.T) {
	h, _, c := stateTestHost(t)
	// A running virtual pod v, its sandbox vs beside it.
	vs := newContainer(h, "vs", "")
	vs.bundle, vs.kind, vs.sandboxID = c("vs"), kindSandbox, "v"
	vs.virtualRoot = c(virtualPodsDir, "v")
	h.containers["vs"] = vs
	// A standalone container whose bundle a new virtual pod's root would be.
	x := newContainer(h, "x", "")
	x.bundle = c(virtualPodsDir, "w")
	h.containers["x"] = x

	for _, tc := range []struct {
		name, bundle, scratch, virtualRoot string
	}{
		{"bundle is the virtual pod's root", c(virtualPodsDir, "v"), "", ""},
		{"bundle holds the virtual pod's root", c(virtualPodsDir), "", ""},
		{"scratch in the virtual pod's root", c("n"), c(virtualPodsDir, "v", "sandboxMounts", "s"), ""},
		{"virtual pod root is another's bundle", c("n"), "", c(virtualPodsDir, "w")},
		{"virtual pod root is another virtual pod's", c("n"), "", c(virtualPodsDir, "v")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newContainer(h, "new", "")
			n.bundle, n.scratch, n.virtualRoot = tc.bundle, tc.scratch, tc.virtualRoot
			err := h.checkOthersPaths(n, "")
			if err == nil || !strings.Contains(err.Error(), "overlaps") {
				t.Fatalf("error %v, want one that says it overlaps", err)
			}
			if hr := prot.HResultOf(err); hr != prot.HrInvalidArg {
				t.Errorf("HRESULT %s, want E_INVALIDARG", hr)
			}
		})
	}
	// A new virtual pod of its own beside them is fine.
	n := newContainer(h, "new", "")
	n.bundle, n.virtualRoot = c("ns"), c(virtualPodsDir, "n")
	if err := h.checkOthersPaths(n, ""); err != nil {
		t.Errorf("a virtual pod of its own: %v", err)
	}
}
