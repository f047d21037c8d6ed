package prot

// Response is implemented by every response body: they all embed
// MessageResponseBase.
type Response interface {
	Base() *MessageResponseBase
}

// ErrorRecord details one failure in a response.
type ErrorRecord struct {
	Result       int32
	Message      string
	StackTrace   string `json:",omitempty"`
	ModuleName   string
	FileName     string
	Line         uint32
	FunctionName string `json:",omitempty"`
}

// MessageResponseBase starts every response body.
type MessageResponseBase struct {
	Result       int32
	ActivityID   string        `json:"ActivityId,omitempty"`
	ErrorMessage string        `json:",omitempty"`
	ErrorRecords []ErrorRecord `json:",omitempty"`
}

// Base returns b itself, so that every response satisfies Response.
func (b *MessageResponseBase) Base() *MessageResponseBase { return b }

// ErrorModuleName is the ModuleName of every ErrorRecord the GCS sends.
const ErrorModuleName = "gcs"

// unknownLine is the ErrorRecord Line used when no source location is known.
const unknownLine = 0xffffffff

// ErrorResponse builds the base-only body the GCS sends for a failed request:
// Result is err's HRESULT (E_FAIL when it carries none) and a single
// ErrorRecord repeats it with the error text.
func ErrorResponse(activityID string, err error) *MessageResponseBase {
	if err == nil {
		err = NewError(HrFail)
	}
	hr := HResultOf(err)
	if hr == HrOK {
		hr = HrFail
	}
	msg := err.Error()
	return &MessageResponseBase{
		Result:       int32(hr),
		ActivityID:   activityID,
		ErrorMessage: msg,
		ErrorRecords: []ErrorRecord{{
			Result:     int32(hr),
			Message:    msg,
			ModuleName: ErrorModuleName,
			Line:       unknownLine,
		}},
	}
}

// OsType names the guest operating system in capabilities.
type OsType string

// OsTypeLinux is what the host expects from a Linux GCS.
const OsTypeLinux OsType = "Linux"

// GcsCapabilities are the capabilities returned by NegotiateProtocol.
type GcsCapabilities struct {
	SendHostCreateMessage    bool                 `json:",omitempty"`
	SendHostStartMessage     bool                 `json:",omitempty"`
	HVSocketConfigOnStartup  bool                 `json:"HvSocketConfigOnStartup,omitempty"`
	SupportedSchemaVersions  []SchemaVersion      `json:",omitempty"`
	RuntimeOsType            OsType               `json:",omitempty"`
	GuestDefinedCapabilities GcsGuestCapabilities `json:",omitempty"`
}

// GcsGuestCapabilities are the Linux GCS's own capability flags.
type GcsGuestCapabilities struct {
	NamespaceAddRequestSupported  bool `json:",omitempty"`
	SignalProcessSupported        bool `json:",omitempty"`
	DumpStacksSupported           bool `json:",omitempty"`
	DeleteContainerStateSupported bool `json:",omitempty"`
}

// LinuxCapabilities returns exactly the capabilities the reference Linux GCS
// advertises.
func LinuxCapabilities() GcsCapabilities {
	return GcsCapabilities{
		SupportedSchemaVersions: []SchemaVersion{{Major: 2, Minor: 1}},
		RuntimeOsType:           OsTypeLinux,
		GuestDefinedCapabilities: GcsGuestCapabilities{
			NamespaceAddRequestSupported:  true,
			SignalProcessSupported:        true,
			DumpStacksSupported:           true,
			DeleteContainerStateSupported: true,
		},
	}
}

// NegotiateProtocolResponse answers NegotiateProtocol.
type NegotiateProtocolResponse struct {
	MessageResponseBase
	Version      uint32
	Capabilities GcsCapabilities
}

// DumpStacksResponse answers DumpStacks.
type DumpStacksResponse struct {
	MessageResponseBase
	GuestStacks string
}

// ContainerCreateResponse answers Create.
type ContainerCreateResponse struct {
	MessageResponseBase
	SelectedVersion         string `json:",omitempty"`
	SelectedProtocolVersion uint32
}

// ContainerExecuteProcessResponse answers ExecuteProcess with the new pid.
type ContainerExecuteProcessResponse struct {
	MessageResponseBase
	ProcessID uint32 `json:"ProcessId"`
}

// ContainerWaitForProcessResponse answers WaitForProcess once the process
// has exited and its output has been relayed.
type ContainerWaitForProcessResponse struct {
	MessageResponseBase
	ExitCode uint32
}

// ContainerGetPropertiesResponse answers GetProperties. Properties holds a
// PropertiesV2 document in a string.
type ContainerGetPropertiesResponse struct {
	MessageResponseBase
	Properties string
}
