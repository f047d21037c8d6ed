package hcsv2

// A standalone container's cgroup is <parent>/pods/<id> and a pod's
// <parent>/pods/<sandbox id>, so a virtual pod id and a container id
// must not name the same thing: these tests create the pairs that would
// share a cgroup and check that the second create is refused and leaves
// the first as it was.

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// podIDStep is one Create of a podIDs test.
type podIDStep struct {
	id, kind, sandbox, virtualPod string // kind: "" (standalone), "sandbox", "container"
}

// create runs the step's Create on h.
func (s podIDStep) create(t *testing.T, h *Host) error {
	t.Helper()
	ann := map[string]string{}
	if s.kind != "" {
		ann[annotationContainerType] = s.kind
	}
	if s.sandbox != "" {
		ann[annotationSandboxID] = s.sandbox
	}
	if s.virtualPod != "" {
		ann[annotationVirtualPodID] = s.virtualPod
	}
	sandbox := s.sandbox
	if sandbox == "" {
		sandbox = s.id
	}
	cfg := podSettings(t, h, s.id, sandbox, ann, nil)
	return h.CreateContainer(context.Background(), s.id, "", cfg)
}

func TestPodIDAndContainerIDDoNotShareACgroup(t *testing.T) {
	tests := []struct {
		name   string
		before []podIDStep
		create podIDStep
		pods   []string // pods that must still be registered, with their roots
	}{
		{
			name:   "virtual pod id of a standalone container",
			before: []podIDStep{{id: "x"}},
			create: podIDStep{id: "s", kind: "sandbox", virtualPod: "x"},
		},
		{
			name:   "virtual pod id of a workload container",
			before: []podIDStep{{id: "p", kind: "sandbox"}, {id: "w", kind: "container", sandbox: "p"}},
			create: podIDStep{id: "s", kind: "sandbox", virtualPod: "w"},
			pods:   []string{"p"},
		},
		{
			name:   "standalone container id of a virtual pod",
			before: []podIDStep{{id: "s", kind: "sandbox", virtualPod: "v"}},
			create: podIDStep{id: "v"},
			pods:   []string{"v"},
		},
		{
			name:   "virtual pod id of another virtual pod",
			before: []podIDStep{{id: "s1", kind: "sandbox", virtualPod: "v"}},
			create: podIDStep{id: "s2", kind: "sandbox", virtualPod: "v"},
			pods:   []string{"v"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fh := newPodHost(t)
			h := fh.host
			for _, s := range tt.before {
				if err := s.create(t, h); err != nil {
					t.Fatalf("create %s: %v", s.id, err)
				}
			}
			err := tt.create.create(t, h)
			if got := prot.HResultOf(err); got != prot.HrVmcomputeAlreadyExists {
				t.Fatalf("create %s = %v (HRESULT %#x), want already-exists", tt.create.id, err, uint32(got))
			}
			t.Logf("create %s: %v", tt.create.id, err)
			for _, s := range tt.before {
				if _, err := h.container(s.id); err != nil {
					t.Errorf("container %s after the refused create: %v", s.id, err)
				}
			}
			for _, id := range tt.pods {
				p := registeredPod(h, id)
				if p == nil {
					t.Errorf("pod %s gone after the refused create", id)
					continue
				}
				if _, err := os.Stat(filepath.Join(p.root, "hostname")); err != nil {
					t.Errorf("pod %s root after the refused create: %v", id, err)
				}
			}
			if id := tt.create.virtualPod; id != "" && !slices.Contains(tt.pods, id) && registeredPod(h, id) != nil {
				t.Errorf("refused sandbox left pod %s registered", id)
			}
		})
	}
}

// registeredPod returns the pod id registered in h, or nil.
func registeredPod(h *Host, id string) *pod {
	h.pods.mu.Lock()
	defer h.pods.mu.Unlock()
	return h.pods.pods[id]
}
