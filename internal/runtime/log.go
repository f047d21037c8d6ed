package runtime

import (
	"bytes"
	"encoding/json"
	"strings"
)

// logEntry is one line of a runtime's `--log-format json` log.
type logEntry struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
}

// logError returns the runtime's own error message from its JSON log b:
// the last error-level entry, else the last line that is not JSON (a
// crash, say), else "".
func logError(b []byte) string {
	var lastErr, lastRaw string
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var e logEntry
		if err := json.Unmarshal(line, &e); err != nil {
			lastRaw = string(line)
			continue
		}
		switch e.Level {
		case "error", "fatal", "panic":
			lastErr = strings.TrimSpace(e.Msg)
		}
	}
	if lastErr != "" {
		return lastErr
	}
	return lastRaw
}

// lastLine returns the last non-empty line of b, trimmed.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
