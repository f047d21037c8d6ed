package scsi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDevice(t *testing.T) {
	type disk struct {
		host  int
		lun   uint8
		name  string
		parts []string
	}
	for _, tc := range []struct {
		name        string
		vmbus       bool
		controllers map[uint8]int // vmbus: controller -> host; else hosts listed by their numbers
		hosts       []int
		disks       []disk
		controller  uint8
		lun         uint8
		partition   uint64
		want        string // device name under DevRoot
		wantErr     string
	}{
		{name: "vmbus controller 0", vmbus: true, controllers: map[uint8]int{0: 2},
			disks: []disk{{host: 2, lun: 1, name: "sdb"}}, lun: 1, want: "sdb"},
		{name: "vmbus controller 3", vmbus: true, controllers: map[uint8]int{0: 0, 3: 7},
			disks: []disk{{host: 0, lun: 1, name: "sda"}, {host: 7, lun: 1, name: "sdc"}}, controller: 3, lun: 1, want: "sdc"},
		{name: "vmbus partition", vmbus: true, controllers: map[uint8]int{1: 1},
			disks: []disk{{host: 1, lun: 0, name: "sdd", parts: []string{"sdd1", "sdd2"}}}, controller: 1, partition: 2, want: "sdd2"},
		{name: "partition of a name ending in a digit", vmbus: true, controllers: map[uint8]int{0: 0},
			disks: []disk{{host: 0, lun: 4, name: "loop7", parts: []string{"loop7p1"}}}, lun: 4, partition: 1, want: "loop7p1"},
		{name: "vmbus controller out of range", vmbus: true, controller: 4, wantErr: "out of range"},
		{name: "no vmbus: Nth adapter by host number", hosts: []int{10, 0, 3},
			disks: []disk{{host: 3, lun: 2, name: "sdb"}, {host: 10, lun: 2, name: "sdc"}}, controller: 1, lun: 2, want: "sdb"},
		{name: "no vmbus: host10 after host3", hosts: []int{10, 0, 3},
			disks: []disk{{host: 3, lun: 2, name: "sdb"}, {host: 10, lun: 2, name: "sdc"}}, controller: 2, lun: 2, want: "sdc"},
		{name: "unknown LUN times out", vmbus: true, controllers: map[uint8]int{0: 0},
			disks: []disk{{host: 0, lun: 1, name: "sda"}}, lun: 9, wantErr: "controller 0 LUN 9"},
		{name: "missing partition times out", vmbus: true, controllers: map[uint8]int{0: 0},
			disks: []disk{{host: 0, lun: 1, name: "sda"}}, lun: 1, partition: 3, wantErr: "sda3"},
		{name: "no vmbus: too few adapters", hosts: []int{0}, controller: 1, wantErr: "1 SCSI host adapters"},
		{name: "vmbus controller missing", vmbus: true, controller: 2, wantErr: "b5d2d8d4-3a75-51bf-945b-3444dc6b8579"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSys(t, tc.vmbus)
			for c, h := range tc.controllers {
				f.addController(t, c, h)
			}
			for _, h := range tc.hosts {
				f.addController(t, 0, h)
			}
			for _, d := range tc.disks {
				f.addDisk(t, d.host, d.lun, d.name, "")
				for _, p := range d.parts {
					f.addNode(t, p, "")
				}
			}
			start := time.Now()
			got, err := f.lookup(50*time.Millisecond).Device(t.Context(), tc.controller, tc.lun, tc.partition)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("took %s to fail", d)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(f.dev, tc.want); got != want {
				t.Fatalf("Device = %s, want %s", got, want)
			}
		})
	}
}

func TestDeviceWaitsForLateDisk(t *testing.T) {
	f := newFakeSys(t, true)
	go func() {
		time.Sleep(30 * time.Millisecond)
		f.addController(t, 0, 5)
		time.Sleep(30 * time.Millisecond)
		f.addDisk(t, 5, 3, "sdz", "")
	}()
	got, err := f.lookup(5*time.Second).Device(t.Context(), 0, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Join(f.dev, "sdz") {
		t.Fatalf("Device = %s", got)
	}
}

func TestDeviceHonoursContext(t *testing.T) {
	f := newFakeSys(t, true)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := f.lookup(time.Hour).Device(ctx, 0, 0, 0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a deadline", err)
	}
}

func TestUnplug(t *testing.T) {
	for _, tc := range []struct {
		name    string
		vmbus   bool
		lun     uint8
		wantErr string
	}{
		{"vmbus", true, 3, ""},
		{"no vmbus", false, 3, ""},
		{"missing LUN", true, 4, "LUN 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSys(t, tc.vmbus)
			f.addController(t, 0, 1)
			del := f.addDisk(t, 1, 3, "sdb", "")
			err := f.lookup(time.Second).Unplug(t.Context(), 0, tc.lun)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("error %v, want a not-exist one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(del); string(b) != "1" {
				t.Fatalf("delete attribute holds %q", b)
			}
		})
	}
}

func TestPartitionName(t *testing.T) {
	for _, tc := range []struct {
		disk string
		p    uint64
		want string
	}{{"sda", 1, "sda1"}, {"sdab", 12, "sdab12"}, {"nvme0n1", 2, "nvme0n1p2"}, {"loop0", 1, "loop0p1"}, {"pmem3", 1, "pmem3p1"}} {
		if got := PartitionName(tc.disk, tc.p); got != tc.want {
			t.Errorf("PartitionName(%q, %d) = %q, want %q", tc.disk, tc.p, got, tc.want)
		}
	}
}
