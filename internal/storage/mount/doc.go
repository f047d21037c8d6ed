// Package mount holds the helpers the storage device packages (scsi, pmem,
// plan9, devmapper users) share: path checks that confine mount targets to
// allowed roots, directories made, opened and mount points held (OpenTarget)
// and files and links written through no symbolic link, mount propagation
// options, /proc/self/mountinfo lookups,
// unmounting with a bounded wait for busy mounts, block device size and
// file system detection by superblock magic.
//
// Its subpackage mounttest provides loop devices, file system images,
// kernel feature probes and a directory swapped for a link in a loop
// (Swap, for race tests) for those packages' tests.
package mount
