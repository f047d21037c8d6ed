package hcsv2

import (
	"github.com/linux-gcs/gcs/internal/prot"
)

// maxIDLength bounds container ids; they become path components and cgroup
// names, and hosts use 64 hex digits.
const maxIDLength = 128

// validateID accepts the ids an OCI runtime accepts (letters, digits and
// "_ + - .") that are also safe as a single path component. Anything else
// is an invalid-argument error, decided before any file is touched.
func validateID(id string) error {
	if id == "" || len(id) > maxIDLength || id == "." || id == ".." {
		return prot.Errorf(prot.HrInvalidArg, "invalid container id %q", id)
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '_', r == '+', r == '-', r == '.':
		default:
			return prot.Errorf(prot.HrInvalidArg, "invalid container id %q: character %q not allowed", id, r)
		}
	}
	return nil
}
