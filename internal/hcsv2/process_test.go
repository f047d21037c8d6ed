package hcsv2

import (
	"os/exec"
	"testing"

	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// startTracked starts argv through r; with wait it returns only once the
// process was reaped.
func startTracked(t *testing.T, r *reaper.Reaper, wait bool, argv ...string) *reaper.Process {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	rp, err := r.StartProcess(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if wait {
		if _, err := r.Wait(cmd, rp.Exit()); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_, _ = r.Wait(cmd, rp.Exit())
		})
	}
	return rp
}

func TestPutProcess(t *testing.T) {
	r, err := reaper.New(testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	live := startTracked(t, r, false, "/bin/sleep", "30")
	reaped := startTracked(t, r, true, "/bin/true")
	tests := []struct {
		name    string
		old     *reaper.Process // the entry already under the pid, if any
		wantPut bool
	}{
		{"free pid", nil, true},
		{"entry of a reaped process gives way", reaped, true},
		{"entry of a live process stays", live, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := map[uint32]*process{}
			var old *process
			if tt.old != nil {
				old = newProcess(tt.old, false)
				table[7] = old
			}
			p := newProcess(live, false)
			p.pid = 7
			if got := putProcess(table, p); got != tt.wantPut {
				t.Fatalf("putProcess = %v, want %v", got, tt.wantPut)
			}
			want := p
			if !tt.wantPut {
				want = old
			}
			if table[7] != want {
				t.Errorf("table holds the wrong entry after putProcess")
			}
		})
	}
}
