package client_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

func TestIDsStartAtZero(t *testing.T) {
	c, f := newPair(t)
	ctx := testContext(t)
	var (
		mu  sync.Mutex
		ids []prot.SequenceID
	)
	f.serve(func(r request) any {
		mu.Lock()
		defer mu.Unlock()
		ids = append(ids, r.header.ID)
		return &prot.DumpStacksResponse{GuestStacks: "x"}
	})
	for range 3 {
		if _, err := c.DumpStacks(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []prot.SequenceID{0, 1, 2}; !slices.Equal(ids, want) {
		t.Errorf("request IDs = %v, want %v", ids, want)
	}
}

func TestConcurrentCallsAnsweredInReverse(t *testing.T) {
	const n = 256
	c, f := newPair(t)
	ctx := testContext(t)

	results := make([]<-chan result, n)
	for i := range n {
		results[i] = goCall(func() error {
			req := prot.MessageBase{ContainerID: strconv.Itoa(i)}
			var resp prot.DumpStacksResponse
			if err := c.Call(ctx, prot.ComputeSystemDumpStacksV1, &req, &resp); err != nil {
				return err
			}
			if resp.GuestStacks != req.ContainerID {
				return fmt.Errorf("call %d got the answer for %q", i, resp.GuestStacks)
			}
			return nil
		})
	}

	reqs := make([]request, n)
	for i := range reqs {
		reqs[i] = f.mustRecv(t)
	}
	slices.SortFunc(reqs, func(a, b request) int { return int(b.header.ID) - int(a.header.ID) })
	for i, r := range reqs {
		if want := prot.SequenceID(n - 1 - i); r.header.ID != want {
			t.Fatalf("request IDs are not exactly 0..%d: at %d got %d", n-1, want, r.header.ID)
		}
	}
	for _, r := range reqs { // highest ID first
		var base prot.MessageBase
		if err := prot.UnmarshalJSON(r.body, &base); err != nil {
			t.Fatal(err)
		}
		f.mustReply(t, r, &prot.DumpStacksResponse{GuestStacks: base.ContainerID})
	}
	for _, ch := range results {
		if err := waitResult(t, ch); err != nil {
			t.Error(err)
		}
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err() = %v after a clean exchange", err)
	}
}

func TestErrorReplies(t *testing.T) {
	tests := []struct {
		name    string
		hr      prot.HResult
		message string
		want    string
	}{
		{"system not found", prot.HrVmcomputeSystemNotFound, "HRESULT: 0xc037010e",
			"gcs: ComputeSystemStartV1: HRESULT: 0xc037010e"},
		{"not implemented", prot.HrNotImpl, "not negotiated",
			"gcs: ComputeSystemStartV1: HRESULT 0x80004001: not negotiated"},
		{"element not found", prot.HrElementNotFound, "no such pid",
			"gcs: ComputeSystemStartV1: HRESULT 0x80070490: no such pid"},
		{"no message", prot.HrFail, "",
			"gcs: ComputeSystemStartV1: HRESULT 0x80004005"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newPair(t)
			ch := goCall(func() error { return c.Start(testContext(t), "c1") })
			r := f.mustRecv(t)
			resp := &prot.MessageResponseBase{Result: int32(tt.hr), ErrorMessage: tt.message}
			if tt.message != "" {
				resp = prot.ErrorResponse("", errors.New(tt.message))
				resp.Result, resp.ErrorRecords[0].Result = int32(tt.hr), int32(tt.hr)
			}
			f.mustReply(t, r, resp)
			err := waitResult(t, ch)

			var e *client.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not a *client.Error", err, err)
			}
			if e.Type != prot.ComputeSystemStartV1 || e.HResult != tt.hr || e.Message != tt.message {
				t.Errorf("Error = %+v", e)
			}
			if len(e.Records) != len(resp.ErrorRecords) || (len(e.Records) > 0 && e.Records[0].ModuleName != "gcs") {
				t.Errorf("Records = %+v, want %+v", e.Records, resp.ErrorRecords)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if got := client.HResult(fmt.Errorf("wrapped: %w", err)); got != tt.hr {
				t.Errorf("HResult = %v, want %v", got, tt.hr)
			}
			if c.Err() != nil {
				t.Errorf("an error reply ended the client: %v", c.Err())
			}
		})
	}
}

func TestHResult(t *testing.T) {
	tests := []struct {
		err  error
		want prot.HResult
	}{
		{nil, prot.HrOK},
		{errors.New("plain"), prot.HrFail},
		{&client.Error{HResult: prot.HrVmcomputeTimeout}, prot.HrVmcomputeTimeout},
		{prot.NewError(prot.HrInvalidArg), prot.HrInvalidArg},
		{context.Canceled, prot.HrFail},
	}
	for _, tt := range tests {
		if got := client.HResult(tt.err); got != tt.want {
			t.Errorf("HResult(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestContextEndsPendingCall(t *testing.T) {
	tests := []struct {
		name string
		ctx  func(context.Context) (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", context.WithCancel, context.Canceled},
		{"deadline", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 50*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newPair(t)
			ctx, cancel := tt.ctx(testContext(t))
			defer cancel()
			ch := goCall(func() error { _, err := c.DumpStacks(ctx); return err })
			pending := f.mustRecv(t)
			if tt.want == context.Canceled {
				cancel()
			}
			if err := waitResult(t, ch); !errors.Is(err, tt.want) {
				t.Fatalf("call returned %v, want %v", err, tt.want)
			}
			// The late response must be absorbed, not treated as unmatched.
			f.mustReply(t, pending, &prot.DumpStacksResponse{GuestStacks: "late"})
			next := goCall(func() error {
				s, err := c.DumpStacks(testContext(t))
				if err == nil && s != "fresh" {
					err = fmt.Errorf("got stacks %q, want %q", s, "fresh")
				}
				return err
			})
			r := f.mustRecv(t)
			if r.header.ID != pending.header.ID+1 {
				t.Errorf("next request has ID %d, want %d", r.header.ID, pending.header.ID+1)
			}
			f.mustReply(t, r, &prot.DumpStacksResponse{GuestStacks: "fresh"})
			if err := waitResult(t, next); err != nil {
				t.Fatal(err)
			}
			if err := c.Err(); err != nil {
				t.Errorf("late response ended the client: %v", err)
			}
		})
	}
}

func TestResponseTypeMismatch(t *testing.T) {
	c, f := newPair(t)
	ch := goCall(func() error { return c.Start(testContext(t), "c1") })
	r := f.mustRecv(t)
	if err := f.send(prot.ComputeSystemResponseShutdownForcedV1, r.header.ID, []byte(`{"Result":0}`)); err != nil {
		t.Fatal(err)
	}
	err := waitResult(t, ch)
	if err == nil || !strings.Contains(err.Error(), "response has type 0x20100401, want 0x20100201") {
		t.Fatalf("Start returned %v, want a response type error", err)
	}
}

func TestRaw(t *testing.T) {
	c, f := newPair(t)
	body := []byte(`{"not":"checked"`) // sent as is, even when not JSON
	type rawResult struct {
		h    prot.MessageHeader
		body []byte
		err  error
	}
	ch := make(chan rawResult, 1)
	go func() {
		h, b, err := c.Raw(testContext(t), 0x10100e01, body)
		ch <- rawResult{h, b, err}
	}()
	r := f.mustRecv(t)
	if r.header.Type != 0x10100e01 || string(r.body) != string(body) {
		t.Errorf("wire: type %#x body %q, want %#x %q", uint32(r.header.Type), r.body, 0x10100e01, body)
	}
	reply := []byte(`{"Result":-2147467263,"ErrorMessage":"nope"}`)
	if err := f.send(0x20100e01, r.header.ID, reply); err != nil {
		t.Fatal(err)
	}
	res := <-ch
	if res.err != nil {
		t.Fatalf("Raw: %v (a failure Result must not be interpreted)", res.err)
	}
	want := prot.MessageHeader{Type: 0x20100e01, Size: uint32(16 + len(reply)), ID: r.header.ID}
	if res.h != want || string(res.body) != string(reply) {
		t.Errorf("Raw = %+v %q, want %+v %q", res.h, res.body, want, reply)
	}
}

func TestClose(t *testing.T) {
	c, f := newPair(t)
	ch := goCall(func() error { _, err := c.DumpStacks(testContext(t)); return err })
	f.mustRecv(t)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := waitResult(t, ch); !errors.Is(err, client.ErrClosed) {
		t.Errorf("pending call returned %v, want ErrClosed", err)
	}
	waitDone(t, c)
	if err := c.Err(); err != client.ErrClosed {
		t.Errorf("Err() = %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := c.Start(testContext(t), "c1"); !errors.Is(err, client.ErrClosed) {
		t.Errorf("call after Close returned %v, want ErrClosed", err)
	}
	if _, ok := <-c.Notifications(); ok {
		t.Error("Notifications channel still open after Close")
	}
}
