package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Call sends a request of type typ with body req and waits for its
// response, which it decodes into resp (nil discards everything but the
// result). The body is encoded as the real host does: HTML escaping off and
// a trailing newline.
//
// A response with a non-zero Result is returned as an *Error. A response of
// the wrong type, or one that does not decode, is an error too. When ctx
// ends first, Call returns an error wrapping context.Cause(ctx) (ctx.Err()
// unless ctx was given a cause); the GCS's late
// response is then read and dropped.
func (c *Client) Call(ctx context.Context, typ prot.MessageIdentifier, req any, resp prot.Response) error {
	body, err := encodeJSON(req)
	if err != nil {
		return fmt.Errorf("gcs: %s: encode request: %w", typ, err)
	}
	h, rbody, err := c.roundTrip(ctx, typ, body)
	if err != nil {
		return fmt.Errorf("gcs: %s: %w", typ, err)
	}
	if want := prot.ResponseIdentifier(typ); h.Type != want {
		return fmt.Errorf("gcs: %s: response has type 0x%08x, want 0x%08x (%s)", typ, uint32(h.Type), uint32(want), want)
	}
	if resp == nil {
		resp = new(prot.MessageResponseBase)
	}
	if err := json.Unmarshal(rbody, resp); err != nil {
		return fmt.Errorf("gcs: %s: decode response: %w", typ, err)
	}
	if b := resp.Base(); b.Result != 0 {
		return &Error{Type: typ, HResult: prot.HResult(b.Result), Message: b.ErrorMessage, Records: b.ErrorRecords}
	}
	return nil
}

// Raw sends body, as is, as a request of type typ and returns the response
// header and body without interpreting them. Only transport, protocol and
// context failures are errors.
func (c *Client) Raw(ctx context.Context, typ prot.MessageIdentifier, body []byte) (prot.MessageHeader, []byte, error) {
	h, rbody, err := c.roundTrip(ctx, typ, body)
	if err != nil {
		return prot.MessageHeader{}, nil, fmt.Errorf("gcs: %s: %w", typ, err)
	}
	return h, rbody, nil
}

// roundTrip sends one request under a fresh ID and waits for the response
// with that ID.
func (c *Client) roundTrip(ctx context.Context, typ prot.MessageIdentifier, body []byte) (prot.MessageHeader, []byte, error) {
	if len(body) > math.MaxUint32-prot.MessageHeaderSize {
		return prot.MessageHeader{}, nil, fmt.Errorf("request body of %d bytes is too large", len(body))
	}
	if ctx.Err() != nil {
		return prot.MessageHeader{}, nil, context.Cause(ctx)
	}
	id := prot.SequenceID(c.nextID.Add(1) - 1)
	pc := &pendingCall{ch: make(chan reply, 1), want: prot.ResponseIdentifier(typ)}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return prot.MessageHeader{}, nil, err
	}
	c.pending[id] = pc
	c.mu.Unlock()

	if err := c.write(ctx, typ, id, body); err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return prot.MessageHeader{}, nil, err
	}

	select {
	case r := <-pc.ch:
		return r.header, r.body, nil
	case <-c.done:
		select {
		case r := <-pc.ch: // answered just before the client ended
			return r.header, r.body, nil
		default:
			return prot.MessageHeader{}, nil, c.Err()
		}
	case <-ctx.Done():
		// The request is on the wire, so its ID stays pending: the reader
		// consumes the late response into pc.ch, which nobody reads.
		return prot.MessageHeader{}, nil, context.Cause(ctx)
	}
}

// write sends one message contiguously, with a single Write, while holding
// the writer token. A failed or short write leaves the stream unusable and
// ends the client.
func (c *Client) write(ctx context.Context, typ prot.MessageIdentifier, id prot.SequenceID, body []byte) error {
	select {
	case c.wsem <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-c.done:
		return c.Err()
	}
	defer func() { <-c.wsem }()
	if err := c.Err(); err != nil {
		return err
	}
	msg := prot.AppendMessage(make([]byte, 0, prot.MessageHeaderSize+len(body)), typ, id, body)
	n, err := c.transport().Write(msg)
	if err == nil && n != len(msg) {
		err = fmt.Errorf("short write of %d of %d bytes", n, len(msg))
	}
	if err != nil {
		err = fmt.Errorf("write request %d: %w", id, err)
		if !c.migrating.Load() {
			c.fail(fmt.Errorf("gcs: %w", err))
		}
		return err
	}
	return nil
}

// encodeJSON encodes v as the real host does: HTML escaping disabled and a
// trailing newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeInner encodes v as a JSON document carried inside a JSON string
// (ContainerConfig, ProcessParameters, Query): like encodeJSON, without the
// newline.
func encodeInner(v any) (string, error) {
	b, err := encodeJSON(v)
	if err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(b, []byte("\n"))), nil
}
