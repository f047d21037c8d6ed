package daemon

import "testing"

// TestSealsCopy: runc and crun, by name or by path, run from a sealed copy;
// a runtime not known to skip its own guard for one does not.
func TestSealsCopy(t *testing.T) {
	for _, tc := range []struct {
		binary string
		want   bool
	}{
		{"runc", true},
		{"/usr/sbin/runc", true},
		{"crun", true},
		{"/usr/local/bin/crun", true},
		{"youki", false},
		{"/opt/runc-wrapper", false},
	} {
		if got := sealsCopy(tc.binary); got != tc.want {
			t.Errorf("sealsCopy(%q) = %v, want %v", tc.binary, got, tc.want)
		}
	}
}
