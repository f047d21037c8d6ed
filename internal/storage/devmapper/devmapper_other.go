//go:build !linux

package devmapper

import (
	"context"
	"errors"
)

func errUnsupported() error { return errors.New("device-mapper is only supported on Linux") }

// Create is only supported on Linux.
func Create(ctx context.Context, name string, table Table) (string, error) {
	return "", errUnsupported()
}

// Remove is only supported on Linux.
func Remove(ctx context.Context, name string) error { return errUnsupported() }

// RemoveDeferred is only supported on Linux.
func RemoveDeferred(ctx context.Context, name string) error { return errUnsupported() }

// Exists reports false: there is no device-mapper outside Linux.
func Exists(ctx context.Context, name string) (bool, error) { return false, nil }

// Targets is only supported on Linux.
func Targets(ctx context.Context) (map[string][3]uint32, error) { return nil, errUnsupported() }
