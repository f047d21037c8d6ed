package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/linux-gcs/gcs/internal/policy/engine"
	"github.com/linux-gcs/gcs/internal/policy/framework"
)

var fragmentPackage = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^package +([a-zA-Z_][a-zA-Z0-9_]*)\s*$`) })

// Packages a fragment may not claim: they would replace the policy's own.
var reservedPackages = []string{"framework", "api", "policy", "metadata"}

// fragmentNamespace reads the package a fragment declares on its first line.
func fragmentNamespace(rego string) (string, error) {
	first, _, _ := strings.Cut(rego, "\n")
	if first == "" {
		return "", errors.New("fragment Rego is empty")
	}
	m := fragmentPackage().FindStringSubmatch(first)
	if m == nil {
		return "", fmt.Errorf("valid package definition required on first line, got %s", quoteStart(first))
	}
	if slices.Contains(reservedPackages, m[1]) {
		return "", fmt.Errorf("namespace %q is reserved and cannot be used for fragments", m[1])
	}
	return m[1], nil
}

// maxQuoted bounds what an error quotes of a fragment's text, which is
// the host's and may be megabytes long.
const maxQuoted = 128

// quoteStart quotes s, or its first maxQuoted bytes (cut on a character
// boundary) with the length of the whole.
func quoteStart(s string) string {
	if len(s) <= maxQuoted {
		return fmt.Sprintf("%q", s)
	}
	cut := strings.ToValidUTF8(s[:maxQuoted], "")
	return fmt.Sprintf("%q... (%d bytes)", cut, len(s))
}

func moduleID(issuer, feed string) string { return issuer + ">" + feed }

// withParameters appends the parameters a fragment is loaded with, and the
// parameter() function reading them.
func withParameters(rego string, params map[string]any) (string, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return "", fmt.Errorf("encode fragment parameters: %w", err)
	}
	return rego + "\n__fragment_parameters := " + string(raw) + "\n" + framework.FragmentParameters() + "\n", nil
}

func receiptsInput(receipts []Receipt) []any {
	out := make([]any, 0, len(receipts))
	for _, r := range receipts {
		out = append(out, map[string]any{"issuer": r.Issuer, "ttl_subjects": strs(r.TTLSubjects)})
	}
	return out
}

// LoadFragment implements Enforcer. The policy is asked first without the
// fragment's module, then with it once for each parameter set it offers;
// the module stays loaded only when the answer says add_module.
func (p *Rego) LoadFragment(ctx context.Context, r LoadFragment) (*Decision, error) {
	namespace, err := fragmentNamespace(r.Rego)
	if err != nil {
		return nil, fmt.Errorf("unable to load fragment: %w", err)
	}
	var headerSVN any
	if r.HeaderSVN != nil {
		headerSVN = *r.HeaderSVN
	}
	input := map[string]any{
		"issuer":          r.Issuer,
		"feed":            r.Feed,
		"namespace":       namespace,
		"fragment_loaded": false,
		"has_header_svn":  r.HeaderSVN != nil,
		"header_svn":      headerSVN,
		"receipts":        receiptsInput(r.Receipts),
	}
	txn := p.engine.Begin()
	result, ops, err := p.loadFragment(ctx, r, input)
	if err != nil {
		return nil, errors.Join(err, txn.Rollback(ctx))
	}
	return p.decision(RuleLoadFragment, result, ops, txn), nil
}

// loadFragment returns the last answer and the metadata operations of all.
func (p *Rego) loadFragment(ctx context.Context, r LoadFragment, input map[string]any) (engine.Result, []engine.Op, error) {
	first, recorded, err := p.enforce(ctx, RuleLoadFragment, input)
	if err != nil {
		return nil, nil, err
	}
	sets, err := parameterSets(first)
	if err != nil {
		return nil, nil, err
	}
	input["fragment_loaded"] = true
	id := moduleID(r.Issuer, r.Feed)
	var last engine.Result
	for _, params := range sets {
		code, err := withParameters(r.Rego, params)
		if err != nil {
			return nil, nil, err
		}
		if err := p.engine.AddModule(engine.Module{Name: id, Code: code}); err != nil {
			return nil, nil, fmt.Errorf("unable to load fragment: %w", err)
		}
		result, ops, err := p.enforce(ctx, RuleLoadFragment, input)
		if err != nil {
			return nil, nil, err
		}
		recorded = append(recorded, ops...)
		if keep, _ := result["add_module"].(bool); keep {
			if len(sets) > 1 {
				return nil, nil, errors.New("fragment cannot include namespace if multiple possible parameter combinations are defined")
			}
			return result, recorded, nil
		}
		if err := p.engine.RemoveModule(id); err != nil {
			return nil, nil, err
		}
		last = result
	}
	return last, recorded, nil
}

// parameterSets reads the parameter sets the first answer offers; none
// means one empty set.
func parameterSets(first engine.Result) ([]map[string]any, error) {
	raw, ok := first["parameters"]
	if !ok {
		return []map[string]any{{}}, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("load_fragment parameters is %T, not a list", raw)
	}
	sets := make([]map[string]any, 0, len(list))
	for _, item := range list {
		set, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("parameters must be an object, got %T", item)
		}
		sets = append(sets, set)
	}
	if len(sets) == 0 {
		sets = append(sets, map[string]any{})
	}
	return sets, nil
}
