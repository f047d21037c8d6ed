package mount

import (
	"fmt"
	"os"
)

// MakeTarget creates the directory target for a mount, and its missing
// parents, below the root of roots that holds it through no symbolic link
// (MakeDirs), and refuses a target that is not a directory (a symbolic
// link there would be followed by mount(2) out of the checked path) or is
// already a mount point. Callers that must remove what it made on failure
// make the parents first with MakeDirs and keep the list.
func MakeTarget(target string, roots []string) error {
	if _, err := MakeDirs(target, roots, 0o755); err != nil {
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
