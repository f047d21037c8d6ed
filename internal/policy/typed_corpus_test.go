package policy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// typedCall turns a corpus command's raw input into the typed request and
// calls the Enforcer method for it; ok is false for commands the typed API
// cannot express (fragments need their files; Windows-only shapes).
func typedCall(ctx context.Context, e Enforcer, name string, in rawInput) (d *Decision, err error, ok bool) {
	switch name {
	case RuleMountDevice:
		if in.str("mountPathRegex") != numbered(scsiMountFmt) {
			return nil, nil, false
		}
		d, err = e.MountDevice(ctx, MountDevice{Target: in.str("target"), DeviceHash: in.str("deviceHash")})
	case RuleUnmountDevice:
		d, err = e.UnmountDevice(ctx, UnmountDevice{Target: in.str("unmountTarget")})
	case RuleRWMountDevice:
		d, err = e.RWMountDevice(ctx, RWMountDevice{Target: in.str("target"), Encrypted: in.flag("encrypted"),
			EnsureFilesystem: in.flag("ensureFilesystem"), Filesystem: in.str("filesystem")})
	case RuleRWUnmountDevice:
		d, err = e.RWUnmountDevice(ctx, RWUnmountDevice{Target: in.str("unmountTarget")})
	case RuleMountBlockDevice:
		d, err = e.MountBlockDevice(ctx, MountBlockDevice{Target: in.str("target")})
	case RuleUnmountBlockDevice:
		d, err = e.UnmountBlockDevice(ctx, UnmountBlockDevice{Target: in.str("unmountTarget")})
	case RuleMountOverlay:
		d, err = e.MountOverlay(ctx, MountOverlay{ContainerID: in.str("containerID"), LayerPaths: in.strs("layerPaths"), Target: in.str("target")})
	case RuleUnmountOverlay:
		d, err = e.UnmountOverlay(ctx, UnmountOverlay{Target: in.str("unmountTarget")})
	case RuleScratchMount:
		d, err = e.ScratchMount(ctx, ScratchMount{Target: in.str("target"), Encrypted: in.flag("encrypted")})
	case RuleScratchUnmount:
		d, err = e.ScratchUnmount(ctx, ScratchUnmount{Target: in.str("unmountTarget")})
	case RuleCreateContainer:
		sandbox := strings.TrimSuffix(strings.TrimPrefix(in.str("sandboxDir"), ContainerRoot+"/"), "/sandboxMounts")
		d, err = e.CreateContainer(ctx, CreateContainer{
			SandboxID: sandbox, ContainerID: in.str("containerID"), Args: in.strs("argList"), Env: in.strs("envList"),
			WorkingDir: in.str("workingDir"), Mounts: in.mounts(), Devices: in.devices(), Privileged: in.flag("privileged"),
			NoNewPrivileges: in.flag("noNewPrivileges"), User: in.idName("user"), Groups: in.groups(), Umask: in.str("umask"),
			Capabilities: in.caps(), SeccompProfileSHA256: in.str("seccompProfileSHA256"), IsSandbox: in.flag("isSandboxContainer"),
		})
	case RuleExecInContainer:
		d, err = e.ExecInContainer(ctx, ExecInContainer{
			ContainerID: in.str("containerID"), Args: in.strs("argList"), Env: in.strs("envList"), WorkingDir: in.str("workingDir"),
			NoNewPrivileges: in.flag("noNewPrivileges"), User: in.idName("user"), Groups: in.groups(), Umask: in.str("umask"),
			Capabilities: in.caps(),
		})
	case RuleExecExternal:
		d, err = e.ExecExternal(ctx, ExecExternal{Args: in.strs("argList"), Env: in.strs("envList"), WorkingDir: in.str("workingDir")})
	case RuleShutdownContainer:
		d, err = e.ShutdownContainer(ctx, ShutdownContainer{ContainerID: in.str("containerID")})
	case RuleSignalContainerProcess:
		sig, _ := in["signal"].(json.Number).Int64()
		d, err = e.SignalContainerProcess(ctx, SignalContainerProcess{ContainerID: in.str("containerID"), Signal: int(sig),
			IsInitProcess: in.flag("isInitProcess"), StartupArgs: in.strs("argList")})
	case RulePlan9Mount:
		d, err = e.Plan9Mount(ctx, Plan9Mount{Target: in.str("target")})
	case RulePlan9Unmount:
		d, err = e.Plan9Unmount(ctx, Plan9Unmount{Target: in.str("unmountTarget")})
	case RuleGetProperties:
		d, err = e.GetProperties(ctx)
	case RuleDumpStacks:
		d, err = e.DumpStacks(ctx)
	case RuleRuntimeLogging:
		d, err = e.RuntimeLogging(ctx)
	case RuleHostNetwork:
		d, err = e.HostNetwork(ctx)
	default:
		return nil, nil, false
	}
	return d, err, true
}

type rawInput map[string]any

func (in rawInput) str(k string) string { s, _ := in[k].(string); return s }
func (in rawInput) flag(k string) bool  { b, _ := in[k].(bool); return b }

