package securitycontext

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func newSpec(annotations map[string]string) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Env: []string{"PATH=/bin"}}, Annotations: annotations}
}

func TestWriteAll(t *testing.T) {
	rootfs := t.TempDir()
	spec := newSpec(map[string]string{AnnotationHostAMDCert: "Y2VydA=="})
	c := Contents{
		EncodedPolicy: "cG9saWN5", UVMReferenceInfo: "cmVm", HashEnvelopeReferenceInfo: "ZW52",
		TCBReferenceInfo: []byte("tcb envelope"), PlatformReferenceInfo: []byte("platform envelope"),
	}
	dir, err := Write(rootfs, spec, c, "/tmp/fragments")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dir, "/"+dirPrefix) || strings.Count(dir, "/") != 1 {
		t.Fatalf("directory %q, want /%sN", dir, dirPrefix)
	}
	host := filepath.Join(rootfs, dir)
	wantMode(t, host, os.ModeDir|dirMode)
	want := map[string]string{
		PolicyFile:                    "cG9saWN5",
		ReferenceInfoFile:             "cmVm",
		HashEnvelopeReferenceInfoFile: "ZW52",
		TCBReferenceInfoFile:          base64.StdEncoding.EncodeToString([]byte("tcb envelope")),
		PlatformReferenceInfoFile:     base64.StdEncoding.EncodeToString([]byte("platform envelope")),
		HostAMDCertFile:               "Y2VydA==",
	}
	entries, err := os.ReadDir(host)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Fatalf("%d files, want %d", len(entries), len(want))
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(host, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != data {
			t.Fatalf("%s holds %q, want %q", name, got, data)
		}
		wantMode(t, filepath.Join(host, name), fileMode)
	}
	if !slices.Equal(spec.Process.Env, []string{"PATH=/bin", EnvVar + "=" + dir}) {
		t.Fatalf("env %v", spec.Process.Env)
	}
	wantMount := specs.Mount{Destination: dir + "/" + FragmentsMount, Type: "bind", Source: "/tmp/fragments", Options: []string{"bind", "ro"}}
	if len(spec.Mounts) != 1 || spec.Mounts[0].Destination != wantMount.Destination || spec.Mounts[0].Source != wantMount.Source ||
		spec.Mounts[0].Type != "bind" || !slices.Equal(spec.Mounts[0].Options, wantMount.Options) {
		t.Fatalf("mounts %+v, want %+v", spec.Mounts, wantMount)
	}
}

// TestWriteUmask checks the modes do not depend on the daemon's umask.
func TestWriteUmask(t *testing.T) {
	old := unix.Umask(0o077)
	defer unix.Umask(old)
	rootfs := t.TempDir()
	dir, err := Write(rootfs, newSpec(nil), Contents{EncodedPolicy: "cA=="}, "")
	if err != nil {
		t.Fatal(err)
	}
	wantMode(t, filepath.Join(rootfs, dir), os.ModeDir|dirMode)
	wantMode(t, filepath.Join(rootfs, dir, PolicyFile), fileMode)
}

func TestWriteSome(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		c           Contents
		fragments   string
		files       []string
	}{
		{"nothing to write", nil, Contents{}, "/tmp/fragments", nil},
		{"policy only, no fragments mount", nil, Contents{EncodedPolicy: "cA=="}, "", []string{PolicyFile}},
		{"older certificate annotation", map[string]string{AnnotationWCOWHostAMDCert: "Yw=="}, Contents{}, "", []string{HostAMDCertFile}},
		{"newer annotation wins", map[string]string{AnnotationWCOWHostAMDCert: "b2xk", AnnotationHostAMDCert: "bmV3"}, Contents{}, "", []string{HostAMDCertFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rootfs := t.TempDir()
			spec := newSpec(tt.annotations)
			if any := tt.c.Any(tt.annotations); any != (tt.files != nil) {
				t.Fatalf("Any = %v", any)
			}
			dir, err := Write(rootfs, spec, tt.c, tt.fragments)
			if err != nil {
				t.Fatal(err)
			}
			if tt.files == nil {
				entries, _ := os.ReadDir(rootfs)
				if dir != "" || len(entries) != 0 || len(spec.Process.Env) != 1 || len(spec.Mounts) != 0 {
					t.Fatalf("wrote %q (%d entries), env %v, mounts %v", dir, len(entries), spec.Process.Env, spec.Mounts)
				}
				return
			}
			entries, err := os.ReadDir(filepath.Join(rootfs, dir))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, tt.files) {
				t.Fatalf("files %v, want %v", names, tt.files)
			}
			if (len(spec.Mounts) == 1) != (tt.fragments != "") {
				t.Fatalf("mounts %v with fragments dir %q", spec.Mounts, tt.fragments)
			}
			if tt.annotations[AnnotationHostAMDCert] == "bmV3" {
				got, _ := os.ReadFile(filepath.Join(rootfs, dir, HostAMDCertFile))
				if string(got) != "bmV3" {
					t.Fatalf("certificate %q", got)
				}
			}
		})
	}
}

