//go:build !linux

package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// errUnsupported reports that network namespaces exist only on Linux.
func errUnsupported() error {
	return fmt.Errorf("network namespaces are not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// defaultLookup finds nothing outside Linux.
type defaultLookup struct {
	sysRoot string
	timeout time.Duration
	log     *logrus.Entry
}

// Find is not supported outside Linux.
func (defaultLookup) Find(context.Context, *prot.LCOWNetworkAdapter) (netlink.Link, error) {
	return nil, errUnsupported()
}

// openNetNS is not supported outside Linux.
func openNetNS(int) (*os.File, error) { return nil, errUnsupported() }

// place is not supported outside Linux.
func (m *Manager) place(context.Context, *namespace, *adapter) error { return errUnsupported() }

// unplace is not supported outside Linux.
func (m *Manager) unplace(context.Context, *namespace, *adapter) error { return errUnsupported() }
