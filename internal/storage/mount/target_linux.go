package mount

import (
	"fmt"
	"os"
)

// MakeTarget creates the directory target for a mount and refuses one
// that is not a directory (a symbolic link there would be followed by
// mount(2) out of the checked path) or is already a mount point.
func MakeTarget(target string) error {
	if err := CheckPath(target); err != nil {
		return err
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("create mount point: %w", err)
	}
	fi, err := os.Lstat(target)
	if err != nil {
		return fmt.Errorf("create mount point: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("mount point %s is not a directory (%s)", target, fi.Mode().Type())
	}
	if e, ok, err := Lookup(target); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("%s is already a mount point (of %s)", target, e.Source)
	}
	return nil
}
