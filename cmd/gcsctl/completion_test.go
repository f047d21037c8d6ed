package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBashCompletion loads the script gcsctl completion bash prints into a
// real bash and completes command lines with it.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	a, stdout, stderr := newTestApp(nil, "")
	if code := a.run(context.Background(), []string{"completion", "bash"}); code != exitOK {
		t.Fatalf("completion bash: exit %d, stderr %s", code, stderr)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "gcsctl.bash")
	if err := os.WriteFile(script, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"alpha", "beta"} {
		if err := os.MkdirAll(filepath.Join(dir, "c", id), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		line []string // the words, the last being completed
		want string
	}{
		{[]string{"gcsctl", "la"}, "layers"},
		{[]string{"gcsctl", "layers", ""}, "add remove"},
		{[]string{"gcsctl", "--root", "/x", "exec", ""}, "alpha beta"},
		{[]string{"gcsctl", "rm", "a"}, "alpha"},
		{[]string{"gcsctl", "exec", "--e"}, "--env"},
		{[]string{"gcsctl", "pod", "rm", "--l"}, "--listen --layout"},
		{[]string{"gcsctl", "help", "ver"}, "version"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.line, " "), func(t *testing.T) {
			words := make([]string, len(tt.line))
			for i, w := range tt.line {
				words[i] = "'" + w + "'"
			}
			prog := `source "$1"; COMP_WORDS=(` + strings.Join(words, " ") + `); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _gcsctl; echo "${COMPREPLY[*]}"`
			cmd := exec.Command(bash, "-c", prog, "bash", script)
			cmd.Env = append(os.Environ(), "GCSCTL_ROOT="+dir)
			out, err := cmd.CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != tt.want {
				t.Errorf("completed %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}
