package fragment

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DefaultDir is where the guest keeps its record of injected fragments
// (the reference's LCOW fragments path). Containers see it read-only as
// fragments.info in their security context directory.
const DefaultDir = "/tmp/fragments"

// readme is the note the record directory carries, in the reference's words.
const readme = "The content of this directory is for informational purposes and should not be relied upon for security.\n"

// The files of one blob's record directory, named by the SHA-256 of the blob.
const (
	fileEnvelope = "fragment.cose"
	filePayload  = "fragment"
	fileMetadata = "metadata.json"
)

// EnsureDir creates the record directory and its README. Containers bind
// it before any fragment arrives, so it is made when the policy is set.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create fragments directory: %w", err)
	}
	if err := writeOnce(filepath.Join(dir, "README"), []byte(readme)); err != nil {
		return fmt.Errorf("write fragments README: %w", err)
	}
	return nil
}

// writeOnce writes a file unless it exists: the same blob injected twice
// keeps its first record.
func writeOnce(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// metadata is metadata.json: what the envelope's header said.
type metadata struct {
	Issuer    string `json:"issuer"`
	Feed      string `json:"feed"`
	HeaderSVN *int64 `json:"headerSvn"`
}

func writeMetadata(dir string, e *Envelope) error {
	raw, err := json.Marshal(metadata{Issuer: e.Issuer, Feed: e.Feed, HeaderSVN: e.SVN})
	if err != nil {
		return err
	}
	return writeOnce(filepath.Join(dir, fileMetadata), raw)
}

// writeVerdict writes <request>.succeed (empty) or <request>.deny (the
// error) beside the blob.
func writeVerdict(dir string, request uint64, verdict error) error {
	name, body := fmt.Sprintf("%d.succeed", request), []byte(nil)
	if verdict != nil {
		name, body = fmt.Sprintf("%d.deny", request), []byte(verdict.Error())
	}
	return os.WriteFile(filepath.Join(dir, name), body, 0o644)
}
