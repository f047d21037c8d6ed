package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
)

// qemuArgs is the VM. Never a user-mode NIC and never a vsock device:
// nothing in the guest may reach beyond this machine's qemu process.
func qemuArgs(o options) []string {
	// loglevel=5 lets warnings through to the console: a soft lockup's
	// backtrace is printed at that level, and without it a lockup seen
	// once in CI (a gcs thread stuck in the kernel at start-up) showed
	// only its one-line "BUG:" message. softlockup_all_cpu_backtrace
	// shows the other vCPU too, which the stuck one may wait for.
	cmdline := "console=ttyS0 panic=-1 quiet loglevel=5 softlockup_all_cpu_backtrace=1 gcs.mode=" + o.mode
	if o.appendTo != "" {
		cmdline += " " + o.appendTo
	}
	w := func(name string) string { return filepath.Join(o.work, name) }
	args := []string{
		"-accel", "tcg",
		"-machine", "pc,nvdimm=on",
		"-smp", strconv.Itoa(o.smp),
		"-m", fmt.Sprintf("%d,slots=2,maxmem=%dM", o.mem, o.mem+1024),
		"-nodefaults", "-nic", "none", "-no-reboot",
		"-kernel", o.kernel, "-initrd", o.initrd, "-append", cmdline,
	}
	if o.mode == "shell" {
		args = append(args, "-nographic", "-serial", "mon:stdio")
	} else {
		args = append(args, "-display", "none", "-serial", "stdio")
	}
	args = append(args,
		"-serial", "file:"+w("gcs.log"),
		"-chardev", "socket,id=ctl,path="+w("ctl.sock")+",server=on,wait=off",
		"-serial", "chardev:ctl",
		"-qmp", "unix:"+w("qmp.sock")+",server=on,wait=off",
		"-device", "virtio-scsi-pci,id=scsi0",
		"-blockdev", fmt.Sprintf("driver=raw,node-name=lun%d,file.driver=file,file.filename=%s", coldLUN, w(fmt.Sprintf("scsi-lun%d.img", coldLUN))),
		"-device", fmt.Sprintf("scsi-hd,drive=lun%d,bus=scsi0.0,channel=0,scsi-id=0,lun=%d", coldLUN, coldLUN),
		"-blockdev", fmt.Sprintf("driver=raw,node-name=lun%d,file.driver=file,file.filename=%s", scratchLUN, w(fmt.Sprintf("scsi-lun%d.img", scratchLUN))),
		"-device", fmt.Sprintf("scsi-hd,drive=lun%d,bus=scsi0.0,channel=0,scsi-id=0,lun=%d", scratchLUN, scratchLUN),
		"-object", "memory-backend-file,id=pmem0,share=on,mem-path="+w("pmem0.img")+",size=128M",
		"-device", "nvdimm,memdev=pmem0,id=nv0",
		"-netdev", "hubport,id=n0,hubid=0",
		"-device", "virtio-net-pci,netdev=n0,romfile=,mac="+nicMAC, // no iPXE ROM: nothing boots from it
	)
	return args
}

func waitShell(cmd *exec.Cmd, o options) (int, error) {
	err := cmd.Wait()
	fmt.Println()
	say("the VM is off; logs in %s", o.work)
	if err != nil {
		return 1, fmt.Errorf("qemu: %w", err)
	}
	return 0, nil
}
