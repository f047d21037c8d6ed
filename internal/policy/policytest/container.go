// Package policytest writes the Rego of test policies and fragments: the
// container entries the reference's generator writes, in one place, for
// the generated policies of internal/testutil, the fragments of
// fragmenttest and the policy package's own tests.
package policytest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Container is one entry of a policy's or fragment's containers list.
// Every container it writes runs as any user with umask 0022 in /, with
// no seccomp profile, unprivileged and with new privileges allowed; the
// JSON fields are written as given.
type Container struct {
	// Command is the container's command line.
	Command []string
	// EnvRules is the JSON list of environment rules ("" for none).
	EnvRules string
	// Layers are the layers' dm-verity root digests, bottom first.
	Layers []string
	// Capabilities is the JSON capabilities object, or "null" (also for
	// "") for the defaults.
	Capabilities string
	// Mounts is the JSON list of mounts ("" for none).
	Mounts string
	// ExecProcesses is the JSON list of exec processes ("" for none).
	ExecProcesses string
	// Signals are the signals the init may be sent.
	Signals []int
	// AllowStdio lets the container's processes have stdio.
	AllowStdio bool
}

// Rego returns the entry as the reference's generator writes it.
func (c Container) Rego() string {
	return fmt.Sprintf(`{
    "command": %s,
    "env_rules": %s,
    "layers": %s,
    "capabilities": %s,
    "mounts": %s,
    "exec_processes": %s,
    "signals": %s,
    "user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [{"pattern": "", "strategy": "any"}], "umask": "0022"},
    "seccomp_profile_sha256": "",
    "allow_elevated": false,
    "working_dir": "/",
    "allow_stdio_access": %t,
    "no_new_privileges": false,
}`, jsonOf(c.Command), or(c.EnvRules, "[]"), jsonOf(c.Layers), or(c.Capabilities, "null"),
		or(c.Mounts, "[]"), or(c.ExecProcesses, "[]"), jsonOf(c.Signals), c.AllowStdio)
}

// Containers returns the Rego list of the entries.
func Containers(cs ...Container) string {
	entries := make([]string, len(cs))
	for i, c := range cs {
		entries[i] = c.Rego()
	}
	return "[" + strings.Join(entries, ", ") + "]"
}

// Fragment returns a fragment in package pkg of the given SVN offering
// the containers.
func Fragment(pkg, svn string, cs ...Container) string {
	return fmt.Sprintf("package %s\n\nsvn := %q\nframework_version := \"0.5.0\"\n\ncontainers := %s\n", pkg, svn, Containers(cs...))
}

// jsonOf writes v as JSON, which Rego reads; nil slices are empty lists.
func jsonOf[T string | int](v []T) string {
	if v == nil {
		v = []T{}
	}
	b, _ := json.Marshal(v) // strings and ints always encode
	return string(b)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
