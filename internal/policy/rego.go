package policy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/linux-gcs/gcs/internal/policy/engine"
	"github.com/linux-gcs/gcs/internal/policy/framework"
	"github.com/linux-gcs/gcs/internal/policy/native"
	"github.com/sirupsen/logrus"
)

// Framework is the framework's Rego, parsed: load it once and share it
// between the policies installed after (parsing is a good part of
// installing a policy).
type Framework struct {
	base *engine.Base
}

// LoadFramework parses the framework and api modules.
func LoadFramework() (*Framework, error) {
	mods := framework.Modules()
	base := make([]engine.Module, 0, len(mods))
	for _, m := range mods {
		base = append(base, engine.Module{Name: m.Name, Code: m.Code})
	}
	b, err := engine.ParseBase(base)
	if err != nil {
		return nil, fmt.Errorf("load policy framework: %w", err)
	}
	return &Framework{base: b}, nil
}

// Options configure a Rego enforcer.
type Options struct {
	// Framework is the parsed framework; loaded anew when nil.
	Framework *Framework
	// Data replaces DefaultData() as the policy's data when not nil.
	Data map[string]any
	// MaxErrorLength bounds a denial's message: 0 is DefaultMaxErrorLength,
	// negative is no bound.
	MaxErrorLength int
	// Log receives the decision log (denials, evaluation failures); the
	// standard logrus logger unless set.
	Log logrus.FieldLogger
	// OSType is the guest's operating system as the policy sees it
	// (data.metadata.operatingsystem.ostype): "linux" unless set.
	OSType string
	// NoFastPath has every decision evaluated by OPA, none by the native
	// plan (see package native): for tests that compare the two.
	NoFastPath bool
	// CompileInBackground has NewRego return once the policy is parsed and
	// compiles alone, and compile it with the framework in the
	// background: decisions wait for that compile and are denied if it
	// fails (see Ready). A policy that needs the framework to compile at
	// all is compiled before NewRego returns.
	CompileInBackground bool
}

// Rego enforces a Rego policy (package policy) compiled with the framework.
type Rego struct {
	engine   *engine.Engine
	fast     *native.Plan // nil: every rule goes to OPA
	log      logrus.FieldLogger
	maxError int
	osType   string

	planned atomic.Uint64 // queries the plan answered rather than OPA

	mu    sync.Mutex
	stdio map[string]bool      // allow_stdio_access of each created container
	info  map[string]pointInfo // per rule: fixed once the policy is compiled
}

