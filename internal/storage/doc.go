// Package storage groups the GCS's storage concerns, one package each:
// overlay (container root file systems from layers), and the device kinds
// the host attaches.
package storage
