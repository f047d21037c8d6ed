package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestParseMessageType(t *testing.T) {
	tests := []struct {
		in      string
		want    prot.MessageIdentifier
		wantErr string
	}{
		{in: "DumpStacks", want: prot.ComputeSystemDumpStacksV1},
		{in: "dumpstacks", want: prot.ComputeSystemDumpStacksV1},
		{in: "ComputeSystemDumpStacksV1", want: prot.ComputeSystemDumpStacksV1},
		{in: "NegotiateProtocol", want: prot.ComputeSystemNegotiateProtocolV1},
		{in: "ComputeSystemNegotiateProtocolV1", want: prot.ComputeSystemNegotiateProtocolV1},
		{in: "Create", want: prot.ComputeSystemCreateV1},
		{in: "DeleteContainerState", want: prot.ComputeSystemDeleteContainerStateV1},
		{in: "ComputeSystemModifySettingsV1", want: prot.ComputeSystemModifySettingsV1},
		{in: "ModifyServiceSettings", want: prot.ComputeServiceModifySettingsV1},
		{in: "ComputeServiceModifySettingsV1", want: prot.ComputeServiceModifySettingsV1},
		{in: "UpdateContainer", want: prot.ComputeSystemUpdateContainerV1},
		{in: "0x10100c01", want: prot.ComputeSystemDumpStacksV1},
		{in: "0X10100C01", want: prot.ComputeSystemDumpStacksV1},
		{in: "269487105", want: prot.ComputeSystemDumpStacksV1},
		{in: "0x20100c01", want: prot.ComputeSystemResponseDumpStacksV1},
		{in: "0", want: 0},
		{in: " Start ", want: prot.ComputeSystemStartV1},
		{in: "", wantErr: "empty message type"},
		{in: "Bogus", wantErr: `unknown message type "Bogus"`},
		{in: "ComputeSystemDumpStacks", wantErr: "unknown message type"},
		{in: "0x1_0000_0000", wantErr: "invalid message type number"},
		{in: "0x100000000", wantErr: "invalid message type number"},
		{in: "12abc", wantErr: "invalid message type number"},
		{in: "-1", wantErr: "unknown message type"},
	}
	for _, tt := range tests {
		got, err := parseMessageType(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseMessageType(%q) = %#x, %v; want error containing %q", tt.in, uint32(got), err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseMessageType(%q) = %#x, %v; want %#x", tt.in, uint32(got), err, uint32(tt.want))
		}
	}
}

func TestMessageTypeName(t *testing.T) {
	tests := []struct {
		in   prot.MessageIdentifier
		want string
	}{
		{prot.ComputeSystemDumpStacksV1, "ComputeSystemDumpStacksV1 (0x10100c01)"},
		{prot.ComputeSystemResponseDumpStacksV1, "ComputeSystemResponseDumpStacksV1 (0x20100c01)"},
		{prot.ResponseIdentifier(prot.ComputeSystemDeleteContainerStateV1), "ComputeSystemResponseDeleteContainerStateV1 (0x20100d01)"},
		{prot.ResponseIdentifier(prot.ComputeServiceModifySettingsV1), "ComputeServiceResponseModifySettingsV1 (0x20200101)"},
		{prot.ComputeSystemNotificationV1, "ComputeSystemNotificationV1 (0x30100101)"},
		{0x20100f02, "unknown (0x20100f02)"},
	}
	for _, tt := range tests {
		if got := messageTypeName(tt.in); got != tt.want {
			t.Errorf("messageTypeName(%#x) = %q, want %q", uint32(tt.in), got, tt.want)
		}
	}
}

// TestEveryRequestNameRoundTrips checks the name table against prot's own
// names, so that the two cannot drift apart.
func TestEveryRequestNameRoundTrips(t *testing.T) {
	for _, m := range requestNames() {
		// prot names the requests the GCS implements; the others print as numbers.
		if s := m.id.String(); s != strconv.FormatUint(uint64(m.id), 10) && s != m.requestName() {
			t.Errorf("%s: prot calls %#x %q", m.requestName(), uint32(m.id), s)
		}
		for _, name := range []string{m.short, m.requestName()} {
			if got, err := parseMessageType(name); err != nil || got != m.id {
				t.Errorf("parseMessageType(%q) = %#x, %v; want %#x", name, uint32(got), err, uint32(m.id))
			}
		}
	}
}
