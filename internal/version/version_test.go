package version

import "testing"

func TestString(t *testing.T) {
	tests := []struct {
		in   Info
		want string
	}{
		{Info{Version: "(devel)", Go: "go1.24"}, "(devel), go1.24"},
		{Info{Version: "v1.2.3", Commit: "0123456789abcdef0123", Go: "go1.24"}, "v1.2.3 commit 0123456789ab, go1.24"},
		{Info{Version: "(devel)", Commit: "abc", Modified: true, Go: "go1.24"}, "(devel) commit abc (modified), go1.24"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGet(t *testing.T) {
	if got := Get(); got.Version == "" || got.Go == "" {
		t.Errorf("Get() = %+v: version and go must be set", got)
	}
}