func TestWriteNoProcess(t *testing.T) {
	rootfs := t.TempDir()
	if _, err := Write(rootfs, &specs.Spec{}, Contents{EncodedPolicy: "cA=="}, ""); err == nil || !strings.Contains(err.Error(), "no process") {
		t.Fatalf("error %v", err)
	}
}

// TestMakeDirRefusesSymlink plants a symbolic link where the directory's
// first candidate name is, pointing out of the rootfs: makeDir must pass
// over it and leave the outside untouched.
func TestMakeDirRefusesSymlink(t *testing.T) {
	rootfs, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(rootfs, dirPrefix+"1")); err != nil {
		t.Fatal(err)
	}
	root, err := pathrs.OpenInRoot(rootfs, "/")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	names := []string{dirPrefix + "1", dirPrefix + "2"}
	name, dir, err := makeDir(root, func() string { n := names[0]; names = names[1:]; return n })
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	if name != dirPrefix+"2" {
		t.Fatalf("made %s, want the second name", name)
	}
	if fi, err := os.Lstat(filepath.Join(rootfs, name)); err != nil || !fi.IsDir() {
		t.Fatalf("%s: %v, %v", name, fi, err)
	}
	if entries, err := os.ReadDir(outside); err != nil || len(entries) != 0 {
		t.Fatalf("outside directory now holds %v (%v)", entries, err)
	}
	if fi, err := os.Lstat(filepath.Join(rootfs, dirPrefix+"1")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("planted link replaced: %v, %v", fi, err)
	}
}

// TestWriteFileRefusesSymlink checks a file name already taken by a
// symbolic link out of the rootfs is refused, the target untouched.
func TestWriteFileRefusesSymlink(t *testing.T) {
	dirPath, outside := t.TempDir(), filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(outside, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dirPath, PolicyFile)); err != nil {
		t.Fatal(err)
	}
	dir, err := os.Open(dirPath)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	if err := writeFile(dir, file{PolicyFile, "evil"}); err == nil {
		t.Fatal("wrote through a symbolic link")
	}
	if got, _ := os.ReadFile(outside); string(got) != "keep" {
		t.Fatalf("target now holds %q", got)
	}
}

func TestEnabled(t *testing.T) {
	tests := []struct {
		value string
		set   bool
		want  bool
	}{
		{"", false, true}, {"true", true, true}, {"false", true, false}, {"0", true, false}, {"junk", true, true},
	}
	for _, tt := range tests {
		a := map[string]string{}
		if tt.set {
			a[AnnotationEnabled] = tt.value
		}
		if got := Enabled(a); got != tt.want {
			t.Errorf("Enabled(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Fatalf("%s has mode %v, want %v", filepath.Base(path), fi.Mode(), want)
	}
}

// The host's own UVM_SECURITY_CONTEXT_DIR (a policy may let it set the
// environment) must not survive beside the GCS's: most programs read the
// first one, which would name a directory of the host's choosing.
func TestWriteReplacesHostsEnvVar(t *testing.T) {
	rootfs := t.TempDir()
	spec := newSpec(nil)
	spec.Process.Env = []string{EnvVar + "=/fake", "PATH=/bin", EnvVar + "=/fake2"}
	dir, err := Write(rootfs, spec, Contents{EncodedPolicy: "cG9saWN5"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"PATH=/bin", EnvVar + "=" + dir}; !slices.Equal(spec.Process.Env, want) {
		t.Errorf("env %v, want %v", spec.Process.Env, want)
	}
}
