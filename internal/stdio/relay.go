package stdio

import (
	"context"
	"time"
)

// Relay is what the process-wait path needs from a stdio relay.
type Relay interface {
	// Wait is called after the process exited; it returns once the
	// remaining output has been relayed (within bounds) and the
	// connections are closed.
	Wait(ctx context.Context) error
	// Close releases everything without draining.
	Close()
}

// Default bounds applied to zero Timeouts fields.
const (
	// DefaultDrainIdle is how long Wait waits for more output when none
	// arrives.
	DefaultDrainIdle = time.Second
	// DefaultDrainMax caps the whole drain started by Wait.
	DefaultDrainMax = 30 * time.Second
	// DefaultHostCloseTimeout is how long an output stream waits, after
	// half-closing its connection, for the host to close its side.
	DefaultHostCloseTimeout = 5 * time.Second
)

// Timeouts bound the end of a relay. Zero fields take the defaults.
type Timeouts struct {
	// DrainIdle ends the drain when no output arrived for this long.
	DrainIdle time.Duration
	// DrainMax ends the drain this long after Wait started it, data
	// flowing or not.
	DrainMax time.Duration
	// HostCloseTimeout bounds the wait for the host to close an output
	// connection after it was half-closed.
	HostCloseTimeout time.Duration
}

// withDefaults returns t with zero fields replaced by the defaults.
func (t Timeouts) withDefaults() Timeouts {
	if t.DrainIdle <= 0 {
		t.DrainIdle = DefaultDrainIdle
	}
	if t.DrainMax <= 0 {
		t.DrainMax = DefaultDrainMax
	}
	if t.HostCloseTimeout <= 0 {
		t.HostCloseTimeout = DefaultHostCloseTimeout
	}
	return t
}

// Both relays serve the process-wait path.
var (
	_ Relay = (*PipeRelay)(nil)
	_ Relay = (*TTYRelay)(nil)
)
