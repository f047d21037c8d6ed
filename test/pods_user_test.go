package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/testutil"
)

// podLayer builds a busybox layer named name inside the daemon's roots,
// writes files (relative path: content) and plants links (relative path:
// target) in it, and makes it the layer later containers are built from.
func podLayer(t *testing.T, h *hostEnv, name string, files, links map[string]string) {
	t.Helper()
	dir := testutil.BusyboxRootfsAt(t, filepath.Join(h.root, "layers", name))
	for p, content := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for p, target := range links {
		os.Remove(filepath.Join(dir, p))
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	h.layer = dir
}

// TestPodInitUserResolvedInRootfs: the init of a sandbox and of a
// workload runs as the User.Username the host sent, resolved in the
// container's own /etc/passwd and /etc/group, with the additional gids
// the host sent.
func TestPodInitUserResolvedInRootfs(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		podLayer(t, h, "users", map[string]string{
			"etc/passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345::/:/bin/sh\n",
			"etc/group":  "root:x:0:\napp:x:2345:\nextra:x:3456:\n",
		}, nil)
		l := podLayouts()[0]
		sb := h.id("sb")
		spec := podSandboxSpec("", "sleep", "1000")
		spec.Process.User.Username = "app"
		podStart(t, h, l, sb, sb, spec)
		w := h.id("w")
		wspec := podWorkloadSpec(sb, "sleep", "1000")
		wspec.Process.User.Username = "app:extra"
		wspec.Process.User.AdditionalGids = []uint32{777}
		podStart(t, h, l, sb, w, wspec)
		for id, want := range map[string]string{sb: "1234 2345", w: "1234 3456 777"} {
			got := podMustOutput(t, h, id, "sh", "-c", "awk '/^Uid:/{u=$2} /^Gid:/{g=$2} /^Groups:/{s=$2\" \"$3} END{print u, g, s}' /proc/1/status")
			if strings.Join(strings.Fields(got), " ") != want {
				t.Errorf("%s init runs as %q, want %q", id, got, want)
			}
		}
	})
}

// TestPodHostileImage: an image whose /etc/passwd, /etc/group, /etc/hosts
// and /etc/hostname are absolute and ".." links to files of the utility
// VM cannot make the GCS read or write those files: a user only the VM
// file lists is not found for a sandbox init, a workload init or an
// exec, the VM files keep their content, and the containers see the pod's
// own hosts and hostname.
func TestPodHostileImage(t *testing.T) {
	vm := t.TempDir()
	vmFiles := map[string]string{
		"passwd":   "vmonly:x:4242:4242::/:/bin/sh\n",
		"group":    "vmgrp:x:4343:\n",
		"hosts":    "untouched hosts\n",
		"hostname": "untouched hostname\n",
	}
	for name, content := range vmFiles {
		if err := os.WriteFile(filepath.Join(vm, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	up := "../../../../../../../../../../.."
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		podLayer(t, h, "hostile", nil, map[string]string{
			"etc/passwd":   filepath.Join(vm, "passwd"),
			"etc/group":    up + filepath.Join(vm, "group"),
			"etc/hosts":    filepath.Join(vm, "hosts"),
			"etc/hostname": up + filepath.Join(vm, "hostname"),
		})
		l := podLayouts()[0]
		sb := h.id("sb")
		for _, user := range []string{"vmonly", "0:vmgrp"} {
			spec := podSandboxSpec("podhost", "sleep", "1000")
			spec.Process.User.Username = user
			err := podCreate(t, h, l, sb, sb, spec)
			if err == nil || !strings.Contains(err.Error(), "no such") {
				t.Fatalf("sandbox as %s: %v, want a user or group not found", user, err)
			}
		}
		spec := podSandboxSpec("podhost", "sleep", "1000")
		spec.Process.User.Username = "0"
		podStart(t, h, l, sb, sb, spec)
		w := h.id("w")
		wspec := podWorkloadSpec(sb, "sleep", "1000")
		wspec.Process.User.Username = "vmonly"
		if err := podCreate(t, h, l, sb, w, wspec); err == nil || !strings.Contains(err.Error(), "no such user") {
			t.Fatalf("workload as vmonly: %v, want no such user", err)
		}
		wspec = podWorkloadSpec(sb, "sleep", "1000")
		podStart(t, h, l, sb, w, wspec)
		p := process("true")
		p.User.Username = "vmonly"
		if _, err := h.exec(w, p, h.listenStdio(false, false, false)); err == nil || !strings.Contains(err.Error(), "no such user") {
			t.Errorf("exec as vmonly: %v, want no such user", err)
		}
		for _, id := range []string{sb, w} {
			if got := podMustOutput(t, h, id, "cat", "/etc/hostname"); got != "podhost" {
				t.Errorf("%s /etc/hostname %q", id, got)
			}
			if got := podMustOutput(t, h, id, "cat", "/etc/hosts"); !strings.Contains(got, "podhost") {
				t.Errorf("%s /etc/hosts %q", id, got)
			}
		}
		for name, content := range vmFiles {
			if b, err := os.ReadFile(filepath.Join(vm, name)); err != nil || string(b) != content {
				t.Errorf("VM file %s now %q (%v)", name, b, err)
			}
		}
	})
}
