package bridge

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// slowSink is a connection whose kernel takes its time: every Write waits a
// little before it copies the bytes out, as a socket under pressure does, so
// a buffer that is changed while a write is under way shows up corrupted.
type slowSink struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func (s *slowSink) Write(b []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(b)
}

func (s *slowSink) Close() error { return nil }

// replyBody is a large body that names its id in every byte, so a body
// carried under another id, or shifted, is seen.
func replyBody(id int, size int) []byte {
	tag := fmt.Sprintf("%08d", id)
	return bytes.Repeat([]byte(tag), size/len(tag))
}

func TestWriterKeepsLargeConcurrentRepliesIntact(t *testing.T) {
	const writers, each, size = 32, 8, 60 << 10
	sink := &slowSink{}
	mw := newMsgWriter(sink, sink)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := w*each + i + 1
				if err := mw.write(prot.ComputeSystemResponseDumpStacksV1, prot.SequenceID(id), replyBody(id, size)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	seen := make(map[prot.SequenceID]bool)
	r := bytes.NewReader(sink.out.Bytes())
	for {
		h, body, err := prot.ReadMessage(r, prot.MaxOutboundMessageSize)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d good messages: %v", len(seen), err)
		}
		if h.Type != prot.ComputeSystemResponseDumpStacksV1 || seen[h.ID] {
			t.Fatalf("message %d: header %+v (duplicate %v)", len(seen), h, seen[h.ID])
		}
		if want := replyBody(int(h.ID), size); !bytes.Equal(body, want) {
			t.Fatalf("reply %d carries another body (starts %q)", h.ID, body[:min(len(body), 16)])
		}
		seen[h.ID] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("%d replies on the wire, want %d", len(seen), writers*each)
	}
}

func TestWriterBoundsPendingBytes(t *testing.T) {
	// A sink that never finishes its first write: everything else piles up.
	block := make(chan struct{})
	sink := &blockingSink{block: block}
	mw := newMsgWriter(sink, sink)
	const writers = 64
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mw.write(prot.ComputeSystemResponseDumpStacksV1, prot.SequenceID(i), make([]byte, 60<<10))
		}()
	}
	// Watch the pending buffer for a while as the writers pile up behind
	// the stuck write: a bounded writer parks those that do not fit.
	for start := time.Now(); time.Since(start) < 500*time.Millisecond; time.Sleep(time.Millisecond) {
		mw.mu.Lock()
		n := len(mw.pending)
		mw.mu.Unlock()
		if n > maxPendingBytes {
			close(block)
			wg.Wait()
			t.Fatalf("%d bytes pending, bound %d", n, maxPendingBytes)
		}
	}
	close(block)
	wg.Wait()
	if got := binary.LittleEndian.Uint32(sink.first[4:8]); got != prot.MessageHeaderSize+60<<10 {
		t.Fatalf("first message size %d", got)
	}
}

// blockingSink holds its first Write until block is closed.
type blockingSink struct {
	block chan struct{}
	once  sync.Once
	first []byte
}

func (s *blockingSink) Write(b []byte) (int, error) {
	s.once.Do(func() {
		s.first = append([]byte(nil), b[:prot.MessageHeaderSize]...)
		<-s.block
	})
	return len(b), nil
}

func (s *blockingSink) Close() error { return nil }

// TestAppendResponseIsMarshal checks that a reply, whether written by hand
// (a bare success) or by json, is the header plus json.Marshal's bytes.
func TestAppendResponseIsMarshal(t *testing.T) {
	tests := []struct {
		name string
		resp prot.Response
	}{
		{"bare", &prot.MessageResponseBase{}},
		{"activity", &prot.MessageResponseBase{ActivityID: "00000000-0000-0000-0000-000000000000"}},
		{"negative result", &prot.MessageResponseBase{Result: int32(prot.HrFail), ActivityID: "a"}},
		{"largest result", &prot.MessageResponseBase{Result: 1<<31 - 1}},
		{"html in activity", &prot.MessageResponseBase{ActivityID: "<a&b>"}},
		{"escapes in activity", &prot.MessageResponseBase{ActivityID: "q\"\\\n\x7f\u2028é\xff"}},
		{"error message", &prot.MessageResponseBase{Result: 1, ErrorMessage: "m"}},
		{"error records", &prot.MessageResponseBase{ErrorRecords: []prot.ErrorRecord{{Message: "m"}}}},
		{"empty error records", &prot.MessageResponseBase{ErrorRecords: []prot.ErrorRecord{}}},
		{"embedded base", &prot.NegotiateProtocolResponse{Version: 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := json.Marshal(tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			want := prot.AppendMessage([]byte("prefix"), prot.ComputeSystemResponseStartV1, 9, body)
			got := appendResponse([]byte("prefix"), prot.ComputeSystemResponseStartV1, 9, tc.resp)
			if !bytes.Equal(got, want) {
				t.Errorf("appendResponse\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestEveryReplyFitsOneMessage: whatever a reply carries, what the writer
// makes of it is one bridge message, a success that cannot fit becoming an
// error reply. The bridge refuses requests with long ids, but the writer
// must not rely on it: the host drops the bridge on a larger message, and
// one the writer refuses wedges the outbox.
func TestEveryReplyFitsOneMessage(t *testing.T) {
	long := strings.Repeat("a", 70000)
	tests := []struct {
		name string
		resp prot.Response
		want prot.HResult
	}{
		{"bare success, long ActivityId", &prot.MessageResponseBase{ActivityID: long}, prot.HrFail},
		{"success, long ActivityId", &prot.NegotiateProtocolResponse{MessageResponseBase: prot.MessageResponseBase{ActivityID: long}}, prot.HrFail},
		{"long success, long ActivityId", &prot.ContainerGetPropertiesResponse{MessageResponseBase: prot.MessageResponseBase{ActivityID: long}, Properties: long}, prot.HrFail},
		{"long success", &prot.ContainerGetPropertiesResponse{Properties: long}, prot.HrFail},
		{"error, long ActivityId", errorBody(long, errors.New(long)), prot.HrFail},
		{"error, escaped text", errorBody(strings.Repeat("<", maxIDBytes), errors.New(strings.Repeat("\x01", 100000))), prot.HrFail},
		{"bare success, ActivityId at the bound", &prot.MessageResponseBase{ActivityID: long[:maxIDBytes]}, prot.HrOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, msg := range []struct {
				how string
				b   []byte
			}{
				{"appendResponse", appendResponse(nil, prot.ComputeSystemResponseStartV1, 9, tc.resp)},
				{"encodeResponse", prot.AppendMessage(nil, prot.ComputeSystemResponseStartV1, 9, encodeResponse(tc.resp))},
			} {
				h, body, err := prot.ReadMessage(bytes.NewReader(msg.b), prot.MaxOutboundMessageSize)
				if err != nil {
					t.Fatalf("%s: %v", msg.how, err)
				}
				var base prot.MessageResponseBase
				if err := json.Unmarshal(body, &base); err != nil || h.ID != 9 || prot.HResult(base.Result) != tc.want {
					t.Fatalf("%s: %+v %.200s (%v), want Result %s", msg.how, h, body, err, tc.want)
				}
			}
		})
	}
}
