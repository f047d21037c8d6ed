package attest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ioctl numbers: SNP_GET_REPORT of linux/sev-guest.h (_IOWR('S', 0, 32
// bytes)), and the report request of the 5.x /dev/sev guest interface
// (_IOWR('S', 1, 40 bytes)).
const (
	snpGetReport     = 0xc0205300
	sevGuestRequest5 = 0xc0285301
)

// Message layout: the request (user data, VMPL, reserved) and the
// response container, whose MSG_REPORT_RSP holds status, report size and
// then the report at offset 32.
const (
	reqSize          = 96
	respSize6        = 4000
	respSize5        = 1280
	respReportOffset = 32
	argSize          = 64
	msgReportReq     = 5
	msgReportRsp     = 6
)

// Report implements Reporter with the first device that exists.
func (d Device) Report(_ context.Context, reportData [ReportDataSize]byte) ([]byte, error) {
	for _, dev := range []struct {
		path string
		get  func(fd int, buf []byte) error
	}{{DevSev, getReport5}, {DevSevGuest, getReport6}} {
		f, err := os.OpenFile(d.path(dev.path), os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", dev.path, err)
		}
		report, err := fetch(int(f.Fd()), reportData, dev.get)
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dev.path, err)
		}
		return report, nil
	}
	return nil, errors.New("no SEV-SNP guest device")
}

// fetch runs one report request. The argument, request and response live
// in one anonymous mapping, outside the Go heap, so the addresses the
// kernel follows stay valid whatever the garbage collector does.
func fetch(fd int, reportData [ReportDataSize]byte, get func(int, []byte) error) ([]byte, error) {
	buf, err := unix.Mmap(-1, 0, argSize+reqSize+respSize6, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("map report buffers: %w", err)
	}
	defer func() { _ = unix.Munmap(buf) }()
	copy(buf[argSize:], reportData[:])
	if err := get(fd, buf); err != nil {
		return nil, err
	}
	resp := buf[argSize+reqSize:]
	if status := binary.LittleEndian.Uint32(resp); status != 0 {
		return nil, fmt.Errorf("firmware refused the report request: status %#x", status)
	}
	if size := binary.LittleEndian.Uint32(resp[4:]); size < ReportSize {
		return nil, fmt.Errorf("firmware returned a %d-byte report, want %d", size, ReportSize)
	}
	return append([]byte(nil), resp[respReportOffset:respReportOffset+ReportSize]...), nil
}

func addr(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }

// getReport6 fills struct snp_guest_request_ioctl: msg_version, req_data,
// resp_data, exitinfo2.
func getReport6(fd int, buf []byte) error {
	arg := buf[:argSize]
	arg[0] = 1
	binary.LittleEndian.PutUint64(arg[8:], addr(buf[argSize:]))
	binary.LittleEndian.PutUint64(arg[16:], addr(buf[argSize+reqSize:]))
	if err := ioctl(fd, snpGetReport, arg); err != nil {
		return fmt.Errorf("SNP_GET_REPORT (exitinfo2 %#x): %w", binary.LittleEndian.Uint64(arg[24:]), err)
	}
	return nil
}

// getReport5 fills the 5.x guest request: message types and version,
// request length and address, response length and address, error.
func getReport5(fd int, buf []byte) error {
	arg := buf[:argSize]
	arg[0], arg[1], arg[2] = msgReportReq, msgReportRsp, 1
	binary.LittleEndian.PutUint16(arg[4:], reqSize)
	binary.LittleEndian.PutUint64(arg[8:], addr(buf[argSize:]))
	binary.LittleEndian.PutUint16(arg[16:], respSize5)
	binary.LittleEndian.PutUint64(arg[24:], addr(buf[argSize+reqSize:]))
	if err := ioctl(fd, sevGuestRequest5, arg); err != nil {
		return fmt.Errorf("SEV guest report request (error %#x): %w", binary.LittleEndian.Uint32(arg[32:]), err)
	}
	return nil
}

func ioctl(fd int, req uintptr, arg []byte) error {
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(&arg[0]))); errno != 0 {
		return errno
	}
	return nil
}
