package hcsv2

import "testing"

func TestPodTable(t *testing.T) {
	var tab podTable
	sb := &Container{id: "sb"}
	p := &pod{id: "sb", sandbox: sb, root: "/r"}
	if err := tab.register(p); err != nil {
		t.Fatal(err)
	}
	if err := tab.register(&pod{id: "sb", sandbox: &Container{id: "sb"}}); err == nil {
		t.Error("a second sandbox registered the same pod")
	}
	if got, err := tab.join("sb", "w1"); err != nil || got != p {
		t.Fatalf("join w1 = %v, %v", got, err)
	}
	if _, err := tab.join("sb", "w1"); err == nil {
		t.Error("w1 joined twice")
	}
	if _, err := tab.join("nope", "w2"); err == nil {
		t.Error("joined a pod that does not exist")
	}
	if tab.leave(p, "sb") {
		t.Error("pod dropped while w1 is still in it")
	}
	if _, err := tab.join("sb", "w2"); err == nil {
		t.Error("joined a pod whose sandbox is gone")
	}
	if !tab.leave(p, "w1") {
		t.Error("pod kept after its last member left")
	}
	if err := tab.register(&pod{id: "sb", sandbox: &Container{id: "sb"}}); err != nil {
		t.Errorf("a new sandbox of the same id after the pod went: %v", err)
	}
}

func TestPodLeaveDropsOnce(t *testing.T) {
	var tab podTable
	p := &pod{id: "sb", sandbox: &Container{id: "sb"}}
	if err := tab.register(p); err != nil {
		t.Fatal(err)
	}
	if !tab.leave(p, "sb") {
		t.Fatal("the last member leaving did not drop the pod")
	}
	q := &pod{id: "sb", sandbox: &Container{id: "sb"}}
	if err := tab.register(q); err != nil {
		t.Fatal(err)
	}
	if tab.leave(p, "sb") {
		t.Error("a second leave dropped the pod again (its cgroup would be removed twice)")
	}
	if _, err := tab.join("sb", "w"); err != nil {
		t.Errorf("the new pod of the same id was dropped: %v", err)
	}
}
