package test

import (
	"bufio"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// securityContextScript prints what a container finds of its security
// context: the variable, the directory's files, the policy, the
// fragments.info listing.
const securityContextScript = `echo "dir=$UVM_SECURITY_CONTEXT_DIR"
[ -n "$UVM_SECURITY_CONTEXT_DIR" ] || exit 0
ls "$UVM_SECURITY_CONTEXT_DIR" | tr '\n' ' '; echo
echo "policy=$(cat "$UVM_SECURITY_CONTEXT_DIR/security-policy-base64")"
echo "reference=$(cat "$UVM_SECURITY_CONTEXT_DIR/reference-info-base64")"
ls "$UVM_SECURITY_CONTEXT_DIR/fragments.info" | tr '\n' ' '; echo
touch "$UVM_SECURITY_CONTEXT_DIR/fragments.info/x" 2>/dev/null && echo fragments-writable || echo fragments-read-only`

// runScript creates container id running sh -c script (with extra
// annotations), starts it and returns its stdout.
func (h *hostEnv) runScript(t *testing.T, id, script string, annotations map[string]string) (string, error) {
	spec := confSpec("sh", "-c", script)
	spec.Annotations = annotations
	// The scratch where a confidential VM wants it: <bundle>/scratch/<id>.
	return h.runAt(t, id, h.bundle(id), filepath.Join(h.bundle(id), "scratch", id), spec)
}

// runAt creates container id from spec with its bundle and scratch
// where given, starts it and returns its stdout once it exited 0.
func (h *hostEnv) runAt(t *testing.T, id, bundle, scratch string, spec *oci.Spec) (string, error) {
	if err := h.createConfidential(t, id, bundle, scratch, spec); err != nil {
		return "", err
	}
	s := h.listenStdio(false, true, true)
	pid, err := h.startInit(id, s)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut := h.readAll(s.out), h.readAll(s.err)
	if code := h.wait(id, pid); code != 0 {
		t.Fatalf("container %s exited %d: %s", id, code, <-errOut)
	}
	return <-out, nil
}

// TestSecurityContextInContainer creates containers after a policy was
// set (with UVM reference info) and a fragment sent, and reads their
// security context from inside: the variable, the policy and reference
// info as sent, fragments.info read-only with the fragment's record. The
// annotation turns it off; before a policy there is nothing to write.
func TestSecurityContextInContainer(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, runtime string) {
		h := newHostEnv(t, runtime)
		before, err := h.runScript(t, h.confidentialID("before"), securityContextScript, nil)
		if err != nil {
			t.Fatal(err)
		}
		if before != "dir=\n" {
			t.Fatalf("before any policy the container saw %q, want no security context", before)
		}
		// Nothing to write, nothing made (as the reference): not even the
		// fragments record, which the policy makes.
		if _, err := os.Stat(h.fragmentsDir()); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("fragments directory before any policy: %v", err)
		}
		s := fragmenttest.NewSigner(t, "Contoso Infra")
		policyText := confPolicy(s.Issuer)
		reference := base64.StdEncoding.EncodeToString([]byte("uvm reference info"))
		if err := h.setConfPolicy(policyText, reference); err != nil {
			t.Fatal(err)
		}
		raw := signedFragment(t, s, 2, confFragment("2", securityContextScript))
		if err := h.sendFragment(raw); err != nil {
			t.Fatal(err)
		}
		out, err := h.runScript(t, h.confidentialID("ctx"), securityContextScript, nil)
		if err != nil {
			t.Fatalf("create the fragment's container: %v", err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 6 || !strings.HasPrefix(lines[0], "dir=/security-context-") {
			t.Fatalf("container saw %q", out)
		}
		if files := strings.Fields(lines[1]); !slices.Equal(files, []string{"fragments.info", "reference-info-base64", "security-policy-base64"}) {
			t.Errorf("security context holds %q", files)
		}
		if want := "policy=" + base64.StdEncoding.EncodeToString([]byte(policyText)); lines[2] != want {
			t.Errorf("policy file: %q, want %q", lines[2], want)
		}
		if lines[3] != "reference="+reference {
			t.Errorf("reference info file: %q", lines[3])
		}
		if rec := strings.Fields(lines[4]); !slices.Contains(rec, "README") || len(rec) != 2 {
			t.Errorf("fragments.info holds %q, want the README and the fragment's record", rec)
		}
		if lines[5] != "fragments-read-only" {
			t.Errorf("fragments.info: %s", lines[5])
		}
		off, err := h.runScript(t, h.confidentialID("off"), securityContextScript,
			map[string]string{"io.microsoft.virtualmachine.lcow.securitypolicy.env": "false"})
		if err != nil {
			t.Fatal(err)
		}
		if off != "dir=\n" {
			t.Fatalf("with the annotation false the container saw %q", off)
		}
	})
}

