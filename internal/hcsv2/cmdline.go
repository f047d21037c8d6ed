package hcsv2

import (
	"errors"
	"strings"
)

// splitCommandLine splits a command line the way a POSIX shell splits words,
// honouring single quotes, double quotes and backslashes, without any
// expansion. It is used for utility-VM processes given only CommandLine.
func splitCommandLine(s string) ([]string, error) {
	var (
		args    []string
		cur     strings.Builder
		inWord  bool
		quote   rune
		escaped bool
	)
	for _, r := range s {
		switch {
		case escaped:
			// Inside double quotes a backslash only escapes \ " $ ` and newline.
			if quote == '"' && !strings.ContainsRune("\\\"$`\n", r) {
				cur.WriteRune('\\')
			}
			cur.WriteRune(r)
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\\':
			escaped, inWord = true, true
		case quote == '"':
			if r == '"' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if escaped {
		return nil, errors.New("command line ends with a backslash")
	}
	if quote != 0 {
		return nil, errors.New("command line has an unterminated quote")
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}
