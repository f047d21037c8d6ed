// Package crypt turns a SCSI disk into encrypted scratch space the way the
// reference GCS does, by driving the cryptsetup command line tool.
//
// Cryptsetup is a thin typed wrapper over that tool in the style of
// containerd/go-runc: one method per command (LuksFormat, Open, Close),
// each taking a context and an options struct whose args method renders
// its flags. Every command is bounded by a timeout and runs through a Run
// seam, so that a daemon that is a child subreaper collects its exit
// status through its reaper and can place it in a cgroup of its choosing.
//
// Scratch puts the pieces together for an Encrypted MappedVirtualDisk: a
// random key is written to a file in a memory-backed directory (tmpfs, mode
// 0600 in a 0700 directory), the disk is formatted with LUKS2 and
// authenticated encryption (aes-xts-plain64 with hmac-sha256 integrity,
// 4096-byte sectors, no integrity wipe, a cheap PBKDF2 since the key is
// random rather than a passphrase) and opened without an integrity journal,
// and the key file is removed. The key never reaches persistent storage, a
// command line or a log; once the mapping is closed nobody can read the
// disk again, so its content is scratch.
package crypt
