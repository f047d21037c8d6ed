package kmsg

import (
	"bytes"
	"errors"
	"strconv"
)

// Priorities of kernel log records (syslog severities).
const (
	Emerg uint8 = iota
	Alert
	Crit
	Err
	Warning
	Notice
	Info
	Debug
)

// ErrFormat is wrapped by Parse's errors about a malformed record.
var ErrFormat = errors.New("malformed kmsg record")

// Record is one record of the kernel log.
type Record struct {
	// Priority is the record's severity, 0 (emergency) to 7 (debug).
	Priority uint8
	// Facility is the syslog facility (0 kernel, 1 user, ...).
	Facility uint8
	// Seq is the record's sequence number.
	Seq uint64
	// SinceBoot is the record's time in microseconds since boot.
	SinceBoot uint64
	// Flags are the record's flags ("-" or "c" for a continuation).
	Flags string
	// Message is the record's text, without its dictionary lines.
	Message string
}

// Parse decodes one record as /dev/kmsg returns it:
// "PRIO,SEQ,TIME,FLAGS[,...];MESSAGE\n" followed by optional " KEY=VALUE"
// dictionary lines.
func Parse(b []byte) (Record, error) {
	head, msg, ok := bytes.Cut(b, []byte{';'})
	if !ok {
		return Record{}, ErrFormat
	}
	fields := bytes.SplitN(head, []byte{','}, 5)
	if len(fields) < 4 {
		return Record{}, ErrFormat
	}
	var nums [3]uint64
	for i := range nums {
		n, err := strconv.ParseUint(string(fields[i]), 10, 64)
		if err != nil {
			return Record{}, ErrFormat
		}
		nums[i] = n
	}
	if nums[0] > 1<<11-1 {
		return Record{}, ErrFormat
	}
	msg, _, _ = bytes.Cut(msg, []byte{'\n'})
	return Record{
		Priority:  uint8(nums[0] & 7),
		Facility:  uint8(nums[0] >> 3),
		Seq:       nums[1],
		SinceBoot: nums[2],
		Flags:     string(fields[3]),
		Message:   string(bytes.TrimSpace(msg)),
	}, nil
}
