package hcsv2

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// findingsEnv enables TestFuzzFindings (`make fuzz-findings`).
const findingsEnv = "GCS_FUZZ_FINDINGS"

// fuzzTargets maps each fuzz target to the message type it fuzzes.
var fuzzTargets = map[string]prot.MessageIdentifier{
	"FuzzCreate":               prot.ComputeSystemCreateV1,
	"FuzzStart":                prot.ComputeSystemStartV1,
	"FuzzShutdownGraceful":     prot.ComputeSystemShutdownGracefulV1,
	"FuzzShutdownForced":       prot.ComputeSystemShutdownForcedV1,
	"FuzzExecuteProcess":       prot.ComputeSystemExecuteProcessV1,
	"FuzzWaitForProcess":       prot.ComputeSystemWaitForProcessV1,
	"FuzzSignalProcess":        prot.ComputeSystemSignalProcessV1,
	"FuzzResizeConsole":        prot.ComputeSystemResizeConsoleV1,
	"FuzzGetProperties":        prot.ComputeSystemGetPropertiesV1,
	"FuzzModifySettings":       prot.ComputeSystemModifySettingsV1,
	"FuzzDumpStacks":           prot.ComputeSystemDumpStacksV1,
	"FuzzDeleteContainerState": prot.ComputeSystemDeleteContainerStateV1,
	"FuzzNegotiateProtocol":    prot.ComputeSystemNegotiateProtocolV1,
}

// TestFuzzFindings runs the inputs in testdata/fuzz-findings/<target>/:
// defects the fuzz targets found that are not fixed yet. They stay out of
// the seed corpora (and so out of `go test`) until their fix lands; then
// the fix moves each into testdata/fuzz/<target>/, where every `go test`
// replays it. Each fails here while its defect is present.
func TestFuzzFindings(t *testing.T) {
	if os.Getenv(findingsEnv) == "" {
		t.Skip("known fuzz findings awaiting fixes; run them with `make fuzz-findings`")
	}
	files, err := filepath.Glob("testdata/fuzz-findings/*/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		target := filepath.Base(filepath.Dir(file))
		typ, ok := fuzzTargets[target]
		if !ok {
			t.Fatalf("%s: unknown fuzz target %s", file, target)
		}
		body, err := readCorpusEntry(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		t.Run(target+"/"+filepath.Base(file), func(t *testing.T) {
			newFuzzHost(t).input(t, typ, body)
		})
	}
}

var errCorpus = errors.New(`not a "go test fuzz v1" entry with one []byte argument`)

// readCorpusEntry reads a one-argument []byte entry in the "go test fuzz
// v1" corpus format.
func readCorpusEntry(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitN(strings.TrimSpace(string(b)), "\n", 2)
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return nil, errCorpus
	}
	arg, ok := strings.CutPrefix(lines[1], "[]byte(")
	if !ok || !strings.HasSuffix(arg, ")") {
		return nil, errCorpus
	}
	s, err := strconv.Unquote(strings.TrimSuffix(arg, ")"))
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}
