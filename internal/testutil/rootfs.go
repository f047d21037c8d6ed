package testutil

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// BusyboxRootfs builds a root filesystem in a fresh t.TempDir() and returns
// its path: bin/busybox copied from the machine's static busybox, a symlink
// in bin/ for every applet it lists, the directories proc sys dev etc tmp
// root, and etc/passwd, etc/group and etc/hostname with just root. It skips
// the test when no static busybox is installed.
func BusyboxRootfs(t testing.TB) string {
	t.Helper()
	return BusyboxRootfsAt(t, filepath.Join(t.TempDir(), "rootfs"))
}

// BusyboxRootfsAt builds the BusyboxRootfs root filesystem at rootfs (for
// a layer that must be inside the GCS's roots) and returns rootfs. The
// caller removes it.
func BusyboxRootfsAt(t testing.TB, rootfs string) string {
	t.Helper()
	src, err := findStaticBusybox()
	if err != nil {
		t.Skipf("skipping: no static busybox for a container rootfs (install busybox-static): %v", err)
	}
	applets, err := busyboxApplets(src)
	if err != nil {
		t.Fatalf("listing busybox applets: %v", err)
	}

	for _, d := range []string{"bin", "proc", "sys", "dev", "etc", "tmp", "root"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatalf("creating rootfs dir: %v", err)
		}
	}
	if err := os.Chmod(filepath.Join(rootfs, "tmp"), 0o1777); err != nil {
		t.Fatalf("making rootfs /tmp sticky: %v", err)
	}
	if err := copyFile(filepath.Join(rootfs, "bin", "busybox"), src, 0o755); err != nil {
		t.Fatalf("copying busybox: %v", err)
	}
	for _, a := range applets {
		// Linking "busybox" to itself would replace the binary.
		if a == "busybox" || strings.Contains(a, "/") {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", a)); err != nil {
			t.Fatalf("linking applet %s: %v", a, err)
		}
	}
	files := map[string]string{
		"etc/passwd":   "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":    "root:x:0:\n",
		"etc/hostname": "busybox\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(rootfs, name), []byte(content), 0o644); err != nil {
			t.Fatalf("writing rootfs %s: %v", name, err)
		}
	}
	return rootfs
}

// findStaticBusybox returns the first busybox that exists and is statically
// linked, i.e. has no PT_INTERP program header.
func findStaticBusybox() (string, error) {
	var errs []error
	// Where Debian's busybox-static and busybox packages put the binary.
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		static, err := isStaticELF(p)
		switch {
		case err != nil:
			errs = append(errs, err)
		case !static:
			errs = append(errs, fmt.Errorf("%s is dynamically linked", p))
		default:
			return p, nil
		}
	}
	return "", errors.Join(errs...)
}

func isStaticELF(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, fmt.Errorf("reading ELF %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

// busyboxApplets runs `busybox --list`.
func busyboxApplets(busybox string) ([]string, error) {
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, commandError(busybox+" --list", err)
	}
	applets := strings.Fields(string(out))
	if len(applets) == 0 {
		return nil, fmt.Errorf("%s --list printed no applets", busybox)
	}
	return applets, nil
}

// commandError explains the ECHILD a running reaper causes.
func commandError(what string, err error) error {
	if errors.Is(err, syscall.ECHILD) {
		return fmt.Errorf("%s: %w (a reaper.Reaper reaped it: call testutil helpers before starting one)", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func copyFile(dst, src string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
