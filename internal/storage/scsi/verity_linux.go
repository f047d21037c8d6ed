package scsi

import (
	"context"
	"fmt"

	"github.com/linux-gcs/gcs/internal/storage/devmapper"
)

// openVerity makes dm-verity device name over the layer on device and
// checks it: dm-verity only returns the first block if the hashes up to
// the root digest match. It returns the device's path.
func openVerity(ctx context.Context, device, name string, info *devmapper.VerityInfo) (string, error) {
	tg, err := info.Target(device).Target()
	if err != nil {
		return "", fmt.Errorf("dm-verity: %w", err)
	}
	p, err := devmapper.Create(ctx, name, devmapper.Table{ReadOnly: true, Targets: []devmapper.Target{tg}})
	if err != nil {
		return "", fmt.Errorf("dm-verity: %w", err)
	}
	if err := devmapper.ReadFirstBlock(p, info.BlockSize); err != nil {
		devmapper.Remove(context.WithoutCancel(ctx), name)
		return "", fmt.Errorf("dm-verity check failed: the root digest %s does not match the hash tree, or the layer is corrupt: %w", info.RootDigest, err)
	}
	return p, nil
}

// closeVerity removes dm-verity device name if it exists, deferred when
// its mount was only detached.
func closeVerity(ctx context.Context, name string, deferred bool) error {
	ok, err := devmapper.Exists(ctx, name)
	if err != nil || !ok {
		return err
	}
	if deferred {
		return devmapper.RemoveDeferred(ctx, name)
	}
	return devmapper.Remove(ctx, name)
}
