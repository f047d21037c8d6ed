package scsi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Controllers is the number of SCSI controllers the host may name.
const Controllers = 4

// ControllerGUID returns the instance GUID of the VMBus SCSI controller the
// host numbers controller (0 to Controllers-1).
func ControllerGUID(controller uint8) (string, error) {
	guids := [Controllers]string{
		"df6d0690-79e5-55b6-a5ec-c1e2f77f580a",
		"0110f83b-de10-5172-a266-78bca56bf50a",
		"b5d2d8d4-3a75-51bf-945b-3444dc6b8579",
		"305891a9-b251-5dfe-91a2-c25d9212275b",
	}
	if int(controller) >= len(guids) {
		return "", fmt.Errorf("SCSI controller %d is out of range (0-%d)", controller, len(guids)-1)
	}
	return guids[controller], nil
}

// Defaults of Lookup's fields.
const (
	DefaultSysRoot = "/sys"
	DefaultDevRoot = "/dev"
	DefaultPoll    = 10 * time.Millisecond
	DefaultTimeout = 10 * time.Second
)

// Lookup finds the block devices of SCSI disks in sysfs. Its zero value
// looks in /sys and /dev, polling every 10ms for up to 10s; tests point
// SysRoot and DevRoot at fake trees.
type Lookup struct {
	SysRoot string        // sysfs mount, "/sys" when empty
	DevRoot string        // device nodes, "/dev" when empty
	Poll    time.Duration // interval between looks
	Timeout time.Duration // how long Device waits for a disk to appear
}

// Device returns the node of partition (0 for the whole disk) of the disk
// at lun of the host's SCSI controller, waiting up to l.Timeout (and
// within ctx) for the controller, the disk and the node to appear.
func (l Lookup) Device(ctx context.Context, controller, lun uint8, partition uint64) (string, error) {
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	poll := l.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	for {
		dev, missing, err := l.device(controller, lun, partition)
		if err != nil || missing == "" {
			return dev, err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("SCSI disk at controller %d LUN %d (partition %d) did not appear within %s: %s: %w",
				controller, lun, partition, timeout, missing, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// device looks once. It returns the node, or what it is still waiting for,
// or an error that waiting cannot cure.
func (l Lookup) device(controller, lun uint8, partition uint64) (dev, missing string, err error) {
	host, missing, err := l.host(controller)
	if err != nil || missing != "" {
		return "", missing, err
	}
	blockDir := filepath.Join(l.sysRoot(), "bus", "scsi", "devices", fmt.Sprintf("%d:0:0:%d", host, lun), "block")
	entries, err := os.ReadDir(blockDir)
	if err != nil || len(entries) == 0 {
		return "", "no block device in " + blockDir, nil
	}
	name := entries[0].Name()
	if partition > 0 {
		name = PartitionName(name, partition)
	}
	dev = filepath.Join(l.devRoot(), name)
	if _, err := os.Stat(dev); err != nil {
		return "", "no device node " + dev, nil
	}
	return dev, "", nil
}

// Host returns the guest's SCSI host number of the host's controller,
// without waiting.
func (l Lookup) Host(controller uint8) (int, error) {
	n, missing, err := l.host(controller)
	if err == nil && missing != "" {
		err = fmt.Errorf("SCSI controller %d: %s: %w", controller, missing, fs.ErrNotExist)
	}
	return n, err
}

// host returns controller's SCSI host number, or what is missing.
func (l Lookup) host(controller uint8) (n int, missing string, err error) {
	vmbus := filepath.Join(l.sysRoot(), "bus", "vmbus")
	if _, err := os.Stat(vmbus); err == nil {
		guid, err := ControllerGUID(controller)
		if err != nil {
			return 0, "", err
		}
		dir := filepath.Join(vmbus, "devices", guid)
		hosts, err := hostNumbers(dir)
		if err != nil || len(hosts) == 0 {
			return 0, "no host<N> in " + dir, nil
		}
		return hosts[0], "", nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, "", fmt.Errorf("look for VMBus: %w", err)
	}
	dir := filepath.Join(l.sysRoot(), "class", "scsi_host")
	hosts, err := hostNumbers(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, "", fmt.Errorf("list SCSI host adapters: %w", err)
	}
	if int(controller) >= len(hosts) {
		return 0, fmt.Sprintf("no VMBus, and %d SCSI host adapters in %s (controller %d is the adapter of index %d)", len(hosts), dir, controller, controller), nil
	}
	return hosts[controller], "", nil
}

// hostNumbers returns the N of the host<N> entries of dir, in order.
func hostNumbers(dir string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ns []int
	for _, e := range entries {
		if s, ok := strings.CutPrefix(e.Name(), "host"); ok {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				ns = append(ns, n)
			}
		}
	}
	sort.Ints(ns)
	return ns, nil
}

// PartitionName returns the name of partition p of the disk name: sda and
// 1 make sda1, but nvme0n1 and 1 make nvme0n1p1 (as do loop0 and 1).
func PartitionName(name string, p uint64) string {
	if name != "" && name[len(name)-1] >= '0' && name[len(name)-1] <= '9' {
		return fmt.Sprintf("%sp%d", name, p)
	}
	return fmt.Sprintf("%s%d", name, p)
}

// Unplug asks the kernel to remove the disk at lun of the host's SCSI
// controller (writing 1 to its sysfs delete attribute), as the host's
// SCSIDevice Remove requires before it detaches the disk. A disk that
// is not there is an error wrapping fs.ErrNotExist.
func (l Lookup) Unplug(ctx context.Context, controller, lun uint8) error {
	host, err := l.Host(controller)
	if err != nil {
		return fmt.Errorf("unplug SCSI controller %d LUN %d: %w", controller, lun, err)
	}
	p := filepath.Join(l.sysRoot(), "bus", "scsi", "devices", fmt.Sprintf("%d:0:0:%d", host, lun), "delete")
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("unplug SCSI controller %d LUN %d: %w", controller, lun, err)
	}
	if _, err := f.WriteString("1"); err != nil {
		f.Close()
		return fmt.Errorf("unplug SCSI controller %d LUN %d (%s): %w", controller, lun, p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("unplug SCSI controller %d LUN %d (%s): %w", controller, lun, p, err)
	}
	return nil
}

func (l Lookup) sysRoot() string {
	if l.SysRoot == "" {
		return DefaultSysRoot
	}
	return l.SysRoot
}

func (l Lookup) devRoot() string {
	if l.DevRoot == "" {
		return DefaultDevRoot
	}
	return l.DevRoot
}
