package devmapper

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Layout of struct dm_ioctl (linux/dm-ioctl.h).
const (
	offDataSize    = 12
	offDataStart   = 16
	offTargetCount = 20
	offOpenCount   = 24
	offFlags       = 28
	offDev         = 40
	offName        = 48
	headerSize     = unix.SizeofDmIoctl // 312, a multiple of 8
	specSize       = unix.SizeofDmTargetSpec
	maxTypeName    = 16
)

// reply is what the kernel returned in a dm_ioctl header and its data.
type reply struct {
	flags     uint32
	openCount int32
	dev       uint64
	data      []byte // from data_start to data_size
}

// control is an open /dev/mapper/control.
type control struct{ f *os.File }

func openControl() (*control, error) {
	f, err := os.OpenFile(ControlPath, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open device-mapper control: %w", err)
	}
	return &control{f: f}, nil
}

func (c *control) Close() error { return c.f.Close() }

// ioctl issues cmd for the device name with flags and, after the header,
// payload (target specs) for count targets, in a buffer of at least size
// bytes so the kernel has room for its reply.
func (c *control) ioctl(cmd uintptr, name string, flags uint32, count int, payload []byte, size int) (reply, error) {
	n := max(headerSize+len(payload), size)
	buf := make([]byte, n)
	ne := binary.NativeEndian
	ne.PutUint32(buf[0:], unix.DM_VERSION_MAJOR) // minor and patch 0: any 4.x kernel
	ne.PutUint32(buf[offDataSize:], uint32(n))
	ne.PutUint32(buf[offDataStart:], headerSize)
	ne.PutUint32(buf[offTargetCount:], uint32(count))
	ne.PutUint32(buf[offFlags:], flags)
	copy(buf[offName:offName+unix.DM_NAME_LEN-1], name)
	copy(buf[headerSize:], payload)
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, c.f.Fd(), cmd, uintptr(unsafe.Pointer(&buf[0])))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return reply{}, errno
		}
		break
	}
	r := reply{
		flags:     ne.Uint32(buf[offFlags:]),
		openCount: int32(ne.Uint32(buf[offOpenCount:])),
		dev:       ne.Uint64(buf[offDev:]),
	}
	start, end := ne.Uint32(buf[offDataStart:]), ne.Uint32(buf[offDataSize:])
	if start <= end && int(end) <= len(buf) {
		r.data = buf[start:end]
	}
	return r, nil
}

// targetSpecs encodes targets as the dm_target_spec list of DM_TABLE_LOAD:
// each spec followed by its NUL-terminated parameters, padded to 8 bytes,
// its next field giving the offset of the following spec.
func targetSpecs(targets []Target) ([]byte, error) {
	var out []byte
	ne := binary.NativeEndian
	for i, t := range targets {
		if t.Type == "" || len(t.Type) >= maxTypeName || !isToken(t.Type) {
			return nil, fmt.Errorf("target %d: type %q is not valid", i, t.Type)
		}
		if t.Length == 0 {
			return nil, fmt.Errorf("target %d (%s): zero length", i, t.Type)
		}
		size := (specSize + len(t.Params) + 1 + 7) &^ 7
		spec := make([]byte, size)
		ne.PutUint64(spec[0:], t.Start)
		ne.PutUint64(spec[8:], t.Length)
		ne.PutUint32(spec[20:], uint32(size)) // next
		copy(spec[24:24+maxTypeName], t.Type)
		copy(spec[specSize:], t.Params)
		out = append(out, spec...)
	}
	return out, nil
}

// targetVersions decodes the dm_target_versions list DM_LIST_VERSIONS
// returns: next (u32), version (3×u32), NUL-terminated name.
func targetVersions(data []byte) map[string][3]uint32 {
	out := map[string][3]uint32{}
	ne := binary.NativeEndian
	for off := 0; off+16 < len(data); {
		v := [3]uint32{ne.Uint32(data[off+4:]), ne.Uint32(data[off+8:]), ne.Uint32(data[off+12:])}
		name := data[off+16:]
		if i := indexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		out[string(name)] = v
		next := int(ne.Uint32(data[off:]))
		if next == 0 {
			break
		}
		off += next
	}
	return out
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// isNoDevice reports whether err says the named device does not exist.
func isNoDevice(err error) bool {
	return errors.Is(err, unix.ENXIO) || errors.Is(err, unix.ENODEV)
}
