package mount

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CheckPath returns an error unless p is an absolute, clean path.
func CheckPath(p string) error {
	if p == "" || !filepath.IsAbs(p) {
		return fmt.Errorf("%q is not an absolute path", p)
	}
	if filepath.Clean(p) != p {
		return fmt.Errorf("%q is not a clean path", p)
	}
	return nil
}

// CheckTarget returns an error unless target is an absolute, clean path
// strictly below one of roots and no directory between that root and
// target is a symbolic link (one would lead a mount, an unmount or a
// removal out of the roots; links are refused, never resolved). target
// itself may be a link (a BlockDev link this package's callers created):
// callers that mount on it must refuse one there (MakeTarget does) and
// callers that unmount it must not follow it (Unmount does not). An empty
// roots list allows any absolute, clean path. Every root must itself be
// absolute and clean.
func CheckTarget(target string, roots []string) error {
	if err := CheckPath(target); err != nil {
		return err
	}
	if len(roots) == 0 {
		return nil
	}
	root, err := RootOf(target, roots)
	if err != nil {
		return err
	}
	return NoLinksBelow(root, filepath.Dir(target))
}

// RootOf returns the root of roots that p is strictly below, or an error
// naming them all.
func RootOf(p string, roots []string) (string, error) {
	for _, r := range roots {
		if err := CheckPath(r); err != nil {
			return "", fmt.Errorf("allowed root: %w", err)
		}
		if Below(p, r) {
			return r, nil
		}
	}
	return "", fmt.Errorf("%s is not below any allowed root (%s)", p, strings.Join(roots, ", "))
}

// NoLinksBelow returns an error if any existing component of the clean
// absolute path p after the directory root, p included, is a symbolic link
// or not a directory. Missing components are fine: they will be created as
// directories.
func NoLinksBelow(root, p string) error {
	if p == root {
		return nil
	}
	if !Below(p, root) {
		return fmt.Errorf("%s is not below %s", p, root)
	}
	cur := root
	rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
	for _, name := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, name)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symbolic link: refused in %s", cur, p)
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory (%s): refused in %s", cur, fi.Mode().Type(), p)
		}
	}
	return nil
}

// Below reports whether p is strictly below root; both are clean.
func Below(p, root string) bool {
	if root == "/" {
		return p != "/" && strings.HasPrefix(p, "/")
	}
	return strings.HasPrefix(p, root+"/")
}
