package bridge

import (
	"context"
	"encoding/json"
	"runtime"
	"unicode/utf8"

	"github.com/linux-gcs/gcs/internal/prot"
)

// maxStackDump bounds the raw goroutine dump taken before trimming.
const maxStackDump = 4 << 20

// truncatedMarker ends a trimmed stack dump.
const truncatedMarker = "\n...[truncated to fit the bridge message limit]\n"

// DumpStacks returns the DumpStacks handler. It ignores the body, as the
// reference does, and trims the dump so the reply fits one bridge message.
func DumpStacks() Handler {
	return Func(func(_ context.Context, r *Request) (prot.Response, error) {
		return &prot.DumpStacksResponse{
			GuestStacks: fitText(goroutineStacks(), r.ActivityID),
		}, nil
	})
}

func goroutineStacks() string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= maxStackDump {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// fitText returns s, or the longest prefix of s followed by
// truncatedMarker, such that a DumpStacks reply carrying it encodes within
// prot.MaxOutboundMessageSize. Every raw byte costs at least one encoded
// byte, so no prefix longer than the limit can fit, which bounds the search.
func fitText(s, activityID string) string {
	limit := prot.MaxOutboundMessageSize - prot.MessageHeaderSize
	fits := func(text string) bool {
		b, err := json.Marshal(&prot.DumpStacksResponse{
			MessageResponseBase: prot.MessageResponseBase{ActivityID: activityID},
			GuestStacks:         text,
		})
		return err == nil && len(b) <= limit
	}
	if len(s) <= limit && fits(s) {
		return s
	}
	lo, hi := 0, min(len(s), limit)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(s[:mid] + truncatedMarker) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	for lo > 0 && lo < len(s) && !utf8.RuneStart(s[lo]) {
		lo--
	}
	return s[:lo] + truncatedMarker
}
