package test

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// soakFigures is what the daemon holds at one moment.
type soakFigures struct {
	FDs, Goroutines, RSSKiB, Mounts, Cgroups, RuntimeState, Children int
	// stacks counts goroutines by the function they are in.
	stacks map[string]int
}

func (f soakFigures) String() string {
	return fmt.Sprintf("fds %d, goroutines %d, RSS %d KiB, mounts %d, cgroups %d, runtime state %d, child processes %d",
		f.FDs, f.Goroutines, f.RSSKiB, f.Mounts, f.Cgroups, f.RuntimeState, f.Children)
}

// soakStackDiff lists the functions with more goroutines after than before.
func soakStackDiff(before, after soakFigures) []string {
	var out []string
	for fn, n := range after.stacks {
		if d := n - before.stacks[fn]; d > 0 {
			out = append(out, fmt.Sprintf("+%d in %s", d, fn))
		}
	}
	sort.Strings(out)
	return out
}

// soakDaemonRoots are the directories the daemon mounts under (its -root
// and the fixed roots of disks and layers).
var soakDaemonRoots = []string{"/run/mounts", "/run/layers"}

// snapshot measures the daemon: open descriptors, goroutines (from
// DumpStacks), resident memory, mounts under its roots, cgroups under its
// -cgroup-parent, and containers in the runtime's state directory.
func (e *soakEnv) snapshot(t *testing.T) soakFigures {
	var f soakFigures
	pid := e.g.Pid()
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		f.FDs = len(ents)
	}
	c, _ := e.client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	stacks, err := c.DumpStacks(ctx)
	cancel()
	if err != nil {
		t.Errorf("DumpStacks: %v", err)
	}
	f.stacks = stackTops(stacks)
	for _, n := range f.stacks {
		f.Goroutines += n
	}
	f.RSSKiB = e.g.rssKiB(t)
	f.Mounts = soakMountsUnder(pid, append([]string{e.root}, soakDaemonRoots...))
	f.Cgroups = soakCgroupsUnder(t, e.cgParent)
	if ents, err := os.ReadDir(filepath.Join(e.root, "runtime")); err == nil {
		f.RuntimeState = len(ents)
	}
	// Orphans of killed runtimes are reparented to the daemon (the
	// subreaper), so its children are every process it still holds.
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)); err == nil {
		f.Children = len(strings.Fields(string(b)))
	}
	return f
}

// soakMountsUnder counts the mounts of process pid at or below roots.
func soakMountsUnder(pid int, roots []string) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		for _, r := range roots {
			if p := fields[4]; p == r || strings.HasPrefix(p, r+"/") {
				n++
				break
			}
		}
	}
	return n
}

// soakCgroupsUnder counts the cgroups below parent in every hierarchy.
func soakCgroupsUnder(t *testing.T, parent string) int {
	es, err := mount.Entries()
	if err != nil {
		t.Errorf("mountinfo: %v", err)
		return -1
	}
	n := 0
	for _, m := range es {
		if m.FSType != "cgroup" && m.FSType != "cgroup2" {
			continue
		}
		_ = filepath.WalkDir(filepath.Join(m.Point, parent), func(_ string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				n++
			}
			return nil
		})
	}
	return n
}

// settle waits, bounded, until every created container's notification is
// in and the daemon's goroutines stop falling, then counts the
// notifications per container.
func (e *soakEnv) settle(t *testing.T, res *soakResult) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		missing := 0
		for id := range e.created {
			if len(e.notes[id]) == 0 {
				missing++
			}
		}
		e.mu.Unlock()
		if missing == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	prev := -1
	for i := 0; i < 20; i++ {
		g := e.snapshot(t).Goroutines
		if g == prev {
			break
		}
		prev = g
		time.Sleep(500 * time.Millisecond)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	res.drops = e.drops
	for id := range e.created {
		switch n := len(e.notes[id]); {
		case n == 0:
			res.count("notify.none", id)
		case n > 1:
			res.count("notify.several", fmt.Sprintf("%s: %v", id, e.notes[id]))
		default:
			res.count("notify.one", "")
		}
	}
	for id := range e.notes {
		if !e.created[id] {
			res.count("notify.uncreated", id)
		}
	}
}

// soakResult counts the outcomes of one runtime's soak and keeps a few
// examples of each failure.
type soakResult struct {
	runtime       string
	duration      time.Duration
	drops         int
	before, after soakFigures

	mu       sync.Mutex
	counts   map[string]int
	examples map[string][]string
}

func (r *soakResult) add(key string) { r.count(key, "") }

func (r *soakResult) fail(key string, err error) { r.count(key, err.Error()) }

func (r *soakResult) count(key, example string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts, r.examples = map[string]int{}, map[string][]string{}
	}
	r.counts[key]++
	if example != "" && len(r.examples[key]) < 3 {
		r.examples[key] = append(r.examples[key], example)
	}
}

func (r *soakResult) get(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[key]
}

// keys returns the counted keys in order.
func (r *soakResult) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.counts))
	for k := range r.counts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stackTops counts the goroutines of a DumpStacks text by their top frame's
// function; alike goroutines come as one, "... (and N more with this
// stack):".
func stackTops(stacks string) map[string]int {
	tops := map[string]int{}
	lines := strings.Split(stacks, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "goroutine ") || i+1 >= len(lines) {
			continue
		}
		n := 1
		if _, more, ok := strings.Cut(l, " (and "); ok {
			if m, err := strconv.Atoi(strings.TrimSuffix(more, " more with this stack):")); err == nil {
				n += m
			}
		}
		fn := lines[i+1]
		if j := strings.LastIndex(fn, "("); j > 0 {
			fn = fn[:j]
		}
		tops[fn] += n
	}
	return tops
}
