// Package framework holds the Rego the policy engine compiles beside every
// policy: package framework (the rules a policy may delegate to with
// data.framework.*), package api (the enforcement points and their
// versions), the open-door policy and the snippet that gives a fragment its
// parameters. It is data: the engine decides what to do with it.
package framework

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.rego fragment_parameters.inc
var files embed.FS

// Version is the framework version the Rego declares (framework.version).
const Version = "0.5.0"

// APIVersion is the API version the Rego declares (api.version).
const APIVersion = "0.12.0"

// Module is one Rego source file.
type Module struct {
	// Name is the file name, used in compiler messages.
	Name string
	// Code is the Rego source.
	Code string
}

// Modules returns the framework and api modules, in name order, without
// the open-door policy or the tests.
func Modules() []Module {
	entries, err := fs.Glob(files, "*.rego")
	if err != nil {
		panic(err) // the pattern is constant
	}
	sort.Strings(entries)
	var out []Module
	for _, name := range entries {
		if name == openDoorFile || strings.HasSuffix(name, "_test.rego") {
			continue
		}
		out = append(out, Module{Name: name, Code: read(name)})
	}
	return out
}

// TestModules returns the opa-test style test modules.
func TestModules() []Module {
	entries, _ := fs.Glob(files, "*_test.rego")
	sort.Strings(entries)
	out := make([]Module, 0, len(entries))
	for _, name := range entries {
		out = append(out, Module{Name: name, Code: read(name)})
	}
	return out
}

const openDoorFile = "opendoor.rego"

// OpenDoorPolicy returns a policy (package policy) that allows every
// enforcement point, with the results the open-door enforcer gives.
func OpenDoorPolicy() string { return read(openDoorFile) }

// FragmentParameters returns the Rego appended to a fragment before it is
// loaded, after its __fragment_parameters object, giving it parameter(name).
func FragmentParameters() string { return read("fragment_parameters.inc") }

func read(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}
