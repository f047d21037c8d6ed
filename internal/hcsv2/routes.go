package hcsv2

import (
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
)

// Register adds the Host's handlers for protocol v4 to m.
func (h *Host) Register(m *bridge.Mux) {
	v4 := prot.PvV4
	m.HandleFunc(prot.ComputeSystemCreateV1, v4, h.handleCreate)
	m.HandleFunc(prot.ComputeSystemStartV1, v4, h.handleStart)
	m.Handle(prot.ComputeSystemShutdownGracefulV1, v4, h.shutdown(unix.SIGTERM))
	m.Handle(prot.ComputeSystemShutdownForcedV1, v4, h.shutdown(unix.SIGKILL))
	m.HandleFunc(prot.ComputeSystemExecuteProcessV1, v4, h.handleExecuteProcess)
	m.Handle(prot.ComputeSystemWaitForProcessV1, v4, bridge.HandlerFunc(h.handleWaitForProcess))
	m.HandleFunc(prot.ComputeSystemSignalProcessV1, v4, h.handleSignalProcess)
	m.HandleFunc(prot.ComputeSystemResizeConsoleV1, v4, h.handleResizeConsole)
	m.HandleFunc(prot.ComputeSystemGetPropertiesV1, v4, h.handleGetProperties)
	m.HandleFunc(prot.ComputeSystemModifySettingsV1, v4, h.handleModifySettings)
	m.HandleFunc(prot.ComputeSystemDeleteContainerStateV1, v4, h.handleDeleteContainerState)
}
