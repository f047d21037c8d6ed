// Package securitycontext gives a confidential container what it needs to
// prove where it runs: a directory in its root filesystem holding the
// security policy, the UVM's reference info and the host's AMD
// certificate (each base64), named by UVM_SECURITY_CONTEXT_DIR, with the
// guest's fragment record bound read-only inside it, and the SEV guest
// device. Its layout is hcsshim's guest's, which containers already read.
package securitycontext

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// EnvVar names the directory, as a path inside the container.
const EnvVar = "UVM_SECURITY_CONTEXT_DIR"

// The files of the directory.
const (
	PolicyFile                    = "security-policy-base64"
	HostAMDCertFile               = "host-amd-cert-base64"
	ReferenceInfoFile             = "reference-info-base64"
	HashEnvelopeReferenceInfoFile = "transparent-reference-info-base64"
	TCBReferenceInfoFile          = "tcb-reference-info-base64"
	PlatformReferenceInfoFile     = "platform-reference-info-base64"
	// FragmentsMount is where the fragment record is bound.
	FragmentsMount = "fragments.info"
)

// The annotations a container spec may carry.
const (
	// AnnotationEnabled turns the directory off with "false" (on by default).
	AnnotationEnabled = "io.microsoft.virtualmachine.lcow.securitypolicy.env"
	// AnnotationHostAMDCert carries the host's AMD certificate (base64).
	AnnotationHostAMDCert = "io.microsoft.virtualmachine.lcow.amd-certificate"
	// AnnotationWCOWHostAMDCert is the older name the reference still reads.
	AnnotationWCOWHostAMDCert = "io.microsoft.virtualmachine.wcow.amd-certificate"
)

// dirPrefix starts the directory's name; a random number ends it.
const dirPrefix = "security-context-"

// Modes: everyone in the container may read the directory and its files.
const (
	dirMode  = 0o755
	fileMode = 0o644
)

// Contents is what the guest knows of its security context.
type Contents struct {
	// EncodedPolicy is the policy as the host sent it (base64).
	EncodedPolicy string
	// UVMReferenceInfo and HashEnvelopeReferenceInfo are the signed UVM
	// measurements the host sent with the policy (base64).
	UVMReferenceInfo          string
	HashEnvelopeReferenceInfo string
	// TCBReferenceInfo and PlatformReferenceInfo are the last injected
	// envelopes of those media types (raw; written base64).
	TCBReferenceInfo      []byte
	PlatformReferenceInfo []byte
}

// Enabled reports whether a container's annotations leave the security
// context on: anything but a boolean false does.
func Enabled(annotations map[string]string) bool {
	on, err := strconv.ParseBool(annotations[AnnotationEnabled])
	return err != nil || on
}

type file struct {
	name string
	data string
}

// files lists what is to be written, in the reference's order; empty
// items are left out.
func (c Contents) files(annotations map[string]string) []file {
	cert := annotations[AnnotationHostAMDCert]
	if cert == "" {
		cert = annotations[AnnotationWCOWHostAMDCert]
	}
	all := []file{
		{PolicyFile, c.EncodedPolicy},
		{ReferenceInfoFile, c.UVMReferenceInfo},
		{HashEnvelopeReferenceInfoFile, c.HashEnvelopeReferenceInfo},
		{TCBReferenceInfoFile, encode(c.TCBReferenceInfo)},
		{PlatformReferenceInfoFile, encode(c.PlatformReferenceInfo)},
		{HostAMDCertFile, cert},
	}
	var out []file
	for _, f := range all {
		if f.data != "" {
			out = append(out, f)
		}
	}
	return out
}

// Any reports whether Write would write anything for a container with
// these annotations.
func (c Contents) Any(annotations map[string]string) bool {
	return len(c.files(annotations)) > 0
}

func encode(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Write creates a fresh security-context-N directory at the top of rootfs
// (the container's root filesystem, before the container starts) with
// the files c and the spec's annotations provide, adds EnvVar to the
// process and, when fragmentsDir is set, binds it read-only as
// FragmentsMount inside the directory. Nothing to write writes nothing
// and returns "". The directory and its files are created below a handle
// on rootfs and never through a symbolic link. It returns the
// directory's path inside the container.
func Write(rootfs string, spec *specs.Spec, c Contents, fragmentsDir string) (string, error) {
	files := c.files(spec.Annotations)
	if len(files) == 0 {
		return "", nil
	}
	if spec.Process == nil {
		return "", errors.New("write security context: the spec has no process")
	}
	root, err := pathrs.OpenInRoot(rootfs, "/")
	if err != nil {
		return "", fmt.Errorf("open container rootfs for the security context: %w", err)
	}
	defer root.Close()
	name, dir, err := makeDir(root, randomName)
	if err != nil {
		return "", err
	}
	defer dir.Close()
	for _, f := range files {
		if err := writeFile(dir, f); err != nil {
			return "", fmt.Errorf("write security context file %s: %w", f.name, err)
		}
	}
	inContainer := "/" + name
	// Any value the host sent goes: most programs read the first one.
	spec.Process.Env = slices.DeleteFunc(spec.Process.Env, func(e string) bool { return strings.HasPrefix(e, EnvVar+"=") })
	spec.Process.Env = append(spec.Process.Env, EnvVar+"="+inContainer)
	if fragmentsDir != "" {
		spec.Mounts = append(spec.Mounts, specs.Mount{
			Destination: path.Join(inContainer, FragmentsMount),
			Type:        "bind",
			Source:      fragmentsDir,
			Options:     []string{"bind", "ro"},
		})
	}
	return inContainer, nil
}

func randomName() string { return dirPrefix + strconv.FormatUint(uint64(rand.Uint32()), 10) }

// makeDir creates a directory of a new name under root (mkdirat refuses
// any name that exists, symbolic links included) and opens it.
func makeDir(root *os.File, names func() string) (string, *os.File, error) {
	var lastErr error
	for range 100 {
		name := names()
		err := unix.Mkdirat(int(root.Fd()), name, 0o700)
		if errors.Is(err, unix.EEXIST) {
			lastErr = err
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("create security context directory: %w", err)
		}
		fd, err := unix.Openat(int(root.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", nil, fmt.Errorf("open security context directory: %w", err)
		}
		dir := os.NewFile(uintptr(fd), name)
		if err := unix.Fchmod(fd, dirMode); err != nil {
			dir.Close()
			return "", nil, fmt.Errorf("chmod security context directory: %w", err)
		}
		return name, dir, nil
	}
	return "", nil, fmt.Errorf("create security context directory: no free name: %w", lastErr)
}

// writeFile creates f in dir; it must not exist.
func writeFile(dir *os.File, f file) error {
	fd, err := unix.Openat(int(dir.Fd()), f.name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, fileMode)
	if err != nil {
		return err
	}
	out := os.NewFile(uintptr(fd), f.name)
	if err := unix.Fchmod(fd, fileMode); err != nil {
		out.Close()
		return err
	}
	if _, err := out.WriteString(f.data); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