func (in rawInput) strs(k string) []string {
	list, _ := in[k].([]any)
	out := []string{}
	for _, v := range list {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

func (in rawInput) idName(k string) IDName {
	m, _ := in[k].(map[string]any)
	return IDName{ID: rawInput(m).str("id"), Name: rawInput(m).str("name")}
}

func (in rawInput) groups() []IDName {
	list, _ := in["groups"].([]any)
	var out []IDName
	for _, g := range list {
		m, _ := g.(map[string]any)
		out = append(out, IDName{ID: rawInput(m).str("id"), Name: rawInput(m).str("name")})
	}
	return out
}

func (in rawInput) mounts() []specs.Mount {
	list, _ := in["mounts"].([]any)
	var out []specs.Mount
	for _, v := range list {
		m := rawInput(v.(map[string]any))
		out = append(out, specs.Mount{Destination: m.str("destination"), Source: m.str("source"), Type: m.str("type"), Options: m.strs("options")})
	}
	return out
}

func (in rawInput) devices() []specs.LinuxDevice {
	list, _ := in["devices"].([]any)
	var out []specs.LinuxDevice
	for _, v := range list {
		d := rawInput(v.(map[string]any))
		num := func(k string) int64 { n, _ := d[k].(json.Number).Int64(); return n }
		mode, uid, gid := os.FileMode(num("fileMode")), uint32(num("uid")), uint32(num("gid"))
		out = append(out, specs.LinuxDevice{Path: d.str("path"), Type: d.str("type"), Major: num("major"), Minor: num("minor"),
			FileMode: &mode, UID: &uid, GID: &gid})
	}
	return out
}

func (in rawInput) caps() *specs.LinuxCapabilities {
	m, ok := in["capabilities"].(map[string]any)
	if !ok {
		return &specs.LinuxCapabilities{}
	}
	c := rawInput(m)
	return &specs.LinuxCapabilities{Bounding: c.strs("bounding"), Effective: c.strs("effective"),
		Inheritable: c.strs("inheritable"), Permitted: c.strs("permitted"), Ambient: c.strs("ambient")}
}

// TestTypedRequestsAgainstCorpus replays the corpus cases without
// fragments through the typed Enforcer methods (request structs, input
// documents, env and capability filtering) and wants the reference's
// decision for every command they can express, and a kept environment that
// is exactly the request's less what the decision's env_list left out.
func TestTypedRequestsAgainstCorpus(t *testing.T) {
	ctx := context.Background()
	entries, err := os.ReadDir("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		name := entry.Name()
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata/corpus", name)
			code, err := os.ReadFile(filepath.Join(dir, "policy.rego"))
			if err != nil {
				t.Fatal(err)
			}
			var cmds []struct {
				Name  string   `json:"name"`
				Input rawInput `json:"input"`
			}
			dec := json.NewDecoder(bytes.NewReader(mustReadFile(t, filepath.Join(dir, "commands.json"))))
			dec.UseNumber()
			if err := dec.Decode(&cmds); err != nil {
				t.Fatal(err)
			}
			want := expectedLines(t, filepath.Join(dir, "expected.jsonl"))
			p, err := NewRego(ctx, string(code), quietOptions())
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for i, c := range cmds {
				d, err, ok := typedCall(ctx, p, c.Name, c.Input)
				switch {
				case ok:
					checked++
				case c.Name == RuleLoadFragment:
					d, err = loadFragmentFile(ctx, p, dir, c.Input)
					checked++
				default:
					d, err = p.Decide(ctx, c.Name, c.Input) // keep the metadata in step
				}
				w := want[i]
				if (err == nil) != w.Allowed {
					t.Fatalf("%s #%d: error %v, want allowed %v", c.Name, i, err, w.Allowed)
				}
				if err != nil {
					var denial *DenialError
					if errors.As(err, &denial) && !w.Error {
						got := denial.Reasons()
						sort.Strings(got)
						if !slices.Equal(got, w.Errors) && !(len(got) == 0 && len(w.Errors) == 0) {
							t.Errorf("%s #%d: reasons %q, want %q", c.Name, i, got, w.Errors)
						}
					}
					continue
				}
				if kept, ok := w.Result["env_list"].([]any); ok {
					var wantEnv []string
					for _, env := range c.Input.strs("envList") {
						if slices.Contains(kept, any(env)) && !slices.Contains(wantEnv, env) {
							wantEnv = append(wantEnv, env)
						}
					}
					if !reflect.DeepEqual(d.Env, wantEnv) && !(len(d.Env) == 0 && len(wantEnv) == 0) {
						t.Errorf("%s #%d: env %q, want %q", c.Name, i, d.Env, wantEnv)
					}
				}
				d.Commit()
			}
			if checked == 0 {
				t.Fatal("no command went through the typed API")
			}
		})
	}
}

// loadFragmentFile is a corpus load_fragment through the typed request.
func loadFragmentFile(ctx context.Context, p *Rego, dir string, in rawInput) (*Decision, error) {
	code, err := os.ReadFile(filepath.Join(dir, in.str("local_path")))
	if err != nil {
		return nil, err
	}
	r := LoadFragment{Issuer: in.str("issuer"), Feed: in.str("feed"), Rego: string(code)}
	if svn, ok := in["header_svn"].(json.Number); ok {
		n, _ := svn.Int64()
		r.HeaderSVN = &n
	}
	receipts, _ := in["receipts"].([]any)
	for _, raw := range receipts {
		rc := rawInput(raw.(map[string]any))
		r.Receipts = append(r.Receipts, Receipt{Issuer: rc.str("issuer"), TTLSubjects: rc.strs("ttl_subjects")})
	}
	return p.LoadFragment(ctx, r)
}

type expectedLine struct {
	Allowed bool           `json:"allowed"`
	Error   bool           `json:"error"`
	Errors  []string       `json:"errors"`
	Result  map[string]any `json:"result"`
}

func expectedLines(t *testing.T, path string) []expectedLine {
	t.Helper()
	var out []expectedLine
	sc := bufio.NewScanner(bytes.NewReader(mustReadFile(t, path)))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var l expectedLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
