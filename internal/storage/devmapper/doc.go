// Package devmapper creates and removes device-mapper devices through the
// ioctls of /dev/mapper/control, so that no dmsetup or veritysetup binary
// is needed: a device is created (DM_DEV_CREATE), its table loaded
// (DM_TABLE_LOAD) and resumed (DM_DEV_SUSPEND), and removed with
// DM_DEV_REMOVE, retried while the device is busy. Create returns
// /dev/mapper/<name>, making that node itself (from the device number the
// kernel returns) where no udev does.
//
// Tables are built from Targets: Linear (a byte range of another device)
// and Verity (read-only, checked against a root digest; see
// BuildVerityTree for the hash tree format). Encrypted scratch, which
// wants LUKS2 with dm-integrity, is made with cryptsetup by package crypt.
package devmapper
