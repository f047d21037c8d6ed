// Package scsi finds, mounts and unplugs the SCSI disks the host attaches
// through ModifySettings MappedVirtualDisk and SCSIDevice.
//
// Device lookup. The host names a disk by controller index (0-3), LUN and
// partition. Under Hyper-V controller i is the VMBus SCSI controller whose
// instance GUID is ControllerGUID(i); the guest's SCSI host number N is the
// N of the host<N> entry under /sys/bus/vmbus/devices/<guid>/. Outside
// Hyper-V, where there is no VMBus (no /sys/bus/vmbus), SCSI controller N is
// the Nth SCSI host adapter of /sys/class/scsi_host in host-number order, so
// qemu's virtio-scsi works. The disk is then the block device under
// /sys/bus/scsi/devices/<N>:0:0:<lun>/block/, waited for with a bound, and
// a non-zero partition P its node <name>P (<name>pP when the name ends in a
// digit). (Elsewhere outside Hyper-V: network adapters are found by MAC
// address, and VPMem device N is /dev/pmemN; see package pmem.)
//
// Mounting. Mounter.Mount applies the reference's MappedVirtualDisk rules:
// read-only ext4 mounts add noload (xfs: norecovery); EnsureFilesystem
// formats the device with Filesystem (ext4 by default, or xfs) unless its
// superblock already says it carries that file system; Filesystem otherwise
// forces the mount type, and without it the superblock decides, else ext4
// then xfs are tried; Options may only be propagation flags, applied by a
// remount; BlockDev links the target to the device instead of mounting;
// Encrypted formats the device with LUKS2 and authenticated encryption
// (aes-xts-plain64 with hmac-sha256 integrity, 4096-byte sectors) under a
// random key that never reaches a disk, opens it with cryptsetup (package
// crypt, run through Mounter.Run like mkfs) and formats the mapping: an
// encrypted disk is scratch, its content lost when it is unmounted.
// Mounter.Unmount undoes whichever was done, closing an encrypted mapping
// with cryptsetup. Targets may be confined to AllowedRoots.
package scsi
