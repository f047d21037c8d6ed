// Package guest holds the tests that drive the GCS inside the test VM
// (make vm-test). Its test binary is built on the host with go test -c and
// put into the VM image; the image's init runs it while gcs dials
// vsock://1:1073741824. The tests play the host: they listen on that port
// with client.Listen, hand out stdio relay ports over vsock loopback, serve
// Plan 9 shares, and ask the host-side runner (over the ttyS2 control
// channel) to hot-plug disks through QMP.
//
// Outside the VM (GCS_VM=1 is set by the image's init) the tests skip,
// except the ones that check the test helpers themselves.
package guest
