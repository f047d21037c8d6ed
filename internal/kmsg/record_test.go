package kmsg

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Record
		err  bool
	}{
		{
			name: "kernel warning",
			in:   "4,512,1234567,-;usb 1-1: device descriptor read error\n",
			want: Record{Priority: Warning, Facility: 0, Seq: 512, SinceBoot: 1234567, Flags: "-", Message: "usb 1-1: device descriptor read error"},
		},
		{
			name: "user record with dictionary and extra fields",
			in:   "11,9,77,c,more;gcs-test\n SUBSYSTEM=net\n DEVICE=n2\n",
			want: Record{Priority: Err, Facility: 1, Seq: 9, SinceBoot: 77, Flags: "c", Message: "gcs-test"},
		},
		{name: "message may hold semicolons", in: "6,1,2,-;a;b\n", want: Record{Priority: Info, Seq: 1, SinceBoot: 2, Flags: "-", Message: "a;b"}},
		{name: "no semicolon", in: "6,1,2,-\n", err: true},
		{name: "too few fields", in: "6,1;x\n", err: true},
		{name: "priority not a number", in: "x,1,2,-;x\n", err: true},
		{name: "priority out of range", in: "99999,1,2,-;x\n", err: true},
		{name: "empty", in: "", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if tt.err {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("Parse(%q) = %+v, %v; want ErrFormat", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("4,512,1234567,-;x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err == nil && r.Priority > Debug {
			t.Fatalf("priority %d out of range", r.Priority)
		}
	})
}
