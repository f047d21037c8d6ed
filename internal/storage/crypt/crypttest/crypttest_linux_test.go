package crypttest

import (
	"os"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

func TestDeviceContains(t *testing.T) {
	mounttest.RequireRoot(t)
	needle := []byte("straddles two chunks")
	for _, tc := range []struct {
		name string
		at   int64 // where needle is written; -1: nowhere
		want bool
	}{
		{"start", 0, true},
		{"across the first chunk's end", 1<<20 - 5, true},
		{"at the very end", 4<<20 - int64(len(needle)), true},
		{"absent", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := mounttest.SparseFile(t, 4<<20)
			if tc.at >= 0 {
				f, err := os.OpenFile(img, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.WriteAt(needle, tc.at)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			dev := mounttest.Loop(t, img, mounttest.LoopOptions{})
			if got := DeviceContains(t, dev, needle); got != tc.want {
				t.Errorf("DeviceContains = %v, want %v", got, tc.want)
			}
			if got := len(ReadDevice(t, dev)); got != 4<<20 {
				t.Errorf("ReadDevice read %d bytes, want %d", got, 4<<20)
			}
		})
	}
}
