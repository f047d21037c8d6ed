package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// hugePagesDir lists one directory per huge page size the kernel supports.
const hugePagesDir = "/sys/kernel/mm/hugepages"

// hugePageSizes returns the machine's huge page sizes as the hugetlb
// controller names them in its files ("2MB", "1GB"); none without hugetlbfs.
func hugePageSizes() ([]string, error) {
	entries, err := os.ReadDir(hugePagesDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list huge page sizes: %w", err)
	}
	var out []string
	for _, e := range entries {
		if s, ok := hugePageName(e.Name()); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// hugePageName turns "hugepages-2048kB" into "2MB", the kernel's own
// spelling in hugetlb.<size>.* file names.
func hugePageName(dir string) (string, bool) {
	kb, ok := strings.CutPrefix(dir, "hugepages-")
	if !ok {
		return "", false
	}
	kb, ok = strings.CutSuffix(kb, "kB")
	if !ok {
		return "", false
	}
	n, err := strconv.ParseUint(kb, 10, 64)
	if err != nil || n == 0 {
		return "", false
	}
	switch {
	case n%(1<<20) == 0:
		return strconv.FormatUint(n>>20, 10) + "GB", true
	case n%(1<<10) == 0:
		return strconv.FormatUint(n>>10, 10) + "MB", true
	default:
		return strconv.FormatUint(n, 10) + "KB", true
	}
}
