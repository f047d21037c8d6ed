package test

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/daemon"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/transport"
)

// The daemon runs in-process here because this bridge-only test publishes
// the notification itself; container exits publish them in the container
// tests.
func TestNotificationWhileDisconnectedArrivesAfterReconnect(t *testing.T) {
	dir := t.TempDir()
	addr := "unix://" + filepath.Join(dir, "host.sock")
	ln, err := client.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	bridgeAddr, _ := transport.ParseAddr(addr)
	relay, _ := transport.ParseRelay("unix://" + dir)
	log := logrus.New()
	log.SetOutput(io.Discard)
	d, err := daemon.New(daemon.Config{Bridge: bridgeAddr, Relay: relay, V4: true, Log: logrus.NewEntry(log)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	accept := func() *client.Client {
		actx, acancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer acancel()
		c, err := ln.Accept(actx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Negotiate(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c1 := accept()
	c1.Close()
	// Let the daemon notice the drop before publishing.
	deadline := time.Now().Add(5 * time.Second)
	for d.Server().Serving() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	want := []string{"c-one", "c-two", "c-three"}
	for _, id := range want {
		if err := d.Server().Notify(&prot.ContainerNotification{
			MessageBase: prot.MessageBase{ContainerID: id, ActivityID: prot.NullContainerID},
			Type:        prot.NtForcedExit, Operation: prot.AoNone,
		}); err != nil {
			t.Fatal(err)
		}
	}
	c2 := accept()
	for _, id := range want {
		select {
		case n := <-c2.Notifications():
			if n.ContainerID != id || n.Type != prot.NtForcedExit {
				t.Fatalf("got %+v, want %s", n, id)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("notification for %s never arrived", id)
		}
	}
}
