package bridge

import (
	"strconv"
	"strings"
)

// maxRawStacks bounds the raw dump groupStacks reads: past it the dump is
// cut (and its grouped form is cut again to fit a message anyway).
const maxRawStacks = 8 << 20

// groupStacks reads a runtime.Stack(all) dump and reports each distinct
// goroutine stack once, in the order of first appearance: a stack shared by
// several goroutines keeps the first one's header with the number of the
// others, "goroutine 7 [select, 2 minutes] (and 199 more with this
// stack):", and its frames with the first one's arguments. Goroutines are
// alike when their states (durations aside) and frames (arguments and the
// creating goroutine aside) are. One pass over the dump. Groups past the
// first limit bytes of the result are left out (the caller cuts the text to
// fit a message anyway): the result is then longer than limit.
func groupStacks(raw string, limit int) string {
	type group struct {
		block string
		more  int
	}
	var groups []group
	index := map[string]int{}
	var key []byte // reused: a lookup by string(key) does not allocate
	for rest := raw; rest != ""; {
		var block string
		key, block, rest = nextStack(key[:0], rest)
		if i, ok := index[string(key)]; ok {
			groups[i].more++
			continue
		}
		index[string(key)] = len(groups)
		groups = append(groups, group{block: block})
	}
	// Not grown to the dump's size ahead: the text is kept until the next
	// dump, and a string keeps its builder's whole buffer.
	var out strings.Builder
	for i, g := range groups {
		if out.Len() > limit {
			break
		}
		if i > 0 {
			out.WriteString("\n\n")
		}
		if g.more == 0 {
			out.WriteString(g.block)
			continue
		}
		header, frames, _ := strings.Cut(g.block, "\n")
		out.WriteString(strings.TrimSuffix(header, ":"))
		out.WriteString(" (and ")
		out.WriteString(strconv.Itoa(g.more))
		out.WriteString(" more with this stack):\n")
		out.WriteString(frames)
	}
	if strings.HasSuffix(raw, "\n") && !strings.HasSuffix(out.String(), "\n") {
		out.WriteByte('\n')
	}
	return out.String()
}

// nextStack splits the first goroutine's block off dump (blocks end at a
// blank line) and appends its key to key: what makes the goroutine alike
// to others, its state without the time it has been in it and its frames
// without the arguments and the creating goroutine's id. Each line is
// looked at once, and nothing is allocated once key has room: it runs for
// every goroutine of a dump.
func nextStack(key []byte, dump string) (_ []byte, block, rest string) {
	header, pos := dump, len(dump)
	if i := strings.IndexByte(dump, '\n'); i >= 0 {
		header, pos = dump[:i], i
	}
	key = appendStateKey(key, header)
	for pos < len(dump) { // dump[pos] ends the line before
		if pos+1 == len(dump) {
			return key, dump, "" // the last block, with its newline
		}
		if dump[pos+1] == '\n' {
			return key, dump[:pos], dump[pos+2:]
		}
		line := dump[pos+1:]
		pos = len(dump)
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line, pos = line[:i], pos-len(line)+i
		}
		key = appendFrameKey(append(key, '\n'), line)
	}
	return key, dump, ""
}

// appendStateKey appends the state of a goroutine's header line ("goroutine
// 7 [select, 2 minutes]:") without its duration, or the whole line if it
// has no state.
func appendStateKey(key []byte, header string) []byte {
	open := strings.IndexByte(header, '[')
	if open < 0 {
		return append(key, header...)
	}
	state := strings.TrimSuffix(header[open+1:], "]:")
	for i := 0; ; i++ {
		part, more, found := strings.Cut(state, ", ")
		if !strings.HasSuffix(part, " minutes") && !strings.HasSuffix(part, " minute") {
			if i > 0 {
				key = append(key, ", "...)
			}
			key = append(key, part...)
		}
		if !found {
			return key
		}
		state = more
	}
}

// appendFrameKey appends a line of a goroutine's frames: a file:line line
// whole, a function without its arguments, a creator without the id of
// the goroutine it ran in.
func appendFrameKey(key []byte, line string) []byte {
	switch {
	case strings.HasPrefix(line, "\t"):
	case strings.HasPrefix(line, "created by "):
		if i := strings.Index(line, " in goroutine "); i >= 0 {
			line = line[:i]
		}
	default:
		if i := strings.LastIndexByte(line, '('); i > 0 && strings.HasSuffix(line, ")") {
			line = line[:i]
		}
	}
	return append(key, line...)
}
