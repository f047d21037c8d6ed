package mount

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Entry is one line of /proc/self/mountinfo.
type Entry struct {
	ID, Parent   int
	MajorMinor   string   // "8:16"
	Root         string   // root of the mount within its file system
	Point        string   // mount point, unescaped
	Options      string   // per-mount options, e.g. "ro,relatime"
	Optional     []string // optional fields, e.g. "shared:12", "master:3", "unbindable"
	FSType       string
	Source       string // unescaped
	SuperOptions string // per-superblock options
}

// Entries parses /proc/self/mountinfo, in the kernel's order (a mount
// stacked on another comes after it).
func Entries() ([]Entry, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	defer f.Close()
	var es []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		e, ok := parseEntry(sc.Text())
		if ok {
			es = append(es, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return es, nil
}

// Lookup returns the topmost mount at point, and false if nothing is
// mounted there.
func Lookup(point string) (Entry, bool, error) {
	es, err := Entries()
	if err != nil {
		return Entry{}, false, err
	}
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Point == point {
			return es[i], true, nil
		}
	}
	return Entry{}, false, nil
}

// parseEntry parses a mountinfo line:
// id parent major:minor root point options [optional...] - type source superopts
func parseEntry(line string) (Entry, bool) {
	pre, post, ok := strings.Cut(line, " - ")
	if !ok {
		return Entry{}, false
	}
	l, r := strings.Fields(pre), strings.Fields(post)
	if len(l) < 6 || len(r) < 3 {
		return Entry{}, false
	}
	id, err1 := strconv.Atoi(l[0])
	parent, err2 := strconv.Atoi(l[1])
	if err1 != nil || err2 != nil {
		return Entry{}, false
	}
	return Entry{
		ID: id, Parent: parent, MajorMinor: l[2],
		Root: unescape(l[3]), Point: unescape(l[4]), Options: l[5],
		Optional: l[6:],
		FSType:   r[0], Source: unescape(r[1]), SuperOptions: r[2],
	}, true
}

// unescape undoes the kernel's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
