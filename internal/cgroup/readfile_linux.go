package cgroup

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// shortReadEOF is the size below which a short read of a cgroup file is
// taken as its end. Every cgroup file is a kernfs seq_file (or a single
// buffer); seq_read stops short of the request only at the end of the file or
// when its page-sized buffer is nearly full, so a short read of less than
// half a page is the whole file and the read that would return 0 can be
// skipped. System calls are the whole cost of Stats and Pids.
const shortReadEOF = 2048

// readBuf reads a whole cgroup interface file into buf (grown as needed) and
// returns the filled slice. It goes straight to the system calls: os.Open
// would register kernfs files with the poller (epoll_ctl twice, fcntl),
// which costs more than the read itself.
func readBuf(path string, buf []byte) ([]byte, error) {
	fd, err := openRead(path)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	return preadAll(fd, path, buf)
}

// openRead opens a cgroup interface file for reading.
func openRead(path string) (int, error) {
	fd, err := openRetry(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return fd, nil
}

// openRetry is open(2) retried on EINTR.
func openRetry(path string, flags int, perm uint32) (int, error) {
	for {
		fd, err := syscall.Open(path, flags, perm)
		if !errors.Is(err, syscall.EINTR) {
			return fd, err
		}
	}
}

// writeFile writes data to an existing cgroup interface file in one write(2),
// as the kernel parses each write separately.
func writeFile(path, data string) error {
	fd, err := openRetry(path, syscall.O_WRONLY|syscall.O_TRUNC|syscall.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	for {
		_, err = syscall.Write(fd, []byte(data))
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return &os.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}

// parseUint parses a decimal counter. Negative values (v1 prints -1 for some
// unset limits) read as 0.
func parseUint(b []byte) (uint64, error) {
	b = bytes.TrimSpace(b)
	var v uint64
	if len(b) == 0 {
		return 0, strconv.ErrSyntax
	}
	if b[0] == '-' {
		if _, err := strconv.ParseInt(string(b), 10, 64); err != nil {
			return 0, err
		}
		return 0, nil
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, &strconv.NumError{Func: "ParseUint", Num: string(b), Err: strconv.ErrSyntax}
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, &strconv.NumError{Func: "ParseUint", Num: string(b), Err: strconv.ErrRange}
		}
		v = v*10 + d
	}
	return v, nil
}

// eachKV calls fn for every "key value" line of a flat-keyed file
// (memory.stat, cpu.stat, memory.events); lines of another form are skipped.
func eachKV(data []byte, fn func(key []byte, value uint64)) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		sp := bytes.IndexByte(line, ' ')
		if sp <= 0 {
			continue
		}
		v, err := parseUint(line[sp+1:])
		if err != nil {
			continue
		}
		fn(line[:sp], v)
	}
}

// parseLimit parses a number or "max" (read as maxVal).
func parseLimit(b []byte, maxVal uint64) (uint64, error) {
	if t := bytes.TrimSpace(b); string(t) == "max" {
		return maxVal, nil
	}
	return parseUint(b)
}

// fileReader reads cgroup files through one reused buffer, and through the
// kept open files of files when that is not nil.
type fileReader struct {
	buf   []byte
	path  []byte // the path being read, built here so that a read allocates nothing
	files *fileSet
}

// read returns the content of dir/name, valid until the next read; ok is
// false if the file does not exist (controller off or cgroup missing).
func (r *fileReader) read(dir, name string) (data []byte, ok bool, err error) {
	return r.readIn(dir, "", name)
}

// readIn is read of dir/prefix+name.
func (r *fileReader) readIn(dir, prefix, name string) (data []byte, ok bool, err error) {
	r.path = append(append(append(append(r.path[:0], dir...), '/'), prefix...), name...)
	var b []byte
	if r.files != nil {
		b, err = r.files.read(r.path, r.buf)
	} else {
		b, err = readBuf(string(r.path), r.buf)
	}
	if errors.Is(err, syscall.ENOENT) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	r.buf = b
	return b, true, nil
}

// value reads a single-number file; "max" reads as maxVal, a missing file
// as 0 with ok false.
func (r *fileReader) value(dir, name string, maxVal uint64) (v uint64, ok bool, err error) {
	return r.valueIn(dir, "", name, maxVal)
}

// valueIn is value of dir/prefix+name.
func (r *fileReader) valueIn(dir, prefix, name string, maxVal uint64) (v uint64, ok bool, err error) {
	b, ok, err := r.readIn(dir, prefix, name)
	if err != nil || !ok {
		return 0, ok, err
	}
	v, err = parseLimit(b, maxVal)
	if err != nil {
		return 0, false, fmt.Errorf("parse %s/%s%s: %w", dir, prefix, name, err)
	}
	return v, true, nil
}
