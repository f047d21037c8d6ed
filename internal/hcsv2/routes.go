package hcsv2

import (
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
)

// Register adds the Host's handlers for protocol v4 to m. Once a security
// policy is set they run one at a time (inOrder), WaitForProcess excepted:
// a wait may last as long as the process.
func (h *Host) Register(m *bridge.Mux) {
	v4 := prot.PvV4
	serial := func(id prot.MessageIdentifier, handler bridge.Handler) { m.Handle(id, v4, h.inOrder(handler)) }
	serial(prot.ComputeSystemCreateV1, bridge.Func(h.handleCreate))
	serial(prot.ComputeSystemStartV1, bridge.Func(h.handleStart))
	serial(prot.ComputeSystemShutdownGracefulV1, h.shutdown(unix.SIGTERM))
	serial(prot.ComputeSystemShutdownForcedV1, h.shutdown(unix.SIGKILL))
	serial(prot.ComputeSystemExecuteProcessV1, bridge.Func(h.handleExecuteProcess))
	m.Handle(prot.ComputeSystemWaitForProcessV1, v4, bridge.HandlerFunc(h.handleWaitForProcess))
	serial(prot.ComputeSystemSignalProcessV1, bridge.Func(h.handleSignalProcess))
	serial(prot.ComputeSystemResizeConsoleV1, bridge.Func(h.handleResizeConsole))
	serial(prot.ComputeSystemGetPropertiesV1, bridge.Func(h.handleGetProperties))
	serial(prot.ComputeSystemModifySettingsV1, bridge.Func(h.handleModifySettings))
	serial(prot.ComputeSystemDeleteContainerStateV1, bridge.Func(h.handleDeleteContainerState))
}
