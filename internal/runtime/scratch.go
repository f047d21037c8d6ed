package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// scratch holds the pid file of a create or exec (the log and the process
// definition are in-memory files, see memFile). With Runtime.ScratchDir they are uniquely
// named files in that directory, made once; otherwise a private temporary
// directory of their own, made and removed per invocation (a mkdir, a
// directory read and a rmdir more, about 0.3 ms on tmpfs and 1 ms on ext4
// on a busy machine).
type scratch struct {
	dir    string
	prefix string   // of this invocation's names in a shared directory
	own    bool     // dir is this invocation's alone
	names  []string // files handed out in a shared directory
}

// newScratch returns the place for one invocation's files; release
// removes them.
func (r *Runtime) newScratch() (*scratch, error) {
	if r.ScratchDir == "" {
		dir, err := os.MkdirTemp("", "oci-runtime-")
		if err != nil {
			return nil, fmt.Errorf("creating runtime scratch dir: %w", err)
		}
		return &scratch{dir: dir, own: true}, nil
	}
	r.scratchOnce.Do(func() {
		// What a previous daemon left is moot; its names would collide
		// with this one's.
		if err := os.RemoveAll(r.ScratchDir); err != nil {
			r.scratchErr = err
			return
		}
		r.scratchErr = os.MkdirAll(r.ScratchDir, 0o700)
	})
	if r.scratchErr != nil {
		return nil, fmt.Errorf("creating runtime scratch dir %s: %w", r.ScratchDir, r.scratchErr)
	}
	return &scratch{dir: r.ScratchDir, prefix: strconv.FormatUint(r.scratchSeq.Add(1), 10) + "-"}, nil
}

// path returns the path of this invocation's file name.
func (s *scratch) path(name string) string {
	if s.own {
		return filepath.Join(s.dir, name)
	}
	s.names = append(s.names, s.prefix+name)
	return filepath.Join(s.dir, s.prefix+name)
}

// release removes the invocation's files and, when it failed, the hidden
// temporary file a runtime writes a pid file through (".NAME", renamed to
// NAME once written) should it have failed half-way: after a success it
// was renamed.
func (s *scratch) release(failed bool) {
	if s.own {
		os.RemoveAll(s.dir)
		return
	}
	for _, n := range s.names {
		os.Remove(filepath.Join(s.dir, n))
		if failed {
			os.Remove(filepath.Join(s.dir, "."+n))
		}
	}
}
