package bridge

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/linux-gcs/gcs/internal/prot"
)

// decodeBase decodes body into a bare prot.MessageBase exactly as
// json.Unmarshal does, and reports whether that succeeded. The shape
// nearly every request has (one flat object whose ContainerId and
// ActivityId are plain strings) is scanned by hand, without reflection or
// allocations beyond the two strings; anything else goes to json.Unmarshal.
func decodeBase(body []byte) (prot.MessageBase, bool) {
	if b, ok := scanBase(body); ok {
		return b, true
	}
	var b prot.MessageBase
	err := json.Unmarshal(body, &b)
	return b, err == nil
}

// baseKey is what a key of the request object means to prot.MessageBase.
type baseKey int

const (
	keyOther baseKey = iota // ignored by json.Unmarshal
	keyContainerID
	keyActivityID
	keyTrace // ocsc or otsc: decoded into a struct or a map, left to json.Unmarshal
)

// scanBase decodes body when it is a flat object whose keys are ASCII
// without escapes, whose ContainerId and ActivityId (matched without
// regard to case, the last one winning, as json.Unmarshal does) are
// strings without escapes in valid UTF-8, whose other values are strings,
// numbers, true, false or null, and which has no trace context. ok is
// false for anything else: not a failure, only a body to leave to
// json.Unmarshal.
func scanBase(body []byte) (b prot.MessageBase, ok bool) {
	s := scanner{b: body}
	s.space()
	if !s.eat('{') {
		return b, false
	}
	s.space()
	if !s.eat('}') {
		for {
			key, ok := s.key()
			if !ok {
				return b, false
			}
			s.space()
			if !s.eat(':') {
				return b, false
			}
			s.space()
			switch key {
			case keyContainerID, keyActivityID:
				v, ok := s.plainString()
				if !ok {
					return b, false
				}
				if key == keyContainerID {
					b.ContainerID = v
				} else {
					b.ActivityID = v
				}
			case keyOther:
				if !s.scalar() {
					return b, false
				}
			default:
				return b, false
			}
			s.space()
			if s.eat('}') {
				break
			}
			if !s.eat(',') {
				return b, false
			}
			s.space()
		}
	}
	s.space()
	return b, s.i == len(s.b)
}

// scanner walks a JSON text; every method leaves i after what it accepted.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key accepts a key in plain ASCII and says which field it names. json's
// case-insensitive match reduces to ASCII case folding for ASCII keys.
func (s *scanner) key() (baseKey, bool) {
	start := s.i + 1
	if !s.eat('"') {
		return 0, false
	}
	for ; s.i < len(s.b); s.i++ {
		c := s.b[s.i]
		switch {
		case c == '"':
			k := s.b[start:s.i]
			s.i++
			switch {
			case equalFoldASCII(k, "ContainerId"):
				return keyContainerID, true
			case equalFoldASCII(k, "ActivityId"):
				return keyActivityID, true
			case equalFoldASCII(k, "ocsc"), equalFoldASCII(k, "otsc"):
				return keyTrace, true
			}
			return keyOther, true
		case c < 0x20 || c >= utf8.RuneSelf || c == '\\':
			return 0, false
		}
	}
	return 0, false
}

// plainString accepts a string without escapes or control characters, in
// valid UTF-8 (json.Unmarshal would replace invalid bytes), and returns it.
func (s *scanner) plainString() (string, bool) {
	start := s.i + 1
	if !s.eat('"') {
		return "", false
	}
	ascii := true
	for ; s.i < len(s.b); s.i++ {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			if !ascii && !utf8.Valid(v) {
				return "", false
			}
			return string(v), true
		case c < 0x20 || c == '\\':
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// scalar accepts a string (escapes checked as json does), a number, true,
// false or null: a value json.Unmarshal skips for a key it does not know.
func (s *scanner) scalar() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.skipString()
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number()
	case c == 't':
		return s.word("true")
	case c == 'f':
		return s.word("false")
	case c == 'n':
		return s.word("null")
	}
	return false
}

func (s *scanner) skipString() bool {
	s.i++ // the opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for range 4 {
					if s.i >= len(s.b) || !isHex(s.b[s.i]) {
						return false
					}
					s.i++
				}
			default:
				return false
			}
		default:
			s.i++
		}
	}
	return false
}

// number accepts JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	s.eat('-')
	switch {
	case s.eat('0'):
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.eat('.') && !s.digits() {
		return false
	}
	if s.eat('e') || s.eat('E') {
		if !s.eat('+') {
			s.eat('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits accepts one or more decimal digits.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

func (s *scanner) word(w string) bool {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// equalFoldASCII reports whether ASCII k equals name without regard to case.
func equalFoldASCII(k []byte, name string) bool {
	if len(k) != len(name) {
		return false
	}
	for i := range k {
		a, b := k[i], name[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}
