package hcsv2

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func podTestSpec(annotations map[string]string) *oci.Spec {
	return &oci.Spec{
		Process:     &oci.Process{Args: []string{"true"}},
		Root:        &oci.Root{Path: "/rootfs"},
		Linux:       &oci.Linux{},
		Annotations: annotations,
		Mounts:      []oci.Mount{{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"size=65536k"}}},
	}
}

func TestKindOf(t *testing.T) {
	for _, tt := range []struct {
		name, id    string
		annotations map[string]string
		kind        containerKind
		sandbox     string
		bad         bool
	}{
		{name: "standalone", id: "c1", kind: kindStandalone},
		{name: "sandbox", id: "sb", annotations: map[string]string{annotationContainerType: "sandbox"}, kind: kindSandbox, sandbox: "sb"},
		{name: "workload", id: "w", annotations: map[string]string{annotationContainerType: "container", annotationSandboxID: "sb"}, kind: kindWorkload, sandbox: "sb"},
		{name: "workload without sandbox", id: "w", annotations: map[string]string{annotationContainerType: "container"}, bad: true},
		{name: "workload with a path for sandbox", id: "w", annotations: map[string]string{annotationContainerType: "container", annotationSandboxID: "../x"}, bad: true},
		{name: "virtual pod's first container is its sandbox", id: "vp", annotations: map[string]string{annotationContainerType: "container", annotationVirtualPodID: "vp"}, kind: kindSandbox, sandbox: "vp"},
		{name: "virtual pod workload", id: "w", annotations: map[string]string{annotationContainerType: "container", annotationSandboxID: "other", annotationVirtualPodID: "vp"}, kind: kindWorkload, sandbox: "vp"},
		{name: "bad virtual pod id", id: "w", annotations: map[string]string{annotationVirtualPodID: "a/b"}, bad: true},
		{name: "unknown type", id: "w", annotations: map[string]string{annotationContainerType: "pause"}, bad: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kind, sb, err := kindOf(tt.id, podTestSpec(tt.annotations))
			if (err != nil) != tt.bad {
				t.Fatalf("kindOf = %v, %q, %v; want error %v", kind, sb, err, tt.bad)
			}
			if !tt.bad && (kind != tt.kind || sb != tt.sandbox) {
				t.Errorf("kindOf = %v, %q; want %v, %q", kind, sb, tt.kind, tt.sandbox)
			}
		})
	}
}

