package daemon

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// shutdownVM carries out Shutdown of the utility VM. "poweroff" powers the
// machine off, but only inside a utility VM, where the daemon is init or
// was started by a minimal init named "init" (hcsshim's and this project's
// images): on any other machine (a developer's, a CI runner, a test) it
// falls back to "exit" rather than power off the wrong machine.
func (d *Daemon) shutdownVM() {
	if d.cfg.ShutdownAction == "poweroff" {
		if inUtilityVM() {
			d.log.Info("powering the utility VM off")
			unix.Sync()
			if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
				d.log.WithError(err).Error("power off failed; exiting instead")
			}
		} else {
			d.log.Warn("-shutdown-action poweroff outside a utility VM (pid 1 is not a minimal init); exiting instead")
		}
	}
	d.stopOnce.Do(func() { close(d.stop) })
}

func inUtilityVM() bool {
	if os.Getpid() == 1 {
		return true
	}
	if os.Getppid() != 1 {
		return false
	}
	comm, err := os.ReadFile("/proc/1/comm")
	return err == nil && strings.TrimSpace(string(comm)) == "init"
}
