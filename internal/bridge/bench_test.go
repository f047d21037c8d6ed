package bridge

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// benchStartBody is a Start request as the host sends it.
var benchStartBody = []byte(`{"ContainerId":"3f1c6a7e9b2d4c5f8a1e0b3d6c9f2a5e8b1d4c7f0a3e6b9d2c5f8a1e4b7d0c3f","ActivityId":"00000000-0000-0000-0000-000000000000"}` + "\n")

// BenchmarkServe measures the bridge alone (framing, base decode, dispatch,
// reply encode, write) over a real unix socket, with a handler that does
// nothing and 64 or 256 (goal 3's burst) requests in flight, pipelined by a
// raw peer.
func BenchmarkServe(b *testing.B) {
	for _, inFlight := range []int{64, 256} {
		b.Run(fmt.Sprintf("inflight=%d", inFlight), func(b *testing.B) { benchServe(b, inFlight) })
	}
}

func benchServe(b *testing.B, inFlight int) {
	m := testMux()
	m.HandleFunc(prot.ComputeSystemStartV1, prot.PvV4, func(context.Context, *Request) (prot.Response, error) {
		return &prot.MessageResponseBase{}, nil
	})
	srv := NewServer(Options{Handler: m, Log: quietLog()})
	path := filepath.Join(b.TempDir(), "b.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			srv.ServeConn(context.Background(), c)
		}
	}()
	conn, err := net.Dial("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	conn.Write(prot.AppendMessage(nil, prot.ComputeSystemNegotiateProtocolV1, 0, []byte(`{"MinimumVersion":4,"MaximumVersion":4}`)))
	if _, _, err := prot.ReadMessage(conn, 1<<20); err != nil {
		b.Fatal(err)
	}
	body := benchStartBody
	credit := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	wg.Add(1)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		defer wg.Done()
		for i := 0; i < b.N; i++ {
			if _, _, err := prot.ReadMessage(conn, 1<<20); err != nil {
				b.Error(err)
				return
			}
			<-credit
		}
	}()
	var buf []byte
	for i := 0; i < b.N; i++ {
		credit <- struct{}{}
		buf = prot.AppendMessage(buf[:0], prot.ComputeSystemStartV1, prot.SequenceID(i+1), body)
		if _, err := conn.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
}

// BenchmarkFitText measures trimming a real dump of 2000 parked goroutines
// (about 10 times the limit) to one reply: fitText's one pass against the
// search that encodes the reply at every step.
func BenchmarkFitText(b *testing.B) {
	stop := make(chan struct{})
	defer close(stop)
	for i := 0; i < 2000; i++ {
		go func() { <-stop }()
	}
	buf := make([]byte, 4<<20)
	dump := string(buf[:runtime.Stack(buf, true)])
	b.Run("one-pass", func(b *testing.B) {
		for b.Loop() {
			fitText(dump, prot.NullContainerID)
		}
	})
	b.Run("search", func(b *testing.B) {
		for b.Loop() {
			fitTextSearch(dump, prot.NullContainerID)
		}
	})
}

// BenchmarkDumpStacks measures DumpStacks dumps, one after the other as a
// host asks for them, in a daemon running 200 containers: two goroutines
// each, parked copying a pipe, as the stdio relays are.
func BenchmarkDumpStacks(b *testing.B) {
	for i := 0; i < 400; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { w.Close(); r.Close() })
		go io.Copy(io.Discard, r)
	}
	time.Sleep(50 * time.Millisecond) // let the copies park
	b.ReportAllocs()
	d := &stackDumper{}
	for b.Loop() {
		if d.stacks() == "" {
			b.Fatal("empty dump")
		}
	}
}
