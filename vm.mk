# The GCS in a real (qemu, TCG) VM: image, tests and an interactive shell.
# Included by the Makefile; see test/vm/README.md.

VM_DIR   := test/vm
VM_CACHE ?= $(CURDIR)/$(VM_DIR)/.cache
# Kernel modules the image's init loads, in this order (their dependencies
# are added by modprobe --show-depends). NAME? marks an optional one.
VM_MODULES ?= vsock vmw_vsock_virtio_transport_common vsock_loopback \
	virtio_pci virtio_scsi sd_mod ext4 xfs overlay 9pnet 9pnet_fd? 9p \
	nfit libnvdimm nd_pmem nd_btt dm_mod dm_verity dm_crypt dm_integrity authenc hmac sha256_generic \
	veth virtio_net loop xts ecb essiv xfrm_user nfnetlink
# Packages whose test binaries also run in the VM (go test -c each), for
# what this machine's kernel lacks (dm, 9p, ...) and for cgroup v2 alone
# (this machine is hybrid; the VM mounts cgroup2 only, with nsdelegate).
# Patterns that match no package yet are skipped.
VM_PKG_TESTS ?= ./internal/storage/... ./internal/network/... ./internal/cgroup/...
# Limit for a whole make vm-test VM run, and for a vm-shell session.
VM_TIMEOUT       ?= 7m
VM_SHELL_TIMEOUT ?= 4h
VM_SMP ?= 2
VM_MEM ?= 1024
# Extra kernel command line, e.g. VM_APPEND=gcs.run=TestNegotiate to run
# only some driver tests.
VM_APPEND ?=

VM_RUN = $(VM_CACHE)/bin/vmrun -kernel $(VM_CACHE)/vmlinux -initrd $(VM_CACHE)/initrd.img \
	-smp $(VM_SMP) -mem $(VM_MEM) -append "$(VM_APPEND)"

# Where vm-shell keeps its disks, sockets and logs.
VM_SHELL_WORK ?= $(VM_CACHE)/shell

.PHONY: vm-deps image vm-test vm-shell vm-shell-test vm-clean

vm-deps: ## Install what the VM targets need (apt-get update; qemu, cpio, kmod, busybox-static, runc, ...)
	@$(VM_DIR)/deps.sh

image: ## Build the VM image: test/vm/.cache/{vmlinux,initrd.img} (cached)
	@VM_CACHE="$(VM_CACHE)" VM_MODULES="$(VM_MODULES)" VM_PKG_TESTS="$(VM_PKG_TESTS)" \
		GO="$(GO)" $(VM_DIR)/image.sh

vm-test: image ## Boot the image under qemu and run the in-guest tests over AF_VSOCK loopback
	@$(VM_RUN) -mode test -timeout $(VM_TIMEOUT) -work $(VM_CACHE)/run

vm-shell: image ## Boot the image with a shell on the serial console, gcs running, gcsctl at hand
	@$(VM_RUN) -mode shell -timeout $(VM_SHELL_TIMEOUT) -work $(VM_SHELL_WORK)

vm-shell-test: image ## Use make vm-shell as a person does, through a pty: prompt, gcsctl, Ctrl-C, poweroff
	@$(VM_CACHE)/bin/vmrun pty-test -timeout 4m -- $(MAKE) --no-print-directory vm-shell \
		VM_SHELL_TIMEOUT=15m VM_SHELL_WORK=$(VM_CACHE)/shell-test

vm-clean: ## Remove the VM cache (kernel, binaries, image)
	rm -rf $(VM_CACHE)
