package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/linux-gcs/gcs/internal/transport"
)

// TestRunDialUndialable: a bridge address that can never be dialed (a
// Config built by hand; the gcs command refuses it at its flags) ends Run
// with an error saying so, not with nil as if the daemon had been asked to
// stop.
func TestRunDialUndialable(t *testing.T) {
	d, err := New(Config{Bridge: transport.Addr{Network: transport.NetworkStdio}, Log: testutil.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Run(ctx); err == nil || ctx.Err() != nil {
		t.Errorf("Run = %v (context: %v), want an error before the context ends", err, ctx.Err())
	}
}