func TestApplyAnnotations(t *testing.T) {
	for _, tt := range []struct {
		name        string
		annotations map[string]string
		devices     []oci.LinuxDevice
		check       func(t *testing.T, s *oci.Spec)
		bad         bool
	}{
		{name: "shm size", annotations: map[string]string{annotationShmSizeKB: "128"}, check: func(t *testing.T, s *oci.Spec) {
			if len(s.Mounts) != 1 || !slices.Contains(s.Mounts[0].Options, "size=128k") {
				t.Errorf("mounts %+v", s.Mounts)
			}
		}},
		{name: "shm size zero", annotations: map[string]string{annotationShmSizeKB: "0"}, bad: true},
		{name: "shm size not a number", annotations: map[string]string{annotationShmSizeKB: "1g"}, bad: true},
		{name: "rlimit core", annotations: map[string]string{annotationRlimitCore: "10;20"}, check: func(t *testing.T, s *oci.Spec) {
			want := oci.POSIXRlimit{Type: "RLIMIT_CORE", Soft: 10, Hard: 20}
			if len(s.Process.Rlimits) != 1 || s.Process.Rlimits[0] != want {
				t.Errorf("rlimits %+v", s.Process.Rlimits)
			}
		}},
		{name: "rlimit core malformed", annotations: map[string]string{annotationRlimitCore: "10"}, bad: true},
		{name: "privileged", annotations: map[string]string{annotationPrivileged: "true"}, check: func(t *testing.T, s *oci.Spec) {
			if !slices.ContainsFunc(s.Linux.Devices, func(d oci.LinuxDevice) bool { return d.Path == "/dev/null" && d.Type == "c" }) {
				t.Errorf("privileged container lacks /dev/null: %d devices", len(s.Linux.Devices))
			}
			if slices.ContainsFunc(s.Linux.Devices, func(d oci.LinuxDevice) bool { return strings.HasPrefix(d.Path, "/dev/pts/") }) {
				t.Error("privileged container got /dev/pts nodes")
			}
			want := []oci.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
			if !slices.EqualFunc(s.Linux.Resources.Devices, want, func(a, b oci.LinuxDeviceCgroup) bool {
				return a.Allow == b.Allow && a.Access == b.Access && a.Type == b.Type
			}) {
				t.Errorf("device cgroup %+v", s.Linux.Resources.Devices)
			}
		}},
		{name: "named device completed from /dev", devices: []oci.LinuxDevice{{Path: "/dev/null"}}, check: func(t *testing.T, s *oci.Spec) {
			if len(s.Linux.Devices) != 1 || s.Linux.Devices[0].Type != "c" || s.Linux.Devices[0].Major != 1 || s.Linux.Devices[0].Minor != 3 {
				t.Errorf("devices %+v", s.Linux.Devices)
			}
			if len(s.Linux.Resources.Devices) != 1 || *s.Linux.Resources.Devices[0].Major != 1 {
				t.Errorf("device cgroup %+v", s.Linux.Resources.Devices)
			}
		}},
		{name: "named device missing", devices: []oci.LinuxDevice{{Path: "/dev/no-such-device"}}, bad: true},
		{name: "named device outside /dev", devices: []oci.LinuxDevice{{Path: "/etc/passwd"}}, bad: true},
		{name: "named device through ..", devices: []oci.LinuxDevice{{Path: "/dev/../etc/passwd"}}, bad: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := podTestSpec(tt.annotations)
			s.Linux.Devices = tt.devices
			err := applyAnnotations(s, "/dev")
			if (err != nil) != tt.bad {
				t.Fatalf("applyAnnotations = %v, want error %v", err, tt.bad)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

// Only a workload's annotations change its /dev/shm, and only a workload's
// or a sandbox's its core rlimit, as in the reference.
func TestAnnotateSpecByKind(t *testing.T) {
	for _, tt := range []struct {
		name          string
		kind          containerKind
		shm, rlimited bool
	}{
		{name: "standalone", kind: kindStandalone},
		{name: "sandbox", kind: kindSandbox, rlimited: true},
		{name: "workload", kind: kindWorkload, shm: true, rlimited: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := podTestSpec(map[string]string{annotationShmSizeKB: "128", annotationRlimitCore: "10;20"})
			if err := annotateSpec(tt.kind, s); err != nil {
				t.Fatal(err)
			}
			resized := slices.ContainsFunc(s.Mounts, func(m oci.Mount) bool { return slices.Contains(m.Options, "size=128k") })
			if resized != tt.shm {
				t.Errorf("/dev/shm resized %v, want %v: %+v", resized, tt.shm, s.Mounts)
			}
			if rlimited := len(s.Process.Rlimits) > 0; rlimited != tt.rlimited {
				t.Errorf("core rlimit set %v, want %v", rlimited, tt.rlimited)
			}
		})
	}
}

func TestCheckHostname(t *testing.T) {
	for h, ok := range map[string]bool{"": true, "pod-1.example_x": true, "a b": false, "x\n127.0.0.1 evil": false, strings.Repeat("a", 256): false} {
		if err := checkHostname(h); (err == nil) != ok {
			t.Errorf("checkHostname(%q) = %v, want ok %v", h, err, ok)
		}
	}
}

func TestRewriteMounts(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{sandboxMountsDir, sandboxTmpfsDir, hugePagesDir} {
		os.Mkdir(filepath.Join(root, d), 0o755)
	}
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(root, sandboxMountsDir, "planted"))
	devs := t.TempDir()
	os.Symlink("/dev/null", filepath.Join(devs, "chardev"))
	os.Symlink("/etc/passwd", filepath.Join(devs, "notdev"))
	loop := ""
	if fi, err := os.Lstat("/dev/loop0"); err == nil && fi.Mode()&os.ModeDevice != 0 {
		loop = filepath.Join(devs, "loop")
		os.Symlink("/dev/loop0", loop)
	}
	for _, tt := range []struct {
		name       string
		m          oci.Mount
		wantSource string
		wantDest   string
		bad        bool
	}{
		{name: "sandbox", m: oci.Mount{Destination: "/d", Source: "sandbox://a/b"}, wantSource: filepath.Join(root, sandboxMountsDir, "a/b")},
		{name: "sandbox-tmp", m: oci.Mount{Destination: "/d", Source: "sandbox-tmp://t"}, wantSource: filepath.Join(root, sandboxTmpfsDir, "t")},
		{name: "sandbox leaving its directory", m: oci.Mount{Destination: "/d", Source: "sandbox://../../etc"}, bad: true},
		{name: "sandbox through a planted link", m: oci.Mount{Destination: "/d", Source: "sandbox://planted/x"}, bad: true},
		{name: "sandbox onto a planted link", m: oci.Mount{Destination: "/d", Source: "sandbox://planted"}, bad: true},
		{name: "hugepages bad size", m: oci.Mount{Destination: "/h", Source: "hugepages://big/x"}, bad: true},
		{name: "hugepages leaving its directory", m: oci.Mount{Destination: "/h", Source: "hugepages://2M/../../x"}, bad: true},
		{name: "uvm", m: oci.Mount{Destination: "/u", Source: "uvm://" + outside}, wantSource: outside},
		{name: "uvm missing", m: oci.Mount{Destination: "/u", Source: "uvm://" + outside + "/nope"}, bad: true},
		{name: "uvm unclean", m: oci.Mount{Destination: "/u", Source: "uvm://" + outside + "/../x"}, bad: true},
		{name: "blockdev to a char device", m: oci.Mount{Destination: "blockdev:///b", Source: filepath.Join(devs, "chardev")}, bad: true},
		{name: "blockdev to a file", m: oci.Mount{Destination: "blockdev:///b", Source: filepath.Join(devs, "notdev")}, bad: true},
		{name: "blockdev not a link", m: oci.Mount{Destination: "blockdev:///b", Source: devs}, bad: true},
		{name: "plain mount untouched", m: oci.Mount{Destination: "/p", Source: "/somewhere"}, wantSource: "/somewhere"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := podTestSpec(nil)
			s.Mounts = []oci.Mount{tt.m}
			sources, err := rewriteMounts(s, root, "/dev", nil)
			if err == nil {
				err = makeMountSources(sources)
			}
			if (err != nil) != tt.bad {
				t.Fatalf("rewriteMounts = %v, want error %v", err, tt.bad)
			}
			if !tt.bad && s.Mounts[0].Source != tt.wantSource {
				t.Errorf("source %q, want %q", s.Mounts[0].Source, tt.wantSource)
			}
		})
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("created through the planted link: %v", entries)
	}
	t.Run("blockdev", func(t *testing.T) {
		if loop == "" {
			t.Skip("no /dev/loop0")
		}
		s := podTestSpec(nil)
		s.Mounts = []oci.Mount{{Destination: "blockdev:///b", Source: loop, Options: []string{"ro"}}}
		if _, err := rewriteMounts(s, root, "/dev", nil); err != nil {
			t.Fatal(err)
		}
		if m := s.Mounts[0]; m.Source != "/dev/loop0" || m.Destination != "/b" {
			t.Errorf("mount %+v", m)
		}
		var st unix.Stat_t
		unix.Stat("/dev/loop0", &st)
		rules := s.Linux.Resources.Devices
		if len(rules) != 1 || rules[0].Type != "b" || *rules[0].Major != int64(unix.Major(st.Rdev)) || rules[0].Access != "r" {
			t.Errorf("device cgroup %+v", rules)
		}
		if _, err := rewriteMounts(podTestSpec(nil), root, filepath.Join(root, "elsewhere"), nil); err != nil {
			t.Fatal(err)
		}
		s.Mounts = []oci.Mount{{Destination: "blockdev:///b", Source: loop}}
		if _, err := rewriteMounts(s, root, t.TempDir(), nil); err == nil {
			t.Error("a link to a device outside the device root was accepted")
		}
	})
}
