package runtime

import (
	"bytes"
	"testing"
)

// TestReadLogKeepsTheEnd: the error a runtime logs last is found however
// much it logged before it; a partial first line of what is read is not
// taken for a crash message.
func TestReadLogKeepsTheEnd(t *testing.T) {
	info := []byte(`{"level":"info","msg":"` + string(bytes.Repeat([]byte{'x'}, 100)) + `"}` + "\n")
	tests := []struct {
		name string
		log  []byte
		want string
	}{
		{"short", []byte(`{"level":"error","msg":"no such container"}` + "\n"), "no such container"},
		{"error after more than is read",
			append(bytes.Repeat(info, 2*maxLogRead/len(info)), `{"level":"error","msg":"the last word"}`+"\n"...),
			"the last word"},
		{"no error, cut inside a line",
			append([]byte("crashed early\n"), bytes.Repeat(info, 2*maxLogRead/len(info))...),
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := memFile("log", tt.log)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b, err := readLog(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > maxLogRead {
				t.Errorf("read %d bytes, more than %d", len(b), maxLogRead)
			}
			if got := logError(b); got != tt.want {
				t.Errorf("logError = %q, want %q", got, tt.want)
			}
		})
	}
}
