package main

import (
	"flag"
	"strings"
)

// expandShortFlags splits combined one-letter boolean flags ("-it") into
// separate ones ("-i", "-t"), as docker users type them, among the flags
// at the start of args; it stops, as flag parsing does, at the first
// argument that is no flag or at "--". A combination containing a letter
// that is no boolean flag of fs is left for the parser to refuse.
func expandShortFlags(fs *flag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" || len(arg) < 2 || arg[0] != '-' {
			return append(out, args[i:]...)
		}
		name := strings.TrimLeft(arg, "-")
		if f := fs.Lookup(name); f != nil || strings.Contains(name, "=") {
			out = append(out, arg)
			if f != nil && !isBoolFlag(f) && i+1 < len(args) {
				i++ // the flag's value
				out = append(out, args[i])
			}
			continue
		}
		if split, ok := splitBoolFlags(fs, arg); ok {
			out = append(out, split...)
			continue
		}
		out = append(out, arg)
	}
	return out
}

// splitBoolFlags splits "-abc" into "-a", "-b", "-c" if each letter is a
// boolean flag of fs.
func splitBoolFlags(fs *flag.FlagSet, arg string) ([]string, bool) {
	if len(arg) < 3 || arg[1] == '-' {
		return nil, false
	}
	var split []string
	for _, r := range arg[1:] {
		f := fs.Lookup(string(r))
		if f == nil || !isBoolFlag(f) {
			return nil, false
		}
		split = append(split, "-"+string(r))
	}
	return split, true
}

// isBoolFlag reports whether f takes no value.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// afterDoubleDash drops one "--" at the start of args: what follows a
// container's id or image (CMD) may be set apart from it with "--".
func afterDoubleDash(args []string) []string {
	if len(args) > 0 && args[0] == "--" {
		return args[1:]
	}
	return args
}
