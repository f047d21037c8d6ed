package hcsv2

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/linux-gcs/gcs/internal/network"
	"github.com/linux-gcs/gcs/internal/prot"
)

// attachNetwork moves the adapters the host registered for the container's
// namespace into the network namespace of its freshly created init.
func (c *Container) attachNetwork(ctx context.Context) error {
	nm := c.host.opts.Network
	if c.netNS == "" || nm == nil {
		return nil
	}
	if err := nm.Attach(ctx, c.netNS, int(c.init.pid)); err != nil {
		return networkError(fmt.Errorf("attach network namespace %s: %w", c.netNS, err))
	}
	c.attached = true
	return nil
}

// detachNetwork returns the adapters to the utility VM, still registered.
func (c *Container) detachNetwork() error {
	nm := c.host.opts.Network
	if !c.attached || nm == nil {
		return nil
	}
	c.attached = false
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := nm.Detach(ctx, c.netNS); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("detach network namespace %s: %w", c.netNS, err)
	}
	return nil
}

// joinSandboxNetwork makes a workload container share its sandbox's network
// namespace.
func (c *Container) joinSandboxNetwork(sb *Container) error {
	if sb.init == nil || sb.init.hasExited() {
		return prot.Errorf(prot.HrFail, "sandbox %s of workload container is not running", sb.id)
	}
	path := fmt.Sprintf("/proc/%d/ns/net", sb.init.pid)
	for i, ns := range c.spec.Linux.Namespaces {
		if ns.Type == "network" {
			c.spec.Linux.Namespaces[i].Path = path
		}
	}
	return nil
}

// modifyNetwork handles Network Add and Remove at the utility-VM level.
func (h *Host) modifyNetwork(ctx context.Context, rt prot.RequestType, a *prot.LCOWNetworkAdapter) error {
	nm := h.opts.Network
	if nm == nil {
		return prot.Errorf(prot.HrFail, "network adapters are not supported by this GCS")
	}
	switch rt {
	case prot.RequestTypeAdd:
		// E_FAIL whatever went wrong, as the reference: an adapter that
		// cannot be found is "failed to find adapter <id>: ...".
		if err := nm.AddAdapter(ctx, a); err != nil {
			return prot.WithHResult(prot.HrFail, err)
		}
		return nil
	case prot.RequestTypeRemove:
		err := nm.RemoveAdapter(ctx, a.NamespaceID, a.ID)
		if err != nil && !errors.Is(err, network.ErrAdapterNotFound) && !errors.Is(err, os.ErrNotExist) {
			return prot.WithHResult(prot.HrFail, fmt.Errorf("remove adapter %s: %w", a.ID, err))
		}
		return nil
	}
	return unsupportedRequest(&prot.ModificationRequest{RequestType: rt, ResourceType: prot.ResourceTypeNetwork})
}

// networkError attaches the HRESULT the reference uses: not found for a
// missing namespace, adapter or process, E_FAIL otherwise.
func networkError(err error) error {
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, network.ErrAdapterNotFound) {
		return prot.WithHResult(prot.HrElementNotFound, err)
	}
	return prot.WithHResult(prot.HrFail, err)
}
