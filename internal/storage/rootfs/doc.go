// Package rootfs reads files of a container's root file system from the
// utility VM without ever leaving it: every path is resolved inside the
// rootfs (symbolic links, absolute or with "..", stay within it), only
// regular files are read, and reads are bounded in size and time, so that
// a hostile container cannot make the GCS read a VM file, block on a FIFO
// or spin on an endless device. Users and groups (exec users, and later
// the inits and supplementary groups of CRI pods) are resolved with it.
package rootfs
