package test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSoak is `make soak`: it runs many container create/exec/delete cycles
// in parallel through the real gcs binary and the client, with faults
// injected (a runtime killed mid-create, the host dropping the bridge, a
// stdio peer closing early, the state root's file system full), and then
// accounts for every exit code and notification and for what the daemon
// holds compared with before. It reports rather than asserts: the figures
// go to a table on standard output and to docs/SOAK.md. It runs only with
// GCS_SOAK=1; GCS_SOAK_CYCLES, _PARALLEL, _RUNTIMES, _FAULTS, _SEED and
// _REPORT parametrize it (see docs/SOAK.md).
func TestSoak(t *testing.T) {
	if os.Getenv("GCS_SOAK") == "" {
		t.Skip("the soak runs with `make soak` (GCS_SOAK=1)")
	}
	cfg := soakConfigFromEnv(t)
	var results []*soakResult
	for _, rt := range cfg.runtimes {
		t.Run(rt, func(t *testing.T) {
			results = append(results, soakRuntime(t, cfg, rt))
		})
	}
	table := soakTable(results)
	fmt.Println(table)
	if cfg.report != "" {
		if err := os.WriteFile(cfg.report, []byte(soakMarkdown(cfg, results, table)), 0o644); err != nil {
			t.Errorf("write soak report: %v", err)
		}
	}
}

// soakConfig is what one soak run does.
type soakConfig struct {
	cycles, parallel int
	runtimes         []string
	faults           map[string]bool
	seed             uint64
	report           string
}

// soakFaultNames are the faults the soak can inject.
var soakFaultNames = []string{"runtime-kill", "conn-drop", "stdio-close", "disk-full"}

func soakConfigFromEnv(t *testing.T) soakConfig {
	num := func(name string, def int) int {
		v := os.Getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a positive number", name, v)
		}
		return n
	}
	cfg := soakConfig{
		cycles:   num("GCS_SOAK_CYCLES", 500),
		parallel: num("GCS_SOAK_PARALLEL", 50),
		runtimes: strings.Fields(os.Getenv("GCS_SOAK_RUNTIMES")),
		faults:   map[string]bool{},
		seed:     uint64(time.Now().UnixNano()),
		report:   os.Getenv("GCS_SOAK_REPORT"),
	}
	if len(cfg.runtimes) == 0 {
		cfg.runtimes = []string{"runc", "crun"}
	}
	if v := os.Getenv("GCS_SOAK_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("GCS_SOAK_SEED=%q: %v", v, err)
		}
		cfg.seed = s
	}
	faults := os.Getenv("GCS_SOAK_FAULTS")
	if faults == "" {
		faults = strings.Join(soakFaultNames, " ")
	}
	for _, f := range strings.Fields(faults) {
		if f == "none" {
			continue
		}
		known := false
		for _, n := range soakFaultNames {
			known = known || n == f
		}
		if !known {
			t.Fatalf("GCS_SOAK_FAULTS: unknown fault %q (known: %s, none)", f, strings.Join(soakFaultNames, " "))
		}
		cfg.faults[f] = true
	}
	return cfg
}

// soakRuntime runs the cycles against one gcs using runtime rt.
func soakRuntime(t *testing.T, cfg soakConfig, rt string) *soakResult {
	env := soakStart(t, cfg, rt)
	// One cycle first, uncounted, so that what the daemon makes once
	// (parent cgroups, pools) is in the baseline. A soak whose cycles
	// cannot work at all measures nothing: stop.
	// The runtime-kill fault may hit a warm-up cycle: up to five are tried.
	warm := &soakResult{}
	for i := -1; i >= -5 && warm.get("create.ok") == 0; i-- {
		env.cycle(i, warm)
	}
	if warm.get("create.ok") == 0 {
		t.Fatalf("no warm-up cycle created a container: %v", warm.examples)
	}
	env.forgetCounts()
	res := &soakResult{runtime: rt, before: env.snapshot(t)}
	start := time.Now()
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for w := 0; w < cfg.parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.cycles {
					return
				}
				env.cycle(i, res)
				env.cycleDone(i)
			}
		}()
	}
	wg.Wait()
	res.duration = time.Since(start)
	env.settle(t, res)
	res.after = env.snapshot(t)
	return res
}

// soakWaitBound bounds every request and wait of the soak: a request still
// unanswered then counts as a hang, a notification not in by then as
// missing.
const soakWaitBound = time.Minute

func soakCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), soakWaitBound)
}
