package client_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// note returns notification number i.
func note(i int) *prot.ContainerNotification {
	return &prot.ContainerNotification{
		MessageBase: prot.MessageBase{ContainerID: strconv.Itoa(i), ActivityID: prot.NullContainerID},
		Type:        prot.NtUnexpectedExit,
		Operation:   prot.AoNone,
	}
}

// receiveNotes reads n notifications and checks they are 0..n-1 in order.
func receiveNotes(t *testing.T, ch <-chan *prot.ContainerNotification, n int) {
	t.Helper()
	for i := range n {
		select {
		case got, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed after %d of %d notifications", i, n)
			}
			if got.ContainerID != strconv.Itoa(i) || got.Type != prot.NtUnexpectedExit {
				t.Fatalf("notification %d = %+v", i, got)
			}
		case <-time.After(testTimeout):
			t.Fatalf("notification %d not delivered", i)
		}
	}
}

// waitClosed waits for ch to be closed, failing on any further value.
func waitClosed(t *testing.T, ch <-chan *prot.ContainerNotification) {
	t.Helper()
	select {
	case n, ok := <-ch:
		if ok {
			t.Fatalf("unexpected notification %+v", n)
		}
	case <-time.After(testTimeout):
		t.Fatal("Notifications channel not closed")
	}
}

func TestNotificationsQueuedWhileNobodyReads(t *testing.T) {
	const n = 1000
	c, f := newPair(t)
	ch := goCall(func() error { _, err := c.DumpStacks(testContext(t)); return err })
	pending := f.mustRecv(t)
	for i := range n {
		if err := f.notify(note(i)); err != nil {
			t.Fatalf("notification %d: %v", i, err)
		}
	}
	// Nobody has read a notification yet, yet the reader must still be
	// free to deliver this response.
	f.mustReply(t, pending, &prot.DumpStacksResponse{})
	if err := waitResult(t, ch); err != nil {
		t.Fatal(err)
	}
	receiveNotes(t, c.Notifications(), n)
	select {
	case extra := <-c.Notifications():
		t.Fatalf("unexpected extra notification %+v", extra)
	default:
	}
}

func TestNotificationsDeliveredAfterConnectionLoss(t *testing.T) {
	const n = 3
	c, f := newPair(t)
	for i := range n {
		if err := f.notify(note(i)); err != nil {
			t.Fatal(err)
		}
	}
	_ = f.conn.Close()
	waitDone(t, c)
	receiveNotes(t, c.Notifications(), n)
	waitClosed(t, c.Notifications())
}

func TestNotificationsDiscardedOnClose(t *testing.T) {
	c, f := newPair(t)
	for i := range 5 {
		if err := f.notify(note(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// A notification may win the race with Close; the channel must close
	// regardless, without anyone draining the rest.
	timeout := time.After(testTimeout)
	for got := 0; ; got++ {
		select {
		case _, ok := <-c.Notifications():
			if !ok {
				return
			}
			if got == 5 {
				t.Fatal("more notifications than were sent")
			}
		case <-timeout:
			t.Fatal("Notifications channel not closed")
		}
	}
}
