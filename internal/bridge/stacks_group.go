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
		block := rest
		if i := strings.Index(rest, "\n\n"); i >= 0 {
			block, rest = rest[:i], rest[i+2:]
		} else {
			rest = ""
		}
		key = appendStackKey(key[:0], block)
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

// appendStackKey appends to key what makes the goroutine of block alike to
// others: its state without the time it has been in it, and its frames
// without the arguments and the creating goroutine's id. It allocates
// nothing once key has room: it runs for every goroutine of a dump.
func appendStackKey(key []byte, block string) []byte {
	header, frames, _ := strings.Cut(block, "\n")
	if open := strings.IndexByte(header, '['); open >= 0 {
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
				break
			}
			state = more
		}
	} else {
		key = append(key, header...)
	}
	for frames != "" {
		line := frames
		if i := strings.IndexByte(frames, '\n'); i >= 0 {
			line, frames = frames[:i], frames[i+1:]
		} else {
			frames = ""
		}
		key = append(key, '\n')
		switch {
		case strings.HasPrefix(line, "\t"):
			// file:line +pc offset, kept whole
		case strings.HasPrefix(line, "created by "):
			if i := strings.Index(line, " in goroutine "); i >= 0 {
				line = line[:i]
			}
		default:
			if i := strings.LastIndexByte(line, '('); i > 0 && strings.HasSuffix(line, ")") {
				line = line[:i]
			}
		}
		key = append(key, line...)
	}
	return key
}
