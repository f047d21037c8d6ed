package daemon

import "testing"

func TestDutiesLaunch(t *testing.T) {
	tests := []struct {
		name      string
		stopFirst bool
		launches  int
		want      int // times the duties were started
	}{
		{name: "once however often asked", launches: 3, want: 1},
		{name: "never after stop", stopFirst: true, launches: 2, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newDuties()
			if tt.stopFirst {
				u.stop()
			}
			started := 0
			for range tt.launches {
				u.launch(func() { started++ })
			}
			if !tt.stopFirst {
				u.stop()
			}
			if started != tt.want {
				t.Errorf("duties started %d times, want %d", started, tt.want)
			}
		})
	}
}
