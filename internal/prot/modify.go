package prot

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// settingsFactory returns a fresh settings struct for each resource type a
// Linux guest decodes.
var settingsFactory = map[ResourceType]func() any{
	ResourceTypeSCSIDevice:           func() any { return &SCSIDevice{} },
	ResourceTypeMappedVirtualDisk:    func() any { return &LCOWMappedVirtualDisk{} },
	ResourceTypeMappedDirectory:      func() any { return &LCOWMappedDirectory{} },
	ResourceTypeVPMemDevice:          func() any { return &LCOWMappedVPMemDevice{} },
	ResourceTypeCombinedLayers:       func() any { return &LCOWCombinedLayers{} },
	ResourceTypeNetwork:              func() any { return &LCOWNetworkAdapter{} },
	ResourceTypeVPCIDevice:           func() any { return &LCOWMappedVPCIDevice{} },
	ResourceTypeContainerConstraints: func() any { return &LCOWContainerConstraints{} },
	ResourceTypeSecurityPolicy:       func() any { return &LCOWConfidentialOptions{} },
	ResourceTypePolicyFragment:       func() any { return &LCOWSecurityPolicyFragment{} },
	ResourceTypePodCgroupMemoryLimit: func() any { return &PodCgroupMemoryLimit{} },
}

// UnmarshalContainerModifySettings decodes a ModifySettings body. On success
// the returned message's Request is a *ModificationRequest with RequestType
// defaulted to Add and Settings decoded into the struct its ResourceType
// names. Decode failures carry the invalid-JSON HRESULT; an unknown (or
// Windows-only) ResourceType is an E_FAIL error. A missing Request is
// invalid JSON, as in the reference.
func UnmarshalContainerModifySettings(b []byte) (*ContainerModifySettings, error) {
	var raw struct {
		MessageBase
		Request json.RawMessage
	}
	if err := UnmarshalJSON(b, &raw); err != nil {
		return nil, fmt.Errorf("decode ModifySettings body: %w", err)
	}
	msg := &ContainerModifySettings{MessageBase: raw.MessageBase}
	if len(raw.Request) == 0 || bytes.Equal(bytes.TrimSpace(raw.Request), []byte("null")) {
		return msg, fmt.Errorf("decode ModifySettings body: %w",
			Errorf(HrVmcomputeInvalidJSON, "missing Request object"))
	}
	var req struct {
		ResourceType ResourceType
		RequestType  RequestType
		Settings     json.RawMessage
	}
	if err := UnmarshalJSON(raw.Request, &req); err != nil {
		return msg, fmt.Errorf("decode ModifySettings Request: %w", err)
	}
	mr := &ModificationRequest{ResourceType: req.ResourceType, RequestType: req.RequestType}
	if mr.RequestType == "" {
		mr.RequestType = RequestTypeAdd
	}
	newSettings, ok := settingsFactory[req.ResourceType]
	if !ok {
		// Only the start of the name, quoted: it may be as long as the
		// message and hold any bytes, and the error is logged.
		return msg, Errorf(HrFail, "invalid ResourceType %.64q", string(req.ResourceType))
	}
	settings := newSettings()
	switch {
	case len(req.Settings) > 0:
		if err := UnmarshalJSON(req.Settings, settings); err != nil {
			return msg, fmt.Errorf("decode %s settings: %w", req.ResourceType, err)
		}
	case req.ResourceType != ResourceTypePodCgroupMemoryLimit:
		// As in the reference, absent Settings fail to decode (null does not).
		return msg, fmt.Errorf("decode %s settings: %w", req.ResourceType,
			Errorf(HrVmcomputeInvalidJSON, "missing Settings"))
	}
	mr.Settings = settings
	msg.Request = mr
	return msg, nil
}

// ModificationRequest returns m.Request as a *ModificationRequest, or nil when
// m was not produced by UnmarshalContainerModifySettings.
func (m *ContainerModifySettings) ModificationRequest() *ModificationRequest {
	mr, _ := m.Request.(*ModificationRequest)
	return mr
}
