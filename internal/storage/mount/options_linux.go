package mount

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// propagationFlags maps a propagation option to its mount(2) flags.
func propagationFlags(o string) uintptr {
	switch o {
	case "shared":
		return unix.MS_SHARED
	case "rshared":
		return unix.MS_SHARED | unix.MS_REC
	case "slave":
		return unix.MS_SLAVE
	case "rslave":
		return unix.MS_SLAVE | unix.MS_REC
	case "private":
		return unix.MS_PRIVATE
	case "rprivate":
		return unix.MS_PRIVATE | unix.MS_REC
	case "unbindable":
		return unix.MS_UNBINDABLE
	case "runbindable":
		return unix.MS_UNBINDABLE | unix.MS_REC
	}
	return 0
}

// SetPropagation applies the propagation options opts, in order, to the
// mount at target, each by its own mount(2) call as the kernel requires.
// It checks them first with CheckPropagation and changes nothing if one is
// not a propagation flag.
func SetPropagation(target string, opts []string) error {
	if err := CheckPropagation(opts); err != nil {
		return err
	}
	for _, o := range opts {
		if err := unix.Mount("", target, "", propagationFlags(o), ""); err != nil {
			return fmt.Errorf("set propagation %s on %s: %w", o, target, err)
		}
	}
	return nil
}
