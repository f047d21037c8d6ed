// Package timesync keeps a utility VM's clock in step with its host, as the
// reference GCS does: chronyd runs in the foreground with the hypervisor's
// PTP clock as its reference (no network time source), and is restarted
// with a growing delay whenever it exits.
//
// The clock is the PTP device whose /sys/class/ptp/<dev>/clock_name is
// "hyperv" (Hyper-V's virtual PTP clock, /dev/<dev>), else a /dev/ptp_hyperv
// link when udev made one. A VM without it (qemu offers a "kvm" PTP clock
// only under KVM, none under TCG) has nothing to synchronise with: that is
// logged and the daemon carries on, as it does when chronyd is missing.
package timesync
