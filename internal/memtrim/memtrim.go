// Package memtrim gives back memory an idle process no longer needs: the
// heap the garbage collector freed, and the pages of the executable's
// read-only mappings (its code and constant data) that start-up touched
// once. Those pages stay in the page cache: what the
// process uses again faults back from there, without reading the disk.
//
// The daemon's binary is large (the policy engine is linked in) and
// start-up touches a lot of it once (package initialisation); an idle
// daemon needs a small part of it.
package memtrim

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Mapping is one region of the address space (a line of /proc/PID/smaps
// and its counters).
type Mapping struct {
	Start, End uint64
	Perms      string // e.g. "r-xp"
	Path       string // the file, "[heap]" and such, or "" (anonymous)
	Dev, Inode uint64 // the file's device and inode; 0 for none
	RssKiB     int64
	AnonKiB    int64 // pages of the mapping that are anonymous (copied on write)
}

// fileID names a file by device and inode.
type fileID struct{ dev, inode uint64 }

// trimmable reports whether the mapping's resident pages can be dropped
// and faulted back unchanged from the file: a mapping of the executable
// exe, never writable, no page of it copied on write (relocated read-only
// data is). Only the executable's mappings are certain to stay the same
// between reading smaps and madvise: a shared library can be unloaded, a
// file mapping unmapped, meanwhile, and their addresses given to live
// anonymous memory (a thread's stack, the heap), which MADV_DONTNEED
// would zero. The executable is never unmapped.
func (m Mapping) trimmable(exe fileID) bool {
	return m.Dev == exe.dev && m.Inode == exe.inode && m.Inode != 0 &&
		m.Path != "" && !strings.HasPrefix(m.Path, "[") &&
		len(m.Perms) == 4 && m.Perms[1] != 'w' && m.Perms[3] == 'p' &&
		m.AnonKiB == 0 && m.RssKiB > 0 && !strings.HasSuffix(m.Path, " (deleted)")
}

// executable names the file this process runs.
func executable() (fileID, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return fileID{}, fmt.Errorf("stat /proc/self/exe: %w", err)
	}
	return fileID{dev: st.Dev, inode: st.Ino}, nil
}

// Result is what one Trim did.
type Result struct {
	// Mappings is how many file mappings were advised.
	Mappings int
	// FileKiB is how much of them was resident before.
	FileKiB int64
}

// Trim returns the freed heap to the system and drops the resident pages
// of the executable's read-only mappings. The process goes on as before:
// dropped pages come back on use.
func Trim() (Result, error) {
	debug.FreeOSMemory()
	exe, err := executable()
	if err != nil {
		return Result{}, err
	}
	maps, err := readSmaps("/proc/self/smaps")
	if err != nil {
		return Result{}, err
	}
	var r Result
	for _, m := range maps {
		if !m.trimmable(exe) {
			continue
		}
		if err := dropPages(m.Start, m.End-m.Start); err != nil {
			return r, fmt.Errorf("drop the pages of %s at %#x: %w", m.Path, m.Start, err)
		}
		r.Mappings++
		r.FileKiB += m.RssKiB
	}
	return r, nil
}

// readSmaps parses an smaps file into its mappings.
func readSmaps(path string) ([]Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	maps, err := parseSmaps(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return maps, nil
}

// parseSmaps parses the text of /proc/PID/smaps.
func parseSmaps(data []byte) ([]Mapping, error) {
	var maps []Mapping
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := s.Text()
		if key, value, ok := counter(line); ok {
			if len(maps) == 0 {
				return nil, fmt.Errorf("counter %q before any mapping", line)
			}
			m := &maps[len(maps)-1]
			switch key {
			case "Rss":
				m.RssKiB = value
			case "Anonymous":
				m.AnonKiB = value
			}
			continue
		}
		m, ok := mappingLine(line)
		if ok {
			maps = append(maps, m)
		}
	}
	return maps, s.Err()
}

// counter parses "Name:   123 kB".
func counter(line string) (string, int64, bool) {
	key, rest, ok := strings.Cut(line, ":")
	if !ok || strings.ContainsAny(key, " -") {
		return "", 0, false
	}
	fields := strings.Fields(rest)
	if len(fields) != 2 || fields[1] != "kB" {
		return "", 0, false
	}
	v, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return key, v, true
}

// mappingLine parses "start-end perms offset dev inode [path]".
func mappingLine(line string) (Mapping, bool) {
	fields := strings.Fields(line)
	if len(fields) < 5 {
		return Mapping{}, false
	}
	start, end, ok := strings.Cut(fields[0], "-")
	if !ok {
		return Mapping{}, false
	}
	var m Mapping
	var err1, err2 error
	m.Start, err1 = strconv.ParseUint(start, 16, 64)
	m.End, err2 = strconv.ParseUint(end, 16, 64)
	if err1 != nil || err2 != nil || m.End <= m.Start {
		return Mapping{}, false
	}
	m.Perms = fields[1]
	major, minor, ok := strings.Cut(fields[3], ":")
	maj, err1 := strconv.ParseUint(major, 16, 32)
	mnr, err2 := strconv.ParseUint(minor, 16, 32)
	inode, err3 := strconv.ParseUint(fields[4], 10, 64)
	if !ok || err1 != nil || err2 != nil || err3 != nil {
		return Mapping{}, false
	}
	m.Dev, m.Inode = unix.Mkdev(uint32(maj), uint32(mnr)), inode
	if len(fields) > 5 {
		m.Path = strings.Join(fields[5:], " ")
	}
	return m, true
}

// Usage is a process's resident memory split by kind, from
// /proc/PID/smaps_rollup.
type Usage struct {
	RssKiB, AnonKiB int64
}

// FileKiB is the resident memory backed by files.
func (u Usage) FileKiB() int64 { return u.RssKiB - u.AnonKiB }

// ReadUsage reads the resident memory of process pid (0: this process).
func ReadUsage(pid int) (Usage, error) {
	p := "self"
	if pid != 0 {
		p = strconv.Itoa(pid)
	}
	path := "/proc/" + p + "/smaps_rollup"
	data, err := os.ReadFile(path)
	if err != nil {
		return Usage{}, fmt.Errorf("read %s: %w", path, err)
	}
	var u Usage
	for line := range strings.SplitSeq(string(data), "\n") {
		key, v, ok := counter(line)
		switch {
		case !ok:
		case key == "Rss":
			u.RssKiB = v
		case key == "Anonymous":
			u.AnonKiB = v
		}
	}
	if u.RssKiB == 0 {
		return Usage{}, fmt.Errorf("%s: no Rss", path)
	}
	return u, nil
}

// dropPages advises the kernel that the pages of [start, start+length) are
// not needed: for a private file mapping with no copied page, the next use
// reads them back from the page cache. The region is named by address (it
// is the process's own code), hence the raw system call.
func dropPages(start, length uint64) error {
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(length), unix.MADV_DONTNEED)
	if errno != 0 {
		return errno
	}
	return nil
}
