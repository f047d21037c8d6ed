package test

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// echoPeerEnv makes the test binary act as the benchmark's floor peer:
// "stdio" serves stdin/stdout, "unix:PATH" listens on PATH for one
// connection, "dial:PATH" dials PATH as the GCS dials its host.
const echoPeerEnv = "GCS_TEST_ECHO_PEER"

func runEchoPeer(mode string) int {
	if path, ok := strings.CutPrefix(mode, "dial:"); ok {
		conn, err := net.Dial("unix", path)
		if err != nil {
			return 1
		}
		echo(conn)
		return 0
	}
	if path, ok := strings.CutPrefix(mode, "unix:"); ok {
		ln, err := net.Listen("unix", path)
		if err != nil {
			return 1
		}
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			return 1
		}
		echo(conn)
		return 0
	}
	echo(pipeConn{r: os.Stdin, w: os.Stdout})
	return 0
}

// echo answers every message with a fixed success reply of the same ID
// (one selecting version 4 to Negotiate).
func echo(conn io.ReadWriteCloser) {
	defer conn.Close()
	reply := []byte(`{"Result":0,"ActivityId":"00000000-0000-0000-0000-000000000000"}`)
	negotiated := []byte(`{"Result":0,"ActivityId":"00000000-0000-0000-0000-000000000000","Version":4}`)
	var buf []byte
	for {
		h, _, err := prot.ReadMessage(conn, 1<<20)
		if err != nil {
			return
		}
		body := reply
		if h.Type == prot.ComputeSystemNegotiateProtocolV1 {
			body = negotiated
		}
		buf = prot.AppendMessage(buf[:0], prot.ResponseIdentifier(h.Type), h.ID, body)
		if _, err := conn.Write(buf); err != nil {
			return
		}
	}
}

// startEchoPeer runs the floor peer as a child process and returns a client
// connected to it over the given transport.
func startEchoPeer(b *testing.B, tr string) *client.Client {
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(self)
	var c *client.Client
	if tr == "pipe" {
		inR, inW, _ := os.Pipe()
		outR, outW, _ := os.Pipe()
		cmd.Env = append(os.Environ(), echoPeerEnv+"=stdio")
		cmd.Stdin, cmd.Stdout = inR, outW
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		inR.Close()
		outW.Close()
		c = client.New(pipeConn{r: outR, w: inW})
	} else {
		path := filepath.Join(b.TempDir(), "echo.sock")
		cmd.Env = append(os.Environ(), echoPeerEnv+"=unix:"+path)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		c = dialGCS(b, "unix://"+path)
	}
	b.Cleanup(func() {
		c.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return c
}
