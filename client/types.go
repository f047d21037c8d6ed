package client

import "github.com/linux-gcs/gcs/internal/prot"

// The wire types of the client's API live in an internal package; these
// aliases let code outside this module name them.
type (
	// MessageIdentifier is the Type field of a bridge message header.
	MessageIdentifier = prot.MessageIdentifier
	// MessageHeader is the 16-byte header of every bridge message.
	MessageHeader = prot.MessageHeader
	// HRESULT is a Windows HRESULT carried in a reply's Result.
	HRESULT = prot.HResult
	// NegotiateProtocolResponse is the reply to Negotiate.
	NegotiateProtocolResponse = prot.NegotiateProtocolResponse
	// ContainerNotification is a container exit notification.
	ContainerNotification = prot.ContainerNotification
	// VMHostedContainerSettingsV2 is the configuration of CreateContainer.
	VMHostedContainerSettingsV2 = prot.VMHostedContainerSettingsV2
	// SchemaVersion is a host schema version.
	SchemaVersion = prot.SchemaVersion
	// ProcessParameters describes a process for ExecuteProcess.
	ProcessParameters = prot.ProcessParameters
	// StdioRelaySettings names the relay port of each requested stream.
	StdioRelaySettings = prot.ExecuteProcessVsockStdioRelaySettings
	// PropertyType names a property for GetProperties.
	PropertyType = prot.PropertyType
	// PropertiesV2 is the reply of GetProperties.
	PropertiesV2 = prot.PropertiesV2
	// Metrics is the LCOWMetrics statistics document.
	Metrics = prot.Metrics
	// ModificationRequest is the Request of ModifySettings.
	ModificationRequest = prot.ModificationRequest
	// ErrorRecord details one failure in an error reply.
	ErrorRecord = prot.ErrorRecord
	// Response is implemented by every reply body.
	Response = prot.Response
)
