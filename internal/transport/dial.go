package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Default back-off bounds used by DialRetry for zero Backoff fields.
const (
	// DefaultBackoffInitial is the first delay between dial attempts.
	DefaultBackoffInitial = 100 * time.Millisecond
	// DefaultBackoffMax is the largest delay between dial attempts.
	DefaultBackoffMax = 2 * time.Second
)

// Dial connects to a. The context bounds the connection attempt only; once
// established, the connection is unaffected by ctx.
func Dial(ctx context.Context, a Addr) (net.Conn, error) {
	c, err := dial(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", a, err)
	}
	return c, nil
}

// dial is Dial without the error context.
func dial(ctx context.Context, a Addr) (net.Conn, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	var d net.Dialer
	switch a.Network {
	case NetworkVsock:
		return dialVsock(ctx, a.CID, a.Port)
	case NetworkUnix:
		return d.DialContext(ctx, "unix", a.Path)
	case NetworkTCP:
		return d.DialContext(ctx, "tcp", net.JoinHostPort(a.Host, strconv.FormatUint(uint64(a.Port), 10)))
	}
	return nil, errors.New("stdio cannot be dialed; use Stdio")
}

// Backoff configures the delays between DialRetry attempts. The delay starts
// at Initial and doubles after every failed attempt up to Max.
type Backoff struct {
	// Initial is the first delay; zero means DefaultBackoffInitial.
	Initial time.Duration
	// Max caps the delay; zero means DefaultBackoffMax.
	Max time.Duration
	// OnError, if not nil, is called after each failed attempt with the
	// 1-based attempt number and the attempt's error.
	OnError func(attempt int, err error)
}

// bounds returns the effective initial and maximum delays.
func (b Backoff) bounds() (initial, maxDelay time.Duration) {
	initial, maxDelay = b.Initial, b.Max
	if initial <= 0 {
		initial = DefaultBackoffInitial
	}
	if maxDelay <= 0 {
		maxDelay = DefaultBackoffMax
	}
	return min(initial, maxDelay), maxDelay
}

// DialRetry dials a until it succeeds or ctx is done, sleeping between
// attempts as configured by b. Addresses that can never be dialed (invalid
// ones, stdio) fail immediately. When ctx ends first, the returned error
// wraps ctx.Err() and mentions the last dial error.
func DialRetry(ctx context.Context, a Addr, b Backoff) (net.Conn, error) {
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("dial %s: %w", a, err)
	}
	if a.Network == NetworkStdio {
		return Dial(ctx, a)
	}
	delay, maxDelay := b.bounds()
	var lastErr error
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return nil, retryGiveUp(ctx, a, attempt-1, lastErr)
		}
		c, err := dial(ctx, a)
		if err == nil {
			return c, nil
		}
		lastErr = err
		if b.OnError != nil {
			b.OnError(attempt, fmt.Errorf("dial %s: %w", a, err))
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, retryGiveUp(ctx, a, attempt, lastErr)
		case <-t.C:
		}
		delay = min(2*delay, maxDelay)
	}
}

// retryGiveUp builds DialRetry's error once ctx is done.
func retryGiveUp(ctx context.Context, a Addr, attempts int, lastErr error) error {
	if lastErr == nil {
		return fmt.Errorf("dial %s: %w", a, ctx.Err())
	}
	return fmt.Errorf("dial %s: %w after %d attempts (last error: %v)", a, ctx.Err(), attempts, lastErr)
}
