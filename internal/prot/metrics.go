package prot

// Metrics is the LCOWMetrics document of a Statistics query: the shape of
// containerd's cgroup v1 statistics encoded with encoding/json. Every key is
// omitempty; the GCS fills it from cgroup v1 or v2 alike.
type Metrics struct {
	Hugetlb          []*HugetlbStat    `json:"hugetlb,omitempty"`
	Pids             *PidsStat         `json:"pids,omitempty"`
	CPU              *CPUStat          `json:"cpu,omitempty"`
	Memory           *MemoryStat       `json:"memory,omitempty"`
	Blkio            *BlkIOStat        `json:"blkio,omitempty"`
	Rdma             *RdmaStat         `json:"rdma,omitempty"`
	Network          []*NetworkStat    `json:"network,omitempty"`
	CgroupStats      *CgroupStats      `json:"cgroup_stats,omitempty"`
	MemoryOomControl *MemoryOomControl `json:"memory_oom_control,omitempty"`
}

// HugetlbStat is one huge page size's accounting.
type HugetlbStat struct {
	Usage    uint64 `json:"usage,omitempty"`
	Max      uint64 `json:"max,omitempty"`
	Failcnt  uint64 `json:"failcnt,omitempty"`
	Pagesize string `json:"pagesize,omitempty"`
}

// PidsStat is the pids controller's accounting.
type PidsStat struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

// CPUStat is CPU usage and throttling.
type CPUStat struct {
	Usage      *CPUUsage `json:"usage,omitempty"`
	Throttling *Throttle `json:"throttling,omitempty"`
}

// CPUUsage is CPU time in nanoseconds.
type CPUUsage struct {
	Total  uint64   `json:"total,omitempty"`
	Kernel uint64   `json:"kernel,omitempty"`
	User   uint64   `json:"user,omitempty"`
	PerCPU []uint64 `json:"per_cpu,omitempty"`
}

// Throttle is CFS throttling accounting.
type Throttle struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttled_periods,omitempty"`
	ThrottledTime    uint64 `json:"throttled_time,omitempty"`
}

// MemoryStat is the memory controller's accounting in cgroup v1 terms.
type MemoryStat struct {
	Cache                   uint64       `json:"cache,omitempty"`
	RSS                     uint64       `json:"rss,omitempty"`
	RSSHuge                 uint64       `json:"rss_huge,omitempty"`
	MappedFile              uint64       `json:"mapped_file,omitempty"`
	Dirty                   uint64       `json:"dirty,omitempty"`
	Writeback               uint64       `json:"writeback,omitempty"`
	PgPgIn                  uint64       `json:"pg_pg_in,omitempty"`
	PgPgOut                 uint64       `json:"pg_pg_out,omitempty"`
	PgFault                 uint64       `json:"pg_fault,omitempty"`
	PgMajFault              uint64       `json:"pg_maj_fault,omitempty"`
	InactiveAnon            uint64       `json:"inactive_anon,omitempty"`
	ActiveAnon              uint64       `json:"active_anon,omitempty"`
	InactiveFile            uint64       `json:"inactive_file,omitempty"`
	ActiveFile              uint64       `json:"active_file,omitempty"`
	Unevictable             uint64       `json:"unevictable,omitempty"`
	HierarchicalMemoryLimit uint64       `json:"hierarchical_memory_limit,omitempty"`
	HierarchicalSwapLimit   uint64       `json:"hierarchical_swap_limit,omitempty"`
	TotalCache              uint64       `json:"total_cache,omitempty"`
	TotalRSS                uint64       `json:"total_rss,omitempty"`
	TotalRSSHuge            uint64       `json:"total_rss_huge,omitempty"`
	TotalMappedFile         uint64       `json:"total_mapped_file,omitempty"`
	TotalDirty              uint64       `json:"total_dirty,omitempty"`
	TotalWriteback          uint64       `json:"total_writeback,omitempty"`
	TotalPgPgIn             uint64       `json:"total_pg_pg_in,omitempty"`
	TotalPgPgOut            uint64       `json:"total_pg_pg_out,omitempty"`
	TotalPgFault            uint64       `json:"total_pg_fault,omitempty"`
	TotalPgMajFault         uint64       `json:"total_pg_maj_fault,omitempty"`
	TotalInactiveAnon       uint64       `json:"total_inactive_anon,omitempty"`
	TotalActiveAnon         uint64       `json:"total_active_anon,omitempty"`
	TotalInactiveFile       uint64       `json:"total_inactive_file,omitempty"`
	TotalActiveFile         uint64       `json:"total_active_file,omitempty"`
	TotalUnevictable        uint64       `json:"total_unevictable,omitempty"`
	Usage                   *MemoryEntry `json:"usage,omitempty"`
	Swap                    *MemoryEntry `json:"swap,omitempty"`
	Kernel                  *MemoryEntry `json:"kernel,omitempty"`
	KernelTCP               *MemoryEntry `json:"kernel_tcp,omitempty"`
}

