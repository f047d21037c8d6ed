package securitycontext

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The SEV guest devices: /dev/sev on 5.x kernels, /dev/sev-guest after.
const (
	devSev      = "/dev/sev"
	devSevGuest = "/dev/sev-guest"
)

// AddSEVDevice gives a confidential container the SEV guest device (so it
// can fetch its own attestation report): the first of /dev/sev and
// /dev/sev-guest found under devRoot ("" in the guest) becomes a device
// of the spec with a cgroup rule allowing it. The policy does not see it:
// it is added after enforcement, as the reference adds it.
func AddSEVDevice(spec *specs.Spec, devRoot string) error {
	var errs []error
	for _, dev := range []string{devSev, devSevGuest} {
		d, err := deviceAt(filepath.Join(devRoot, dev), dev)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		addDevice(spec, d)
		return nil
	}
	return fmt.Errorf("add SEV device: %w", errors.Join(errs...))
}

// deviceAt describes the character device at path as containerPath.
func deviceAt(path, containerPath string) (specs.LinuxDevice, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return specs.LinuxDevice{}, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return specs.LinuxDevice{}, fmt.Errorf("%s is not a character device", path)
	}
	mode := os.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	return specs.LinuxDevice{
		Path: containerPath, Type: "c",
		Major: int64(unix.Major(uint64(st.Rdev))), Minor: int64(unix.Minor(uint64(st.Rdev))),
		FileMode: &mode, UID: &uid, GID: &gid,
	}, nil
}

// addDevice adds d and its cgroup rule unless the spec has it already.
func addDevice(spec *specs.Spec, d specs.LinuxDevice) {
	if spec.Linux == nil {
		spec.Linux = &specs.Linux{}
	}
	for _, have := range spec.Linux.Devices {
		if have.Path == d.Path {
			return
		}
	}
	spec.Linux.Devices = append(spec.Linux.Devices, d)
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &specs.LinuxResources{}
	}
	major, minor := d.Major, d.Minor
	spec.Linux.Resources.Devices = append(spec.Linux.Resources.Devices, specs.LinuxDeviceCgroup{
		Allow: true, Type: d.Type, Major: &major, Minor: &minor, Access: "rwm",
	})
}
