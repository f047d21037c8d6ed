// Package plan9 mounts the host's directory shares (ModifySettings
// MappedDirectory) over Plan 9: the GCS dials the share's port on the host
// (vsock; transport.RelayDialer) and Mount hands the kernel's 9p client
// that connection (trans=fd, 9P2000.L, msize 65536, aname=<share>), which
// then owns its own reference to the socket.
package plan9
