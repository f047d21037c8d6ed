package native

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// listOf reads a list (as JSON decodes it, or as the guest builds its
// inputs: []any) whose every item read accepts.
func listOf[T any](v any, read func(any) (T, bool)) ([]T, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]T, len(list))
	for i, item := range list {
		if out[i], ok = read(item); !ok {
			return nil, false
		}
	}
	return out, true
}

func asString(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

// stringList reads a list of strings.
func stringList(v any) ([]string, bool) { return listOf(v, asString) }

// stringPair reads two string fields of an object.
func stringPair(v any, a, b string) (string, string, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return "", "", false
	}
	x, ok1 := obj[a].(string)
	y, ok2 := obj[b].(string)
	return x, y, ok1 && ok2
}

// mountRule is a mount constraint: a container's own, or the guest's
// default and privileged mounts.
type mountRule struct {
	destination string
	source      string
	typ         string
	options     []string
}

func mountRules(v any) ([]mountRule, bool) { return listOf(v, readMount) }

func readMount(v any) (mountRule, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return mountRule{}, false
	}
	var m mountRule
	var good [4]bool
	m.destination, good[0] = obj["destination"].(string)
	m.source, good[1] = obj["source"].(string)
	m.typ, good[2] = obj["type"].(string)
	m.options, good[3] = stringList(obj["options"])
	return m, good[0] && good[1] && good[2] && good[3]
}

// sameMembers is the framework's same_members: as many items, the same
// items, duplicates or not.
func sameMembers(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// anchored is the framework's anchored(p).
func anchored(p string) string {
	if !strings.HasPrefix(p, "^") {
		p = "^" + p
	}
	if !strings.HasSuffix(p, "$") {
		p += "$"
	}
	return p
}

// regexCacheSize bounds the compiled expressions kept: sandbox paths make
// patterns per pod.
const regexCacheSize = 512

// regexCache keeps compiled expressions, as OPA's regex.match does (it
// compiles with regexp.Compile too: the same syntax and semantics).
type regexCache struct {
	mu *sync.Mutex
	m  map[string]*regexp.Regexp // by pattern before anchoring; nil: does not compile
}

func newRegexCache() regexCache {
	return regexCache{mu: &sync.Mutex{}, m: map[string]*regexp.Regexp{}}
}

// match is regex.match(anchored(pattern), s); ok is false when the
// pattern does not compile (OPA's answer is then undefined, not false).
func (c regexCache) match(pattern, s string) (matched, ok bool) {
	// Keyed by the pattern as given: anchoring a hit would allocate.
	c.mu.Lock()
	re, cached := c.m[pattern]
	c.mu.Unlock()
	if !cached {
		var err error
		if re, err = regexp.Compile(anchored(pattern)); err != nil {
			re = nil
		}
		c.mu.Lock()
		if len(c.m) >= regexCacheSize {
			clear(c.m)
		}
		c.m[pattern] = re
		c.mu.Unlock()
	}
	if re == nil {
		return false, false
	}
	return re.MatchString(s), true
}

// plainText: valid UTF-8 and ASCII only. Strings the framework splits or
// cuts are held to it, so byte and rune offsets agree.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
