package hcsv2

// The invariants every request body must keep, whatever it holds: exactly
// one reply, no panic, no hang, a failure carrying a failing HRESULT and a
// message, a success that is valid JSON, and no file or mount created
// outside the harness's root.

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// exchange is one request and what came back.
type exchange struct {
	typ  prot.MessageIdentifier
	body []byte
	raw  []byte // the reply body
	resp prot.MessageResponseBase
	run  handlerRun
}

// call sends one request on the current connection and returns its reply
// once the handler has returned too, failing tb if either takes longer
// than fuzzCallTimeout.
func (fh *fuzzHost) call(tb testing.TB, typ prot.MessageIdentifier, body []byte) exchange {
	tb.Helper()
	reply, done := make(chan []byte, 1), make(chan handlerRun, 1)
	fh.mu.Lock()
	fh.seq++
	id, conn := fh.seq, fh.conn
	fh.replies[id], fh.runs[id] = reply, done
	fh.mu.Unlock()
	defer func() {
		fh.mu.Lock()
		delete(fh.replies, id)
		delete(fh.runs, id)
		fh.mu.Unlock()
	}()
	if _, err := conn.Write(prot.AppendMessage(nil, typ, id, body)); err != nil {
		tb.Fatalf("send %s: %v", typ, err)
	}
	ex := exchange{typ: typ, body: body}
	timer := time.NewTimer(fuzzCallTimeout)
	defer timer.Stop()
	select {
	case ex.raw = <-reply:
	case <-timer.C:
		tb.Fatalf("%s: no reply within %v (the handler hangs) to %q", typ, fuzzCallTimeout, clip(body))
	}
	select {
	case ex.run = <-done:
	case <-timer.C:
		tb.Fatalf("%s: handler still running %v after the request (it hangs) for %q", typ, fuzzCallTimeout, clip(body))
	}
	if err := json.Unmarshal(ex.raw, &ex.resp); err != nil {
		tb.Fatalf("%s: reply %q is not a JSON response: %v", typ, clip(ex.raw), err)
	}
	return ex
}

// check fails tb if ex breaks a reply invariant.
func (ex exchange) check(tb testing.TB) {
	tb.Helper()
	if ex.run.panicked != nil {
		tb.Fatalf("%s panicked on %q: %v\n%s", ex.typ, clip(ex.body), ex.run.panicked, ex.run.stack)
	}
	if ex.run.replies != 1 {
		tb.Fatalf("%s replied %d times to %q", ex.typ, ex.run.replies, clip(ex.body))
	}
	if !json.Valid(ex.raw) {
		tb.Fatalf("%s: reply is not valid JSON: %q", ex.typ, clip(ex.raw))
	}
	switch {
	case ex.resp.Result == 0 && ex.resp.ErrorMessage != "":
		tb.Fatalf("%s: success carries ErrorMessage %q", ex.typ, ex.resp.ErrorMessage)
	case ex.resp.Result > 0:
		tb.Fatalf("%s: Result %#x is not a failing HRESULT", ex.typ, uint32(ex.resp.Result))
	case ex.resp.Result < 0 && ex.resp.ErrorMessage == "":
		tb.Fatalf("%s: failure %#x without ErrorMessage", ex.typ, uint32(ex.resp.Result))
	}
}

func clip(b []byte) string {
	if len(b) > 512 {
		return string(b[:512]) + "..."
	}
	return string(b)
}

func stackOf() string { return string(debug.Stack()) }

// pathPattern finds absolute paths in a body, also inside double-encoded
// JSON strings and in bodies that are not JSON at all.
var pathPattern = regexp.MustCompile(`/[^"\\\s,:*?<>|\x00]*`)

// outsideSnapshot records which paths named in a body, and their
// ancestors, exist outside root before the request, and what is mounted.
type outsideSnapshot struct {
	root    string
	existed map[string]bool
	mounts  map[string]bool
}

func snapshotOutside(tb testing.TB, root string, body []byte) outsideSnapshot {
	s := outsideSnapshot{root: root, existed: map[string]bool{}, mounts: map[string]bool{}}
	for _, m := range pathPattern.FindAll(body, 64) {
		for p := filepath.Clean(string(m)); p != "/" && p != "."; p = filepath.Dir(p) {
			if s.inside(p) {
				continue
			}
			_, err := os.Lstat(p)
			s.existed[p] = !errors.Is(err, fs.ErrNotExist)
		}
	}
	for _, p := range allMounts(tb) {
		s.mounts[p] = true
	}
	return s
}

func (s outsideSnapshot) inside(p string) bool {
	return p == s.root || strings.HasPrefix(p, s.root+"/")
}

// check fails tb if a path the body named appeared outside the root, or a
// mount appeared anywhere outside it; it removes what it found first, so
// the harness stays usable.
func (s outsideSnapshot) check(tb testing.TB, typ prot.MessageIdentifier, body []byte) {
	tb.Helper()
	var found []string
	for _, p := range allMounts(tb) {
		// The fuzz workers share the mount namespace: mounts under
		// another worker's root are that worker's.
		if !s.mounts[p] && !s.inside(p) && !strings.HasPrefix(p, fuzzRootPrefix()) {
			_ = unix.Unmount(p, unix.MNT_DETACH)
			found = append(found, "mount at "+p)
		}
	}
	var created []string
	for p, existed := range s.existed {
		if _, err := os.Lstat(p); !existed && err == nil {
			created = append(created, p)
		}
	}
	// Deepest first, so that created directories are empty when removed.
	for len(created) > 0 {
		deepest := 0
		for i, p := range created {
			if len(p) > len(created[deepest]) {
				deepest = i
			}
		}
		_ = os.Remove(created[deepest])
		found = append(found, "file "+created[deepest])
		created = append(created[:deepest], created[deepest+1:]...)
	}
	if len(found) > 0 {
		tb.Fatalf("%s created outside the root %s: %s; body %q", typ, s.root, strings.Join(found, ", "), clip(body))
	}
}

func allMounts(tb testing.TB) []string {
	es, err := mount.Entries()
	if err != nil {
		tb.Fatalf("read mountinfo: %v", err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Point
	}
	return out
}
