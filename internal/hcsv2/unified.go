package hcsv2

import (
	"strings"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// unifiedLimit reports whether k, a cgroup2 core file ("cgroup.*"), is one
// a container's linux.resources.unified may set: a limit on the
// container's own subtree.
// The runtime writes every unified key as a file of the container's cgroup,
// so the others would let the host move any process of the utility VM into
// it (cgroup.procs, cgroup.threads), kill or freeze it (cgroup.kill,
// cgroup.freeze) or reshape the tree (cgroup.subtree_control, cgroup.type),
// none of which a policy point judges (signals to a container's processes
// do go through the policy).
func unifiedLimit(k string) bool {
	return k == "cgroup.max.depth" || k == "cgroup.max.descendants"
}

// checkUnified refuses unified resources that are not limits: a core
// cgroup file other than a unifiedLimit, or a key that is not a file name.
func checkUnified(res *oci.LinuxResources) error {
	if res == nil {
		return nil
	}
	for k := range res.Unified {
		if strings.ContainsAny(k, "/\x00") || k == "" || k == "." || k == ".." {
			return prot.Errorf(prot.HrInvalidArg, "resources: unified key %q is not a cgroup file name", k)
		}
		if strings.HasPrefix(k, "cgroup.") && !unifiedLimit(k) {
			return prot.Errorf(prot.HrInvalidArg, "resources: unified key %q is not a limit: refused", k)
		}
	}
	return nil
}
