package prot

import (
	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// RequestType is the operation of a ModificationRequest.
type RequestType string

// Request types. An empty RequestType means Add.
const (
	RequestTypeAdd    RequestType = "Add"
	RequestTypeRemove RequestType = "Remove"
	RequestTypePreAdd RequestType = "PreAdd"
	RequestTypeUpdate RequestType = "Update"
)

// ResourceType selects the Settings schema of a ModificationRequest.
type ResourceType string

// Resource types a Linux guest may be sent. The Windows-only ones are listed
// so that they can be recognised and refused.
const (
	ResourceTypeSCSIDevice           ResourceType = "SCSIDevice"
	ResourceTypeMappedVirtualDisk    ResourceType = "MappedVirtualDisk"
	ResourceTypeMappedDirectory      ResourceType = "MappedDirectory"
	ResourceTypeVPMemDevice          ResourceType = "VPMemDevice"
	ResourceTypeCombinedLayers       ResourceType = "CombinedLayers"
	ResourceTypeNetwork              ResourceType = "Network"
	ResourceTypeVPCIDevice           ResourceType = "VPCIDevice"
	ResourceTypeContainerConstraints ResourceType = "ContainerConstraints"
	ResourceTypeSecurityPolicy       ResourceType = "SecurityPolicy"
	ResourceTypePolicyFragment       ResourceType = "SecurityPolicyFragment"
	ResourceTypePodCgroupMemoryLimit ResourceType = "PodCgroupMemoryLimit"
	ResourceTypeNetworkNamespace     ResourceType = "NetworkNamespace"
	ResourceTypeHvSocket             ResourceType = "HvSocket"
)

// ModificationRequest is the Request object of ModifySettings.
type ModificationRequest struct {
	ResourceType ResourceType `json:"ResourceType,omitempty"`
	RequestType  RequestType  `json:"RequestType,omitempty"`
	Settings     any          `json:"Settings,omitempty"`
}

// SCSIDevice names a SCSI device to unplug.
type SCSIDevice struct {
	Controller uint8 `json:"Controller,omitempty"`
	Lun        uint8 `json:"Lun,omitempty"`
}

// DeviceVerityInfo describes dm-verity metadata of a read-only device.
type DeviceVerityInfo struct {
	Ext4SizeInBytes int64  `json:"Ext4SizeInBytes,omitempty"`
	Version         int    `json:"Version,omitempty"`
	Algorithm       string `json:"Algorithm,omitempty"`
	SuperBlock      bool   `json:"SuperBlock,omitempty"`
	RootDigest      string `json:"RootDigest,omitempty"`
	Salt            string `json:"Salt,omitempty"`
	BlockSize       int    `json:"BlockSize,omitempty"`
}

// LCOWMappedVirtualDisk mounts (or exposes) a SCSI disk in the guest.
type LCOWMappedVirtualDisk struct {
	MountPath        string            `json:"MountPath,omitempty"`
	Lun              uint8             `json:"Lun,omitempty"`
	Controller       uint8             `json:"Controller,omitempty"`
	Partition        uint64            `json:"Partition,omitempty"`
	ReadOnly         bool              `json:"ReadOnly,omitempty"`
	Encrypted        bool              `json:"Encrypted,omitempty"`
	Options          []string          `json:"Options,omitempty"`
	BlockDev         bool              `json:"BlockDev,omitempty"`
	VerityInfo       *DeviceVerityInfo `json:"VerityInfo,omitempty"`
	EnsureFilesystem bool              `json:"EnsureFilesystem,omitempty"`
	Filesystem       string            `json:"Filesystem,omitempty"`
}

// LCOWMappedDirectory mounts a host share over Plan 9.
type LCOWMappedDirectory struct {
	MountPath string `json:"MountPath,omitempty"`
	Port      int32  `json:"Port,omitempty"`
	ShareName string `json:"ShareName,omitempty"`
	ReadOnly  bool   `json:"ReadOnly,omitempty"`
}

// LCOWVPMemMappingInfo places one layer at a byte range of a VPMem device.
type LCOWVPMemMappingInfo struct {
	DeviceOffsetInBytes uint64 `json:"DeviceOffsetInBytes,omitempty"`
	DeviceSizeInBytes   uint64 `json:"DeviceSizeInBytes,omitempty"`
}

// LCOWMappedVPMemDevice mounts a persistent memory device read-only.
type LCOWMappedVPMemDevice struct {
	DeviceNumber uint32                `json:"DeviceNumber,omitempty"`
	MountPath    string                `json:"MountPath,omitempty"`
	MappingInfo  *LCOWVPMemMappingInfo `json:"MappingInfo,omitempty"`
	VerityInfo   *DeviceVerityInfo     `json:"VerityInfo,omitempty"`
}

// Layer is one read-only layer of a container's root file system.
type Layer struct {
	ID       string `json:"Id,omitempty"`
	Path     string `json:"Path,omitempty"`
	PathType string `json:"PathType,omitempty"`
	Cache    string `json:"Cache,omitempty"`
}

// LCOWCombinedLayers is the overlay that becomes a container's rootfs.
type LCOWCombinedLayers struct {
	ContainerID       string  `json:"ContainerID,omitempty"`
	ContainerRootPath string  `json:"ContainerRootPath,omitempty"`
	Layers            []Layer `json:"Layers,omitempty"`
	ScratchPath       string  `json:"ScratchPath,omitempty"`
}

// LCOWIPConfig is one address of a network adapter.
type LCOWIPConfig struct {
	IPAddress    string `json:"IPAddress,omitempty"`
	PrefixLength uint8  `json:"PrefixLength,omitempty"`
}

// LCOWRoute is one route of a network adapter.
type LCOWRoute struct {
	NextHop           string `json:"NextHop,omitempty"`
	DestinationPrefix string `json:"DestinationPrefix,omitempty"`
	Metric            uint16 `json:"Metric,omitempty"`
}

// LCOWNetworkAdapter is a network adapter to place in a namespace.
type LCOWNetworkAdapter struct {
	NamespaceID        string         `json:"NamespaceID,omitempty"`
	ID                 string         `json:"ID,omitempty"`
	MacAddress         string         `json:"MacAddress,omitempty"`
	DNSSuffix          string         `json:"DNSSuffix,omitempty"`
	DNSServerList      string         `json:"DNSServerList,omitempty"`
	EncapOverhead      uint16         `json:"EncapOverhead,omitempty"`
	VPCIAssigned       bool           `json:"VPCIAssigned,omitempty"`
	IPConfigs          []LCOWIPConfig `json:"IPConfigs,omitempty"`
	Routes             []LCOWRoute    `json:"Routes,omitempty"`
	PolicyBasedRouting bool           `json:"PolicyBasedRouting,omitempty"`
	EnableLowMetric    bool           `json:"EnableLowMetric,omitempty"`
}

// LCOWMappedVPCIDevice waits for an assigned PCI device.
type LCOWMappedVPCIDevice struct {
	VMBusGUID string `json:"VMBusGUID,omitempty"`
}

// LCOWContainerConstraints updates a container's resource limits.
type LCOWContainerConstraints struct {
	Windows oci.WindowsResources `json:"Windows,omitempty"`
	Linux   oci.LinuxResources   `json:"Linux,omitempty"`
}

// LCOWConfidentialOptions installs a security policy enforcer.
type LCOWConfidentialOptions struct {
	EnforcerType                    string `json:"EnforcerType,omitempty"`
	EncodedSecurityPolicy           string `json:"EncodedSecurityPolicy,omitempty"`
	EncodedUVMReference             string `json:"EncodedUVMReference,omitempty"`
	EncodedUVMHashEnvelopeReference string `json:"EncodedUVMHashEnvelopeReference,omitempty"`
}

// LCOWSecurityPolicyFragment adds a signed policy fragment.
type LCOWSecurityPolicyFragment struct {
	Fragment  string `json:"Fragment,omitempty"`
	MediaType string `json:"MediaType,omitempty"`
}

// PodCgroupMemoryLimit recomputes the pods cgroup memory limit; it has no
// settings of its own.
type PodCgroupMemoryLimit struct{}
