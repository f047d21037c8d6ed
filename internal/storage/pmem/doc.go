// Package pmem mounts the read-only layers the host attaches as VPMem
// devices (ModifySettings VPMemDevice).
//
// Device lookup: VPMem device N is /dev/pmemN, under Hyper-V and outside
// it alike (qemu's nvdimm also makes /dev/pmemN). The host's SCSI
// controllers are looked up by package scsi; outside Hyper-V, where there
// is no VMBus, SCSI controller N is the Nth SCSI host adapter (so qemu's
// virtio-scsi works), and network adapters are found by MAC address.
//
// A layer is an ext4 file system mounted read-only with noload (its
// journal is never replayed). With MappingInfo it is a byte range of the
// device, several layers sharing one device: a dm-linear device is made
// over the range first, named for the device and the range's offset
// (pmem<N>-<offset>-linear), so layers of one device coexist. With
// VerityInfo a dm-verity device (pmem<N>[-<offset>]-verity) checks every
// block against the root digest; see Verity for what is supported.
// Unmount removes the mount and those devices.
package pmem
