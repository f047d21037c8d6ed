package test

import (
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// inNetNS runs ip with args in the network namespace of pid, as a process
// there with CAP_NET_ADMIN would, and fails the test if it fails.
func inNetNS(t *testing.T, pid int, args ...string) string {
	t.Helper()
	out, err := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(pid), "-n", "ip"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s in pid %d's network namespace: %v\n%s", strings.Join(args, " "), pid, err, out)
	}
	return string(out)
}

// TestNetworkSquatterNeverReachesUtilityVM: a container with CAP_NET_ADMIN
// moves the adapter it was given out to a namespace of its own and puts a
// veth of its own at the adapter's index, with its name and MAC. The
// host's Remove must fail (E_FAIL) rather than move the container's veth
// into the utility VM, from where the next Add of the adapter would hand it
// to another container. The veth pair stands in for a Hyper-V NIC; the
// hostile steps are run with nsenter in the container's namespace (the
// default spec grants no CAP_NET_ADMIN), and the container's own namespace
// ("away") is a process of the test's, killed by its pid.
func TestNetworkSquatterNeverReachesUtilityVM(t *testing.T) {
	mac := "02:42:ac:11:00:5a"
	link := vethPair(t, mac)
	h := newHostEnv(t, "runc", "-device-timeout", "1s")
	nsID := "6B1D2E3F-0000-4000-8000-00000000AB5A"
	adapter := &prot.LCOWNetworkAdapter{
		NamespaceID: nsID, ID: "adapter-sq", MacAddress: strings.ReplaceAll(strings.ToUpper(mac), ":", "-"),
		IPConfigs: []prot.LCOWIPConfig{{IPAddress: "10.97.0.5", PrefixLength: 24}},
	}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeNetwork, adapter); err != nil {
		t.Fatal(err)
	}
	startInNetNS(t, h, "squat", nsID)
	// startInNetNS names it by the host's first id for "squat".
	id := "squat-1"
	pid := int(h.initPid(id))

	away := exec.Command("sleep", "300")
	away.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := away.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { away.Process.Kill(); away.Wait() })
	shown := inNetNS(t, pid, "-o", "link", "show", link)
	index, _, _ := strings.Cut(shown, ":")
	inNetNS(t, pid, "link", "set", link, "netns", strconv.Itoa(away.Process.Pid))
	inNetNS(t, pid, "link", "add", link, "index", index, "address", mac, "type", "veth", "peer", "name", "sq"+index)

	err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeNetwork, &prot.LCOWNetworkAdapter{NamespaceID: nsID, ID: "adapter-sq"})
	if client.HResult(err) != prot.HrFail {
		t.Errorf("Remove with a squatter at the adapter's index: %v; want E_FAIL", err)
	}
	if l, err := net.InterfaceByName(link); err == nil {
		t.Errorf("link %s (index %d, MAC %s) is in the utility VM's namespace after Remove", link, l.Index, l.HardwareAddr)
	}
	if out := inNetNS(t, pid, "-o", "link", "show", "sq"+index); strings.Contains(out, "link-netnsid") {
		t.Errorf("the squatter's peer no longer has it in the container's namespace: %s", out)
	}
}