// NewRego compiles policy. It fails when the policy does not compile.
func NewRego(ctx context.Context, policy string, opts Options) (*Rego, error) {
	data := opts.Data
	if data == nil {
		data = DefaultData()
	}
	// The framework (when not loaded yet) parses beside the policy:
	// together they are a good part of an install.
	loaded := func() (*engine.Base, error) { return opts.Framework.base, nil }
	if opts.Framework == nil {
		loaded = sync.OnceValues(func() (*engine.Base, error) {
			fw, err := LoadFramework()
			if err != nil {
				return nil, err
			}
			return fw.base, nil
		})
		go loaded() //nolint:errcheck // its result is kept for the compile
	}
	parsed, err := engine.Parse(policy)
	if err != nil {
		return nil, fmt.Errorf("install policy: %w", err)
	}
	// The plan is read before the compile starts: reading the parsed
	// policy's values sorts their keys in place, which a compile in the
	// background must not see happen (it copies the module).
	var fast *native.Plan
	if !opts.NoFastPath {
		fast = native.Extract(parsed.Module(), data)
	}
	var e *engine.Engine
	if opts.CompileInBackground {
		e, err = engine.NewDeferred(ctx, parsed, loaded, data)
	} else {
		var base *engine.Base
		if base, err = loaded(); err == nil {
			e, err = engine.NewParsed(ctx, parsed, base, data)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("install policy: %w", err)
	}
	osType := opts.OSType
	if osType == "" {
		osType = "linux"
	}
	os := engine.Op{Action: engine.OpUpdate, Type: engine.OpMap, Name: "operatingsystem", Key: "ostype", Value: osType}
	if err := e.Apply(ctx, []engine.Op{os}); err != nil {
		return nil, fmt.Errorf("record operating system: %w", err)
	}
	log := opts.Log
	if log == nil {
		log = logrus.StandardLogger()
	}
	return &Rego{engine: e, fast: fast, log: log, maxError: opts.MaxErrorLength, osType: osType, stdio: map[string]bool{}, info: map[string]pointInfo{}}, nil
}

// Ready waits until the policy is compiled with the framework (see
// Options.CompileInBackground) and returns why it did not compile, if it
// did not: every decision is then denied with that error.
func (p *Rego) Ready(ctx context.Context) error {
	if err := p.engine.Wait(ctx); err != nil {
		return fmt.Errorf("install policy: %w", err)
	}
	return nil
}

// Metadata returns what the decisions so far recorded (data.metadata).
func (p *Rego) Metadata() engine.Metadata { return p.engine.Metadata() }

// Loaded reports whether a fragment's module (by issuer and feed) is loaded.
func (p *Rego) Loaded(issuer, feed string) bool { return p.engine.HasModule(moduleID(issuer, feed)) }

// Decide evaluates rule with a raw input document, as the simulator does.
// The typed enforcement methods go through it too.
func (p *Rego) Decide(ctx context.Context, rule string, input map[string]any) (*Decision, error) {
	if !ruleName().MatchString(rule) {
		return nil, fmt.Errorf("%q is not an enforcement point name", rule)
	}
	if outer, ok := ctx.Value(joinKey{}).(*Decision); ok && outer.engine == p.engine && outer.rollback != nil {
		// Part of outer's transaction: nothing to wait for, and nothing
		// to keep or undo but with outer.
		result, ops, err := p.enforce(ctx, rule, input)
		if err != nil {
			return nil, err
		}
		return &Decision{Rule: rule, Result: result, Recorded: ops}, nil
	}
	txn := p.engine.Begin()
	result, ops, err := p.enforce(ctx, rule, input)
	if err != nil {
		if rbErr := txn.Rollback(ctx); rbErr != nil {
			return nil, errors.Join(err, rbErr)
		}
		return nil, err
	}
	return p.decision(rule, result, ops, txn), nil
}

// ruleName is what a rule name may be: it becomes part of a query.
var ruleName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z_][a-z0-9_]*$`) })

func (p *Rego) decision(rule string, result engine.Result, ops []engine.Op, txn *engine.Txn) *Decision {
	return &Decision{Rule: rule, Result: result, Recorded: ops, commit: txn.Commit, rollback: txn.Rollback, engine: p.engine}
}

// enforce asks the policy, applies the API's defaults for the rule, records
// the metadata of an allowed answer, and turns a refusal into a denial.
func (p *Rego) enforce(ctx context.Context, rule string, input map[string]any) (engine.Result, []engine.Op, error) {
	var result engine.Result
	var ops []engine.Op
	err := p.Ready(ctx)
	if err == nil {
		result, ops, err = p.query(ctx, rule, input)
	}
	if err == nil {
		result, ops, err = p.withDefaults(ctx, rule, input, result, ops)
	}
	var allowed bool
	if err == nil {
		allowed, err = allowedOf(result)
	}
	if err == nil && allowed {
		err = p.engine.Apply(ctx, ops)
	}
	if err != nil {
		p.log.WithFields(logrus.Fields{"rule": rule, "error": err}).Warn("policy could not decide")
		return nil, nil, denial(rule, input, nil, err, p.maxError)
	}
	if !allowed {
		return nil, nil, p.refuse(ctx, rule, input)
	}
	return result, ops, nil
}

// query answers rule natively when it can, else asks OPA.
func (p *Rego) query(ctx context.Context, rule string, input map[string]any) (engine.Result, []engine.Op, error) {
	if result, ops, ok := p.native(rule, input); ok {
		p.planned.Add(1)
		return result, ops, nil
	}
	return p.engine.Query(ctx, "data.policy."+rule, input)
}

// native decides rule with the plan when the plan covers it and allows
// the request; ok is false otherwise. Loaded fragments always send it to
// OPA.
func (p *Rego) native(rule string, input map[string]any) (engine.Result, []engine.Op, bool) {
	if !p.fast.Covers(rule) || p.engine.ModuleCount() != 0 {
		return nil, nil, false
	}
	return p.fast.Decide(rule, input, p.engine.Metadata())
}

func allowedOf(result engine.Result) (bool, error) {
	v, ok := result["allowed"]
	if !ok {
		return false, errors.New("unable to find value for key 'allowed'")
	}
	b, ok := v.(bool)
	if !ok {
		return false, errors.New("value for 'allowed' is not a boolean")
	}
	return b, nil
}

// refuse builds the denial with the policy's reason for it.
func (p *Rego) refuse(ctx context.Context, rule string, input map[string]any) error {
	asked := make(map[string]any, len(input)+1)
	for k, v := range input {
		asked[k] = v
	}
	asked["rule"] = rule
	reason, _, err := p.engine.Query(ctx, "data.policy.reason", asked)
	if err != nil {
		p.log.WithFields(logrus.Fields{"rule": rule, "error": err}).Warn("policy gave no reason for denial")
		reason = nil
	}
	d := denial(rule, asked, reason, nil, p.maxError)
	p.log.WithFields(logrus.Fields{"rule": rule, "reasons": d.Reasons()}).Info("policy denied request")
	return d
}

// withDefaults applies what the API says about a rule the policy left
// undefined: an error if its API version promises the rule, the framework's
// answer for rules that fall back to it, else the rule's default results
// under whatever the policy returned.
func (p *Rego) withDefaults(ctx context.Context, rule string, input map[string]any, result engine.Result, ops []engine.Op) (engine.Result, []engine.Op, error) {
	info, err := p.pointInfo(ctx, rule)
	if err != nil {
		return nil, nil, err
	}
	if len(result) == 0 && info.available {
		return nil, nil, fmt.Errorf("rule for %s is missing from policy", rule)
	}
	if len(result) == 0 && info.useFramework {
		return p.engine.Query(ctx, "data.framework."+rule, input)
	}
	merged := make(engine.Result, len(info.defaults)+len(result))
	for k, v := range info.defaults {
		merged[k] = v
	}
	for k, v := range result {
		merged[k] = v
	}
	return merged, ops, nil
}

type pointInfo struct {
	available    bool
	useFramework bool
	defaults     map[string]any
}

// pointInfo asks the framework what the API says about rule. The answer
// depends only on the policy's api_version and the api package, which no
// decision or fragment changes, so it is asked once per rule.
func (p *Rego) pointInfo(ctx context.Context, rule string) (pointInfo, error) {
	p.mu.Lock()
	cached, ok := p.info[rule]
	p.mu.Unlock()
	if ok {
		return cached, nil
	}
	info, err := p.askPointInfo(ctx, rule)
	if err == nil {
		p.mu.Lock()
		p.info[rule] = info
		p.mu.Unlock()
	}
	return info, err
}

func (p *Rego) askPointInfo(ctx context.Context, rule string) (pointInfo, error) {
	info, _, err := p.engine.Query(ctx, "data.framework.enforcement_point_info", map[string]any{"name": rule, "rule": rule})
	if err != nil {
		return pointInfo{}, fmt.Errorf("error querying enforcement point information: %w", err)
	}
	flag := func(key string) (bool, error) {
		b, ok := info[key].(bool)
		if !ok {
			return false, fmt.Errorf("enforcement point %s result missing %s", rule, key)
		}
		return b, nil
	}
	var out pointInfo
	for _, check := range []struct {
		key string
		msg string
	}{
		{"unknown", "enforcement point rule %s does not exist"},
		{"invalid", "enforcement point rule %s is invalid"},
		{"version_missing", "policy does not define api_version"},
	} {
		set, err := flag(check.key)
		if err != nil {
			return out, err
		}
		if set {
			if strings.Contains(check.msg, "%s") {
				return out, fmt.Errorf(check.msg, rule)
			}
			return out, errors.New(check.msg)
		}
	}
	var ok bool
	if out.defaults, ok = info["default_results"].(map[string]any); !ok {
		return out, fmt.Errorf("enforcement point %s result missing defaults", rule)
	}
	if out.available, err = flag("available"); err != nil {
		return out, err
	}
	if out.useFramework, err = flag("use_framework"); err != nil {
		return out, err
	}
	return out, nil
}

// Fragments returns the loaded fragment modules, as "issuer>feed", sorted.
func (p *Rego) Fragments() []string { return p.engine.ModuleNames() }
