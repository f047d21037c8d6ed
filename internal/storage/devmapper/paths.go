package devmapper

import "path/filepath"

// Paths of device-mapper's control node and of the nodes of its devices.
const (
	MapperDir   = "/dev/mapper"
	ControlPath = "/dev/mapper/control"
)

// Path returns the node of the device-mapper device name,
// /dev/mapper/<name>.
func Path(name string) string { return filepath.Join(MapperDir, name) }
