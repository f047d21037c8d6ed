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
// strictly below one of roots, both as written and once the symbolic links
// of its parent directories are resolved (so a link cannot lead a mount out
// of the roots). target itself is not resolved: it may be a symbolic link
// this package's callers created (a BlockDev link); callers that mount on it
// must refuse a link there. An empty roots list allows any absolute, clean
// path. Every root must itself be absolute and clean.
func CheckTarget(target string, roots []string) error {
	if err := CheckPath(target); err != nil {
		return err
	}
	if len(roots) == 0 {
		return nil
	}
	parent, err := resolveExisting(filepath.Dir(target))
	resolved := filepath.Join(parent, filepath.Base(target))
	if err != nil {
		return fmt.Errorf("resolve %s: %w", target, err)
	}
	for _, r := range roots {
		if err := CheckPath(r); err != nil {
			return fmt.Errorf("allowed root: %w", err)
		}
		if !below(target, r) {
			continue
		}
		rr, err := resolveExisting(r)
		if err != nil {
			return fmt.Errorf("resolve allowed root %s: %w", r, err)
		}
		if below(resolved, rr) {
			return nil
		}
		return fmt.Errorf("%s resolves to %s, outside allowed root %s", target, resolved, r)
	}
	return fmt.Errorf("%s is not below any allowed root (%s)", target, strings.Join(roots, ", "))
}

// below reports whether p is strictly below root; both are clean.
func below(p, root string) bool {
	if root == "/" {
		return p != "/"
	}
	return strings.HasPrefix(p, root+"/")
}

// resolveExisting resolves the symbolic links of the longest existing prefix
// of the clean absolute path p and appends the rest unchanged.
func resolveExisting(p string) (string, error) {
	rest := ""
	for cur := p; ; cur = filepath.Dir(cur) {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) || cur == "/" {
			return "", err
		}
		// A dangling link is as good as missing here, but it must not be
		// silently skipped: the kernel would follow it.
		if fi, lerr := os.Lstat(cur); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("%s is a dangling symbolic link", cur)
		}
		rest = filepath.Join(filepath.Base(cur), rest)
	}
}
