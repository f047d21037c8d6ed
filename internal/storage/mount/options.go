package mount

import "fmt"

// propagationList names the options CheckPropagation accepts, for errors.
const propagationList = "shared, rshared, slave, rslave, private, rprivate, unbindable, runbindable"

// isPropagation reports whether o is a propagation flag in the spelling of
// mount(8).
func isPropagation(o string) bool {
	switch o {
	case "shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable":
		return true
	}
	return false
}

// CheckPropagation returns an error naming the first option of opts that
// is not a propagation flag (shared, rshared, slave, rslave, private,
// rprivate, unbindable, runbindable). The host's MappedVirtualDisk Options
// may carry only those: the reference applies nothing else.
func CheckPropagation(opts []string) error {
	for _, o := range opts {
		if !isPropagation(o) {
			return fmt.Errorf("mount option %q is not supported: only propagation flags (%s) are", o, propagationList)
		}
	}
	return nil
}
