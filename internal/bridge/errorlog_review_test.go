package bridge

import (
	"context"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// A handler's error text may hold what the host sent, as long as a message:
// the failure is logged with the text the reply carries (bounded), not the
// whole error. The handler stands for any handler whose error echoes its
// request; the bridge under test is the real one, over a unix socket.
func TestReviewFailureLogBounded(t *testing.T) {
	var out testutil.LogBuffer
	log := out.Logger()
	log.Logger.SetLevel(logrus.DebugLevel)
	m := testMux()
	m.HandleFunc(prot.ComputeSystemStartV1, prot.PvV4, func(_ context.Context, r *Request) (prot.Response, error) {
		return nil, prot.Errorf(prot.HrFail, "refused %s", r.Body)
	})
	srv := NewServer(Options{Handler: m, Log: log})
	p := connect(t, srv)
	p.negotiate()
	long := strings.Repeat("L", 1<<20)
	base, _ := p.call(prot.ComputeSystemStartV1, 1, `{"Padding":"`+long+`"}`)
	if prot.HResult(base.Result) != prot.HrFail {
		t.Fatalf("Result %s, want %s", prot.HResult(base.Result), prot.HrFail)
	}
	for line := range strings.SplitSeq(out.String(), "\n") {
		if len(line) > 2*maxErrorText {
			t.Errorf("a log line of %d bytes for one failed request: %.200s...", len(line), line)
		}
	}
}
