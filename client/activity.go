package client

import (
	"crypto/rand"
	"fmt"

	"github.com/linux-gcs/gcs/internal/prot"
)

// newActivityID returns a fresh random (version 4) GUID in the lower-case
// 8-4-4-4-12 form the bridge uses for ActivityId.
func newActivityID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics instead).
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newBase returns the request base for containerID with a fresh ActivityId.
func newBase(containerID string) prot.MessageBase {
	return prot.MessageBase{ContainerID: containerID, ActivityID: newActivityID()}
}
