package timesync

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// HyperVClockName is the clock_name of Hyper-V's PTP clock in sysfs.
const HyperVClockName = "hyperv"

// ErrNoClock is returned by FindClock when the VM has no Hyper-V PTP clock.
var ErrNoClock = errors.New("no Hyper-V PTP clock")

// FindClock returns the device path of the Hyper-V PTP clock: devRoot/<dev>
// for the first sysRoot/class/ptp/<dev> (in name order) whose clock_name is
// "hyperv", else devRoot/ptp_hyperv if it exists. sysRoot and devRoot are
// seams for tests ("/sys" and "/dev" in a VM). Without either it returns
// an error wrapping ErrNoClock that lists the clocks it saw.
func FindClock(sysRoot, devRoot string) (string, error) {
	class := filepath.Join(sysRoot, "class", "ptp")
	entries, err := os.ReadDir(class)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("list PTP clocks in %s: %w", class, err)
	}
	var seen []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(class, e.Name(), "clock_name"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("read PTP clock name: %w", err)
		}
		name := strings.TrimSpace(string(b))
		if name == HyperVClockName {
			return filepath.Join(devRoot, e.Name()), nil
		}
		seen = append(seen, e.Name()+"="+name)
	}
	link := filepath.Join(devRoot, "ptp_hyperv")
	if _, err := os.Stat(link); err == nil {
		return link, nil
	}
	slices.Sort(seen)
	if len(seen) == 0 {
		return "", fmt.Errorf("no PTP clock in %s and no %s: %w", class, link, ErrNoClock)
	}
	return "", fmt.Errorf("PTP clocks %s, none named %q, and no %s: %w", strings.Join(seen, ", "), HyperVClockName, link, ErrNoClock)
}

// Config returns chronyd's configuration for the PTP clock at dev: the
// clock as the only, stratum-2 reference polled every 8 s, and the system
// clock stepped whenever it is more than 0.1 s off (a VM resumed from a
// pause is far behind). These are the settings Azure documents for Linux
// VMs and the reference uses.
func Config(dev string) string {
	return fmt.Sprintf("refclock PHC %s poll 3 dpoll -2 offset 0 stratum 2\nmakestep 0.1 -1\n", dev)
}
