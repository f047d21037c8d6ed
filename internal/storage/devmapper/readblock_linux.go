package devmapper

import (
	"fmt"
	"os"
)

// ReadFirstBlock reads block 0 of a dm-verity device, which the kernel only
// returns if the hashes up to the root digest match: the check that a
// verity device just made really is the layer it claims. size is bounded
// by MaxVerityBlockSize (the table would not have loaded otherwise).
func ReadFirstBlock(dev string, size uint32) error {
	if size > MaxVerityBlockSize {
		return fmt.Errorf("verity block size %d: at most %d is supported", size, MaxVerityBlockSize)
	}
	f, err := os.Open(dev)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.ReadAt(make([]byte, size), 0)
	return err
}