// MemoryEntry is one memory counter with its limit and high-water mark.
type MemoryEntry struct {
	Limit   uint64 `json:"limit,omitempty"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt,omitempty"`
}

// BlkIOStat is block I/O accounting. The GCS always sends it empty, as the
// reference does, to keep responses small.
type BlkIOStat struct {
	IoServiceBytesRecursive []*BlkIOEntry `json:"io_service_bytes_recursive,omitempty"`
	IoServicedRecursive     []*BlkIOEntry `json:"io_serviced_recursive,omitempty"`
	IoQueuedRecursive       []*BlkIOEntry `json:"io_queued_recursive,omitempty"`
	IoServiceTimeRecursive  []*BlkIOEntry `json:"io_service_time_recursive,omitempty"`
	IoWaitTimeRecursive     []*BlkIOEntry `json:"io_wait_time_recursive,omitempty"`
	IoMergedRecursive       []*BlkIOEntry `json:"io_merged_recursive,omitempty"`
	IoTimeRecursive         []*BlkIOEntry `json:"io_time_recursive,omitempty"`
	SectorsRecursive        []*BlkIOEntry `json:"sectors_recursive,omitempty"`
}

// BlkIOEntry is one block I/O counter.
type BlkIOEntry struct {
	Op     string `json:"op,omitempty"`
	Device string `json:"device,omitempty"`
	Major  uint64 `json:"major,omitempty"`
	Minor  uint64 `json:"minor,omitempty"`
	Value  uint64 `json:"value,omitempty"`
}

// RdmaStat is RDMA accounting (sent empty).
type RdmaStat struct {
	Current []*RdmaEntry `json:"current,omitempty"`
	Limit   []*RdmaEntry `json:"limit,omitempty"`
}

// RdmaEntry is one RDMA device's counters.
type RdmaEntry struct {
	Device     string `json:"device,omitempty"`
	HcaHandles uint32 `json:"hca_handles,omitempty"`
	HcaObjects uint32 `json:"hca_objects,omitempty"`
}

// NetworkStat is one interface's counters (never sent).
type NetworkStat struct {
	Name      string `json:"name,omitempty"`
	RxBytes   uint64 `json:"rx_bytes,omitempty"`
	RxPackets uint64 `json:"rx_packets,omitempty"`
	RxErrors  uint64 `json:"rx_errors,omitempty"`
	RxDropped uint64 `json:"rx_dropped,omitempty"`
	TxBytes   uint64 `json:"tx_bytes,omitempty"`
	TxPackets uint64 `json:"tx_packets,omitempty"`
	TxErrors  uint64 `json:"tx_errors,omitempty"`
	TxDropped uint64 `json:"tx_dropped,omitempty"`
}

// CgroupStats counts the cgroup's tasks by state.
type CgroupStats struct {
	NrSleeping        uint64 `json:"nr_sleeping,omitempty"`
	NrRunning         uint64 `json:"nr_running,omitempty"`
	NrStopped         uint64 `json:"nr_stopped,omitempty"`
	NrUninterruptible uint64 `json:"nr_uninterruptible,omitempty"`
	NrIoWait          uint64 `json:"nr_io_wait,omitempty"`
}

// MemoryOomControl is the OOM state of the cgroup.
type MemoryOomControl struct {
	OomKillDisable uint64 `json:"oom_kill_disable,omitempty"`
	UnderOom       uint64 `json:"under_oom,omitempty"`
	OomKill        uint64 `json:"oom_kill,omitempty"`
}
