// Package version tells which build of the module a binary is, from what
// the Go toolchain records in it (module version, VCS revision), so that
// no build step has to stamp it.
package version

import (
	"fmt"
	"runtime/debug"
)

// Info is a binary's build.
type Info struct {
	// Version is the module's version, "(devel)" for a build from a
	// source tree.
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, if known.
	Commit string `json:"commit,omitempty"`
	// Modified reports that the tree had changes not committed.
	Modified bool `json:"modified,omitempty"`
	// Go is the toolchain's version.
	Go string `json:"go"`
}

// Get returns the running binary's build.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown", Go: "unknown"}
	}
	info := Info{Version: bi.Main.Version, Go: bi.GoVersion}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String renders the build in one line: "(devel) commit 2d388c0 (modified), go1.24.1".
func (i Info) String() string {
	s := i.Version
	if i.Commit != "" {
		s += " commit " + i.Commit[:min(len(i.Commit), 12)]
		if i.Modified {
			s += " (modified)"
		}
	}
	return fmt.Sprintf("%s, %s", s, i.Go)
}
