package hcsv2

import (
	"context"
	"encoding/base64"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
)

// customPolicy allows everything without being the open door, so that the
// confidential rules apply.
const customPolicy = `package policy

import rego.v1

api_version := "0.12.0"

get_properties := {"allowed": true}
`

// nopWriter is a ResponseWriter that drops what it is given.
type nopWriter struct{}

func (nopWriter) Respond(prot.Response) {}
func (nopWriter) Error(error)           {}

// Once a policy is set, handlers run one at a time: a second request does
// not start while the first is still being handled. (A broken ordering is
// caught by the bounded wait: the second handler would start at once; a
// correct one costs the wait.)
func TestInOrderOnceAPolicyIsSet(t *testing.T) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	h := NewHost(Options{Log: logrus.NewEntry(log)})
	ctx := context.Background()
	if err := h.setSecurityPolicy(ctx, &prot.LCOWConfidentialOptions{
		EncodedSecurityPolicy: base64.StdEncoding.EncodeToString([]byte(customPolicy)),
	}); err != nil {
		t.Fatal(err)
	}
	if !h.hasSecurityPolicy() {
		t.Fatal("no policy in force")
	}
	release, started := make(chan struct{}), make(chan string, 2)
	var running atomic.Int32
	handler := func(name string) bridge.Handler {
		return h.inOrder(bridge.HandlerFunc(func(context.Context, bridge.ResponseWriter, *bridge.Request) {
			if running.Add(1) > 1 {
				t.Errorf("%s ran while another request was being handled", name)
			}
			started <- name
			if name == "first" {
				<-release
			}
			running.Add(-1)
		}))
	}
	done := make(chan struct{})
	go func() { handler("first").ServeMsg(ctx, nopWriter{}, &bridge.Request{}); close(done) }()
	if got := <-started; got != "first" {
		t.Fatalf("%s started first", got)
	}
	second := make(chan struct{})
	go func() { handler("second").ServeMsg(ctx, nopWriter{}, &bridge.Request{}); close(second) }()
	select {
	case name := <-started:
		t.Fatalf("%s started while the first request was being handled", name)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	<-done
	if got := <-started; got != "second" {
		t.Fatalf("%s started second", got)
	}
	<-second
}
