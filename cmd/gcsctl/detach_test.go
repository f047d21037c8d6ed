package main

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDetachReader(t *testing.T) {
	tests := []struct {
		name, in, want string
		detached       bool
	}{
		{"plain", "ls\r", "ls\r", false},
		{"the keys", "ab\x10\x11cd", "ab", true},
		{"ctrl-p alone", "a\x10b", "a\x10b", false},
		{"ctrl-p twice, then q", "\x10\x10\x11", "\x10", true},
		{"ctrl-q alone", "\x11x", "\x11x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, detached := newDetachReader(iotest.OneByteReader(strings.NewReader(tt.in)))
			got, err := io.ReadAll(r)
			if err != nil || string(got) != tt.want {
				t.Errorf("read %q, %v; want %q", got, err, tt.want)
			}
			select {
			case <-detached:
				if !tt.detached {
					t.Error("detached, want not")
				}
			default:
				if tt.detached {
					t.Error("not detached")
				}
			}
		})
	}
}
