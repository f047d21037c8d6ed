// Package cgroup owns the GCS's cgroup layout and reads container statistics
// in the LCOWMetrics (containerd cgroup v1 "stats v1") shape, whatever the
// cgroup version of the utility VM.
//
// # Layout
//
// Under a parent path P (flag -cgroup-parent: "/" in a real utility VM, a
// per-test subtree in tests) a Manager keeps:
//
//	P/gcs        the daemon itself, not limited; WatchMemory logs when its
//	             usage crosses Options.GCSMemoryThreshold
//	P/pods       every container, memory limited to total RAM minus
//	             Options.RootMemoryReserve (see RecomputePodsMemoryLimit),
//	             tasks (pids.max) to the machine's task limit minus a
//	             reserve for the daemon, the runtime and utility commands
//	P/pods/<id>  one container: ContainerPath(id), handed to the OCI runtime
//	             as linux.cgroupsPath; the runtime creates it
//
// Paths are cgroup paths: absolute, relative to the root of each hierarchy.
//
// # Memory events
//
// WatchMemory logs what the reference logs: each rise of the gcs cgroup's
// usage to its threshold or above, and each OOM of the pods cgroup. In v1
// both are kernel events (an eventfd registered through
// cgroup.event_control on memory.usage_in_bytes and memory.oom_control). A
// v1 OOM notification reaches the cgroup that hit its limit and those below
// it, so this sees pods reaching its own limit, not a container reaching a
// limit of its own (as with the reference). In v2 there is no threshold
// event: memory.current of gcs and the oom_kill count of pods' memory.events
// (hierarchical, so containers' kills count) are polled every
// Options.PollInterval; a crossing shorter than that can go unseen.
//
// # Modes
//
// The mode is detected with containerd's cgroups.Mode():
//
//   - Legacy (v1 only) and Hybrid (v1 controllers plus a cgroup2 mount at
//     /sys/fs/cgroup/unified) are both handled as "v1": directories are made
//     in every mounted v1 hierarchy (cpuset.cpus and cpuset.mems are copied
//     from the parent so processes can join), limits go to the memory
//     hierarchy, statistics come from the v1 controllers. The hybrid cgroup2
//     mount is only cleaned up (runtimes may mirror the container there).
//   - Unified (v2 only) is "v2": every available controller is enabled in
//     cgroup.subtree_control from the root down to P/pods, limits go to
//     memory.max, statistics are read from the v2 interface files and mapped
//     to the v1 shape as below.
//
// # Statistics
//
// Stats always applies the reference post-processing: Blkio is sent empty
// ("blkio":{}), Rdma is emptied when the controller is present and Network
// is never sent.
//
// cgroup v1 statistics are read straight from the controller files and fill
// exactly the fields containerd's cgroup1 package fills (the reference's
// source): pids.current/max; cpuacct.usage_percpu (per_cpu, and total as its
// sum, which is what cpuacct.usage prints), cpuacct.stat user/system ticks
// as nanoseconds; cpu.stat throttling; memory.stat, memory.oom_control and
// usage/max_usage/failcnt/limit of the memory, memsw, kmem and kmem.tcp
// families present; hugetlb.<size>.usage/max_usage/failcnt. blkio is not
// read since it is sent empty. Going through cgroup1 itself measured 2.3
// times slower without blkio, 3 times with it (its os.Open registers every
// kernfs file with the poller), and would pull in dbus, go-systemd and
// protobuf.
//
// cgroup v2 files map to the v1 shape as follows ("max" in a memory file
// becomes 9223372036854771712, what v1 prints for unlimited; a missing file
// leaves its fields zero, so they are omitted):
//
//	memory.current                       memory.usage.usage
//	memory.max                           memory.usage.limit
//	memory.peak                          memory.usage.max
//	memory.events "max"                  memory.usage.failcnt
//	memory.swap.current, .max, .peak     memory.swap.usage, .limit, .max
//	memory.stat anon, file, anon_thp     memory.rss, cache, rss_huge
//	memory.stat file_mapped, file_dirty, memory.mapped_file, dirty, writeback
//	            file_writeback
//	memory.stat pgfault, pgmajfault      memory.pg_fault, pg_maj_fault
//	memory.stat (in)active_(anon|file),  the same names
//	            unevictable
//	memory.stat kernel, sock             memory.kernel.usage, kernel_tcp.usage
//	smallest memory.max up to the root   memory.hierarchical_memory_limit
//	memory.events "oom_kill"             memory_oom_control.oom_kill
//	cpu.stat usage_usec, user_usec,      cpu.usage.total, user, kernel (ns)
//	         system_usec (x1000)
//	cpu.stat nr_periods, nr_throttled,   cpu.throttling.periods,
//	         throttled_usec (x1000)      throttled_periods, throttled_time (ns)
//	pids.current, pids.max               pids.current, limit ("max" is 0)
//	hugetlb.<size>.current, .max,        hugetlb[].usage, max, failcnt
//	         .events "max"               (max is the limit, "max" is 0)
//
// v2 memory.stat counters are already hierarchical, so each is copied to its
// total_* twin as well. v2 has no per-CPU usage, no pgpgin/pgpgout and no
// under_oom; those stay zero. memory.swap is swap alone in v2 (v1's memsw
// counts memory plus swap).
package cgroup