// sevScript says whether the container has the SEV guest device.
const sevScript = `[ -c /dev/sev-guest ] && echo sev-guest || echo none`

// TestSEVDeviceInConfidentialWorkload: under a security policy a CRI
// workload container gets the SEV guest device, as in the reference; its
// sandbox does not, nor does a workload before any policy. This machine
// is no SEV guest: the daemon's -dev-root is a directory holding a
// character device named sev-guest (the null device's numbers), which the
// container must then have as /dev/sev-guest.
func TestSEVDeviceInConfidentialWorkload(t *testing.T) {
	devRoot := filepath.Join(t.TempDir(), "dev")
	if err := os.MkdirAll(devRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(filepath.Join(devRoot, "sev-guest"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	// Without a policy (a daemon of its own: a pod left running when a
	// policy arrives could not be shut down unless the policy allows it).
	if before := newHostEnv(t, testutil.Runtimes(t)[0], "-dev-root", devRoot).runPodSEV(t); before != [2]string{"none", "none"} {
		t.Fatalf("before any policy: sandbox, workload saw %q", before)
	}
	h := newHostEnv(t, testutil.Runtimes(t)[0], "-dev-root", devRoot)
	s := fragmenttest.NewSigner(t, "Contoso Infra")
	if err := h.setConfPolicy(confPolicy(s.Issuer), ""); err != nil {
		t.Fatal(err)
	}
	raw := signedFragment(t, s, 2, confFragment("2", sevScript+"; exec sleep 3600", sevScript))
	if err := h.sendFragment(raw); err != nil {
		t.Fatal(err)
	}
	if after := h.runPodSEV(t); after != [2]string{"none", "sev-guest"} {
		t.Fatalf("under a policy: sandbox, workload saw %q", after)
	}
}

// runPodSEV runs a pod whose sandbox and workload each say whether they
// have the SEV guest device; the sandbox keeps running.
func (h *hostEnv) runPodSEV(t *testing.T) [2]string {
	l := podLayouts()[0]
	sb, id := h.confidentialID("sandbox"), h.confidentialID("workload")
	bundle, scratch := l.paths(h, sb, sb)
	if err := h.createConfidential(t, sb, bundle, scratch, podSpec(confSpec("sh", "-c", sevScript+"; exec sleep 3600"), podSandboxSpec(""))); err != nil {
		t.Fatalf("create the sandbox: %v", err)
	}
	st := h.listenStdio(false, true, false)
	if _, err := h.startInit(sb, st); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(h.conn(st.out)).ReadString('\n')
	if err != nil {
		t.Fatalf("sandbox output: %v", err)
	}
	bundle, scratch = l.paths(h, sb, id)
	out, err := h.runAt(t, id, bundle, scratch, podSpec(confSpec("sh", "-c", sevScript), podWorkloadSpec(sb)))
	if err != nil {
		t.Fatalf("create the workload: %v", err)
	}
	return [2]string{strings.TrimSpace(line), strings.TrimSpace(out)}
}

// podSpec is spec with the pod annotations and hostname of kind (a
// podSandboxSpec or podWorkloadSpec).
func podSpec(spec, kind *oci.Spec) *oci.Spec {
	spec.Annotations, spec.Hostname = kind.Annotations, kind.Hostname
	return spec
}
