package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/linux-gcs/gcs/internal/prot"
)

// messageName is one request type gcsctl knows by name.
type messageName struct {
	short    string // "DumpStacks"
	category string // "ComputeSystem" or "ComputeService"
	base     string // the name within the category: "DumpStacks"
	id       prot.MessageIdentifier
}

// requestNames returns every request type of the bridge, including the
// host-defined ones the Linux GCS does not implement.
func requestNames() []messageName {
	sys := func(name string, id prot.MessageIdentifier) messageName {
		return messageName{short: name, category: "ComputeSystem", base: name, id: id}
	}
	return []messageName{
		sys("Create", prot.ComputeSystemCreateV1),
		sys("Start", prot.ComputeSystemStartV1),
		sys("ShutdownGraceful", prot.ComputeSystemShutdownGracefulV1),
		sys("ShutdownForced", prot.ComputeSystemShutdownForcedV1),
		sys("ExecuteProcess", prot.ComputeSystemExecuteProcessV1),
		sys("WaitForProcess", prot.ComputeSystemWaitForProcessV1),
		sys("SignalProcess", prot.ComputeSystemSignalProcessV1),
		sys("ResizeConsole", prot.ComputeSystemResizeConsoleV1),
		sys("GetProperties", prot.ComputeSystemGetPropertiesV1),
		sys("ModifySettings", prot.ComputeSystemModifySettingsV1),
		sys("NegotiateProtocol", prot.ComputeSystemNegotiateProtocolV1),
		sys("DumpStacks", prot.ComputeSystemDumpStacksV1),
		sys("DeleteContainerState", prot.ComputeSystemDeleteContainerStateV1),
		sys("UpdateContainer", prot.ComputeSystemUpdateContainerV1),
		sys("LifecycleNotification", prot.ComputeSystemLifecycleNotificationV1),
		{short: "ModifyServiceSettings", category: "ComputeService", base: "ModifySettings",
			id: prot.ComputeServiceModifySettingsV1},
	}
}

// requestName returns the full request name, e.g. "ComputeSystemDumpStacksV1".
func (m messageName) requestName() string { return m.category + m.base + "V1" }

// responseName returns the full response name, e.g.
// "ComputeSystemResponseDumpStacksV1".
func (m messageName) responseName() string { return m.category + "Response" + m.base + "V1" }

// parseMessageType parses the TYPE argument of raw: a request name, short
// ("DumpStacks") or full ("ComputeSystemDumpStacksV1"), in any case, or a
// number in hex (0x10100c01) or decimal.
func parseMessageType(s string) (prot.MessageIdentifier, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty message type")
	}
	if s[0] >= '0' && s[0] <= '9' {
		v, err := strconv.ParseUint(s, 0, 32)
		if err != nil {
			return 0, fmt.Errorf("invalid message type number %q (want e.g. 0x10100c01 or 269487105)", s)
		}
		return prot.MessageIdentifier(v), nil
	}
	for _, m := range requestNames() {
		if strings.EqualFold(s, m.short) || strings.EqualFold(s, m.requestName()) {
			return m.id, nil
		}
	}
	return 0, fmt.Errorf("unknown message type %q (want a name such as DumpStacks or a number such as 0x10100c01)", s)
}

// messageTypeName names any message identifier for display: its full name
// when it is a known request, response or the notification, "unknown"
// otherwise; always followed by its hex value.
func messageTypeName(mi prot.MessageIdentifier) string {
	name := "unknown"
	if mi == prot.ComputeSystemNotificationV1 {
		name = mi.String()
	}
	for _, m := range requestNames() {
		switch mi {
		case m.id:
			name = m.requestName()
		case prot.ResponseIdentifier(m.id):
			name = m.responseName()
		}
	}
	return fmt.Sprintf("%s (0x%08x)", name, uint32(mi))
}
