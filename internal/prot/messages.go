package prot

import (
	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// NullContainerID names the utility VM itself rather than a container.
const NullContainerID = "00000000-0000-0000-0000-000000000000"

// ProtocolVersion is the negotiated bridge protocol version.
type ProtocolVersion uint32

// Protocol versions. PvInvalid is the state of a connection that has not
// negotiated yet.
const (
	PvInvalid ProtocolVersion = 0
	PvV4      ProtocolVersion = 4
	PvMax     ProtocolVersion = PvV4
)

// InfiniteWaitTimeout is the WaitForProcess TimeoutInMs meaning "no timeout".
const InfiniteWaitTimeout = 0xffffffff

// OpenCensusSpanContext is the seed-vintage trace context a host may attach
// to a request ("ocsc"). It is informational only.
type OpenCensusSpanContext struct {
	TraceID      string `json:",omitempty"`
	SpanID       string `json:",omitempty"`
	TraceOptions uint32 `json:",omitempty"`
	Tracestate   string `json:",omitempty"`
}

// MessageBase starts every host-to-guest body and the notification.
type MessageBase struct {
	ContainerID           string                 `json:"ContainerId"`
	ActivityID            string                 `json:"ActivityId"`
	OpenCensusSpanContext *OpenCensusSpanContext `json:"ocsc,omitempty"`
	// OpenTelemetrySpanContext is the newer W3C trace context ("otsc").
	OpenTelemetrySpanContext map[string]string `json:"otsc,omitempty"`
}

// NegotiateProtocol is the NegotiateProtocol request body.
type NegotiateProtocol struct {
	MessageBase
	MinimumVersion uint32
	MaximumVersion uint32
}

// ProtocolSupport is the legacy version range a Create may carry.
type ProtocolSupport struct {
	MinimumVersion         string `json:",omitempty"`
	MaximumVersion         string `json:",omitempty"`
	MinimumProtocolVersion uint32
	MaximumProtocolVersion uint32
}

// ContainerCreate is the Create request body. ContainerConfig holds a JSON
// document (VMHostedContainerSettingsV2) inside a string.
type ContainerCreate struct {
	MessageBase
	ContainerConfig   string
	SupportedVersions ProtocolSupport `json:",omitempty"`
}

// SchemaVersion is a host schema version.
type SchemaVersion struct {
	Major uint32 `json:",omitempty"`
	Minor uint32 `json:",omitempty"`
}

// Cmp returns -1, 0 or 1 as s is older than, equal to or newer than v.
func (s SchemaVersion) Cmp(v SchemaVersion) int {
	switch {
	case s.Major != v.Major:
		if s.Major < v.Major {
			return -1
		}
		return 1
	case s.Minor != v.Minor:
		if s.Minor < v.Minor {
			return -1
		}
		return 1
	}
	return 0
}

// VMHostedContainerSettingsV2 is the document inside ContainerCreate.ContainerConfig.
type VMHostedContainerSettingsV2 struct {
	SchemaVersion    SchemaVersion
	OCIBundlePath    string    `json:"OciBundlePath,omitempty"`
	OCISpecification *oci.Spec `json:"OciSpecification,omitempty"`
	ScratchDirPath   string
}

// ExecuteProcessVsockStdioRelaySettings names the relay port of each stdio stream.
type ExecuteProcessVsockStdioRelaySettings struct {
	StdIn  uint32 `json:",omitempty"`
	StdOut uint32 `json:",omitempty"`
	StdErr uint32 `json:",omitempty"`
}

// ExecuteProcessSettings is the Settings object of ExecuteProcess.
// ProcessParameters holds a JSON document (ProcessParameters) in a string.
type ExecuteProcessSettings struct {
	ProcessParameters       string
	VsockStdioRelaySettings ExecuteProcessVsockStdioRelaySettings
}

// ContainerExecuteProcess is the ExecuteProcess request body.
type ContainerExecuteProcess struct {
	MessageBase
	Settings ExecuteProcessSettings
}

// ProcessParameters describes a process to run: a container's init (only the
// pipe flags matter), an exec in a container (OCIProcess), or a process in
// the utility VM itself (IsExternal, or the null container id).
type ProcessParameters struct {
	CommandLine      string            `json:",omitempty"`
	CommandArgs      []string          `json:",omitempty"`
	WorkingDirectory string            `json:",omitempty"`
	Environment      map[string]string `json:",omitempty"`
	EmulateConsole   bool              `json:",omitempty"`
	CreateStdInPipe  bool              `json:",omitempty"`
	CreateStdOutPipe bool              `json:",omitempty"`
	CreateStdErrPipe bool              `json:",omitempty"`
	IsExternal       bool              `json:"CreateInUtilityVM,omitempty"`
	OCISpecification *oci.Spec         `json:"OciSpecification,omitempty"`
	OCIProcess       *oci.Process      `json:"OciProcess,omitempty"`
}

// ContainerResizeConsole is the ResizeConsole request body.
type ContainerResizeConsole struct {
	MessageBase
	ProcessID uint32 `json:"ProcessId"`
	Height    uint16
	Width     uint16
}

// ContainerWaitForProcess is the WaitForProcess request body.
type ContainerWaitForProcess struct {
	MessageBase
	ProcessID   uint32 `json:"ProcessId"`
	TimeoutInMs uint32
}

// SignalProcessOptions carries the signal of a SignalProcess request.
type SignalProcessOptions struct {
	Signal int32
}

// ContainerSignalProcess is the SignalProcess request body. A zero or
// absent signal means SIGKILL.
type ContainerSignalProcess struct {
	MessageBase
	ProcessID uint32               `json:"ProcessId"`
	Options   SignalProcessOptions `json:",omitempty"`
}

// ContainerGetProperties is the GetProperties request body. Query holds a
// PropertyQuery document in a string; empty means no property types.
type ContainerGetProperties struct {
	MessageBase
	Query string
}

// PropertyType names a property a host can query.
type PropertyType string

// Property types. Only ProcessList and Statistics are answered on Linux.
const (
	PtMemory                      PropertyType = "Memory"
	PtCPUGroup                    PropertyType = "CpuGroup"
	PtStatistics                  PropertyType = "Statistics"
	PtProcessList                 PropertyType = "ProcessList"
	PtPendingUpdates              PropertyType = "PendingUpdates"
	PtTerminateOnLastHandleClosed PropertyType = "TerminateOnLastHandleClosed"
	PtMappedDirectory             PropertyType = "MappedDirectory"
	PtSystemGUID                  PropertyType = "SystemGUID"
	PtNetwork                     PropertyType = "Network"
	PtMappedPipe                  PropertyType = "MappedPipe"
	PtMappedVirtualDisk           PropertyType = "MappedVirtualDisk"
)

// PropertyQuery is the document inside ContainerGetProperties.Query.
type PropertyQuery struct {
	PropertyTypes []PropertyType `json:",omitempty"`
}

// ProcessDetails is one entry of a process list.
type ProcessDetails struct {
	ProcessID uint32 `json:"ProcessId"`
}

// PropertiesV2 is the document inside ContainerGetPropertiesResponse.Properties.
type PropertiesV2 struct {
	ProcessList []ProcessDetails `json:"ProcessList,omitempty"`
	Metrics     *Metrics         `json:"LCOWMetrics,omitempty"`
}

// ContainerModifySettings is the ModifySettings request body. After
// UnmarshalContainerModifySettings, Request is a *ModificationRequest whose
// Settings is the typed settings struct of its ResourceType.
type ContainerModifySettings struct {
	MessageBase
	Request any
}

// NotificationType is the kind of a container notification.
type NotificationType string

// Notification types. Only the three exit types are ever sent.
const (
	NtNone           NotificationType = "None"
	NtGracefulExit   NotificationType = "GracefulExit"
	NtForcedExit     NotificationType = "ForcedExit"
	NtUnexpectedExit NotificationType = "UnexpectedExit"
	NtReboot         NotificationType = "Reboot"
	NtConstructed    NotificationType = "Constructed"
	NtStarted        NotificationType = "Started"
	NtPaused         NotificationType = "Paused"
	NtUnknown        NotificationType = "Unknown"
)

// ActiveOperation is the operation a notification reports on.
type ActiveOperation string

// Active operations. The GCS always sends AoNone.
const (
	AoNone      ActiveOperation = "None"
	AoConstruct ActiveOperation = "Construct"
	AoStart     ActiveOperation = "Start"
	AoPause     ActiveOperation = "Pause"
	AoResume    ActiveOperation = "Resume"
	AoShutdown  ActiveOperation = "Shutdown"
	AoTerminate ActiveOperation = "Terminate"
)

// ContainerNotification is the only guest-to-host message that is not a
// response: a container's exit, sent with ComputeSystemNotificationV1 and ID 0.
type ContainerNotification struct {
	MessageBase
	Type       NotificationType
	Operation  ActiveOperation
	Result     int32
	ResultInfo string `json:",omitempty"`
}
