package policy

import (
	"context"
	"os"
	"testing"
)

// FuzzNativeMatchesOPA builds create_container and mount_device requests
// for the twenty policy's last container from fuzzed fields and wants the
// native plan and OPA to agree on each (decision, results, operations,
// metadata), undoing each decision after.
func FuzzNativeMatchesOPA(f *testing.F) {
	code, err := os.ReadFile(twentyPolicy)
	if err != nil {
		f.Fatal(err)
	}
	np := newNativePair(f, string(code))
	ctx := context.Background()
	for _, p := range []*Rego{np.fast, np.slow} {
		for _, m := range []MountDevice{
			{Target: "/run/mounts/scsi/m0", DeviceHash: layerHash(39)},
			{Target: "/run/mounts/scsi/m1", DeviceHash: layerHash(79)},
		} {
			commit(f)(p.MountDevice(ctx, m))
		}
		commit(f)(p.MountOverlay(ctx, MountOverlay{ContainerID: "svc", LayerPaths: []string{"/run/mounts/scsi/m1", "/run/mounts/scsi/m0"}, Target: "/run/gcs/c/svc/rootfs"}))
	}
	ok := svcRequest(19, "svc")
	f.Add(ok.Env[1], ok.Args[0], ok.WorkingDir, ok.Mounts[0].Source, "root", "0022", "CAP_KILL", false, false, "/run/mounts/scsi/m2", layerHash(20), `/run/mounts/scsi/m[0-9]+`)
	f.Add("SVC_19_X=", "/bin/svc1", "/", "/run/gcs/c/pod0/sandboxMounts/tmp/atlas/emptydir/", "", "0022", "", true, true, "/run/mounts/scsi/m0", layerHash(20), `.*`)
	f.Add("SVC_19_\u00e9=y", "/bin/svc19", "", "sandbox:///tmp", "1000", "", "CAP_SYS_ADMIN", false, true, "", "", `(`)
	f.Fuzz(func(t *testing.T, env, arg, dir, source, user, umask, capName string, privileged, noNewPrivs bool, target, hash, pathRegex string) {
		r := svcRequest(19, "svc")
		r.Env[1], r.Args[0], r.WorkingDir, r.Mounts[0].Source = env, arg, dir, source
		r.User.Name, r.Umask, r.Privileged, r.NoNewPrivileges = user, umask, privileged, noNewPrivs
		if capName != "CAP_KILL" {
			r.Capabilities.Bounding = append(r.Capabilities.Bounding[:len(r.Capabilities.Bounding):len(r.Capabilities.Bounding)], capName)
		}
		for _, c := range []struct {
			rule string
			in   rawInput
		}{
			{RuleCreateContainer, rawInput(r.input())},
			{RuleMountDevice, rawInput(MountDevice{Target: target, DeviceHash: hash, MountPathRegex: pathRegex}.input())},
		} {
			fast, slow := np.call(t, c.rule, c.in)
			np.same(t, c.rule, fast, slow)
			np.finish(t, fast, slow, true)
			np.sameState(t, "after undo")
		}
	})
}
