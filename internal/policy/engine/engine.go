// Package engine evaluates Rego policies for the guest: it compiles a policy
// with the framework once, prepares one query per rule, evaluates it against
// an input document, and keeps the metadata that decisions record between
// requests, with snapshots to undo a decision whose operation failed.
//
// It knows nothing of enforcement points: the policy package gives the
// queries their meaning.
package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Module is a Rego module compiled beside the policy.
type Module struct {
	// Name identifies the module (a file name, or issuer>feed for a fragment).
	Name string
	// Code is its Rego source.
	Code string
}

// Base is a set of parsed modules compiled beside every policy (the
// framework). Parsing is a good part of compiling; a Base parsed once
// serves every policy installed after. It is never changed.
type Base struct {
	modules map[string]*ast.Module
}

// ParseBase parses the modules of a Base.
func ParseBase(modules []Module) (*Base, error) {
	b := &Base{modules: make(map[string]*ast.Module, len(modules))}
	for _, m := range modules {
		parsed, err := ast.ParseModule(m.Name, m.Code)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", m.Name, err)
		}
		b.modules[m.Name] = parsed
	}
	return b, nil
}

// Result is the object a rule evaluated to, without its "metadata" list.
type Result map[string]any

// Engine is a compiled policy, its data and its metadata. Its methods are
// safe for concurrent use; Begin serialises decisions.
type Engine struct {
	txn sync.Mutex // held from Begin until Commit or Rollback

	mu       sync.Mutex // guards everything below
	policy   *ast.Module
	base     *Base
	extra    map[string]Module      // fragments, by name
	parsed   map[string]*ast.Module // the fragments parsed, by name
	compiler *ast.Compiler
	consts   *constCache // values kept between queries, for this compiler
	store    storage.Store
	prepared map[string]rego.PreparedEvalQuery
	meta     Metadata

	// ready is closed once the policy is compiled with the base (at once
	// but for NewDeferred); compileErr is then why it did not compile.
	ready      chan struct{}
	compileErr error
}

// MetadataRoot is the data path of the metadata (data.metadata).
const MetadataRoot = "metadata"

// Parsed is a policy module parsed, ready to compile (see NewParsed).
type Parsed struct {
	module *ast.Module
}

// Parse parses policy (package policy). Parsing apart lets a caller do
// other work meanwhile (parse the base).
func Parse(policy string) (Parsed, error) {
	parsed, err := ast.ParseModule("policy.rego", policy)
	if err != nil {
		return Parsed{}, fmt.Errorf("compile policy: %w", err)
	}
	if parsed == nil {
		return Parsed{}, errors.New("compile policy: the policy is empty")
	}
	return Parsed{module: parsed}, nil
}

// Module returns the parsed module. Reading it may sort object keys in
// place (OPA does so lazily): do it before handing the policy to
// NewDeferred, never beside its compile.
func (p Parsed) Module() *ast.Module { return p.module }

// New compiles policy (package policy) with the base modules (nil for
// none), over data. A "metadata" object in data is the starting state of
// the metadata: each entry an object (a map) or a list (a set).
func New(ctx context.Context, policy string, base *Base, data map[string]any) (*Engine, error) {
	if _, err := initialMetadata(data[MetadataRoot]); err != nil {
		return nil, err
	}
	parsed, err := Parse(policy)
	if err != nil {
		return nil, err
	}
	return NewParsed(ctx, parsed, base, data)
}

// NewParsed is New for a policy already parsed.
func NewParsed(ctx context.Context, policy Parsed, base *Base, data map[string]any) (*Engine, error) {
	e, err := newEngine(policy, base, data)
	if err != nil {
		return nil, err
	}
	if err := e.compile(); err != nil {
		return nil, err
	}
	close(e.ready)
	return e, nil
}

// newEngine is an engine with its store, not compiled yet.
func newEngine(policy Parsed, base *Base, data map[string]any) (*Engine, error) {
	meta, err := initialMetadata(data[MetadataRoot])
	if err != nil {
		return nil, err
	}
	if policy.module == nil {
		return nil, errors.New("compile policy: the policy is empty")
	}
	if base == nil {
		base = &Base{}
	}
	static := maps.Clone(data)
	if static == nil {
		static = map[string]any{}
	}
	static[MetadataRoot] = map[string]any(meta)
	return &Engine{
		policy:   policy.module,
		base:     base,
		extra:    map[string]Module{},
		parsed:   map[string]*ast.Module{},
		store:    inmem.NewFromObjectWithOpts(static, inmem.OptRoundTripOnWrite(true), inmem.OptReturnASTValuesOnRead(true)),
		prepared: map[string]rego.PreparedEvalQuery{},
		meta:     meta,
		ready:    make(chan struct{}),
	}, nil
}

func initialMetadata(raw any) (Metadata, error) {
	if raw == nil {
		return Metadata{}, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("initial metadata is %T, not an object", raw)
	}
	meta := make(Metadata, len(obj))
	for name, entry := range obj {
		switch entry.(type) {
		case map[string]any, []any:
			meta[name] = entry
		default:
			return nil, fmt.Errorf("initial metadata %s is %T, not an object or a list", name, entry)
		}
	}
	return meta, nil
}

func (e *Engine) compile() error {
	compiler, err := compileModules(e.base, e.parsed, e.policy)
	if err != nil {
		return err
	}
	e.compiler = compiler
	e.consts = newConstCache(compiler)
	clear(e.prepared)
	return nil
}

// compiling serialises OPA compiles (and query preparations) in the process: OPA v1.22.4's type
// checker merges types into values it shares between compilers (ast/env.go,
// mergeTypes, which sets a dynamic property's Key and Value in place), so
// two compiles at once race (the race detector shows it when a background
// compile overlaps another). The one piece of package state here guards
// OPA's own.
var compiling sync.Mutex

// compileOne runs one OPA compile, never beside another.
func compileOne(c *ast.Compiler, modules map[string]*ast.Module) {
	compiling.Lock()
	defer compiling.Unlock()
	c.Compile(modules)
}

// compileModules compiles a policy with the base and fragments.
func compileModules(base *Base, fragments map[string]*ast.Module, policy *ast.Module) (*ast.Compiler, error) {
	// Compile copies the modules before it rewrites them (OPA v1): the
	// parsed ones are shared as they are.
	modules := make(map[string]*ast.Module, len(base.modules)+len(fragments)+1)
	maps.Copy(modules, base.modules)
	for name, m := range fragments {
		modules["fragment:"+name] = m
	}
	modules["policy.rego"] = policy
	compiler := ast.NewCompiler()
	if compileOne(compiler, modules); compiler.Failed() {
		return nil, fmt.Errorf("compile policy: %w", compiler.Errors)
	}
	return compiler, nil
}

// query returns the prepared query for a data path such as data.policy.x.
func (e *Engine) query(ctx context.Context, path string) (rego.PreparedEvalQuery, error) {
	if pq, ok := e.prepared[path]; ok {
		return pq, nil
	}
	// Preparing compiles the query (its type check included): not beside
	// another compile either.
	compiling.Lock()
	pq, err := rego.New(
		rego.Query(path),
		rego.Compiler(e.compiler),
		rego.Store(e.store),
	).PrepareForEval(ctx)
	compiling.Unlock()
	if err != nil {
		return rego.PreparedEvalQuery{}, fmt.Errorf("prepare %s: %w", path, err)
	}
	e.prepared[path] = pq
	return pq, nil
}

// Query evaluates path with input and returns the object it evaluated to
// (empty when the rule is undefined) and the metadata operations it asked
// for. The operations are not applied: see Apply.
func (e *Engine) Query(ctx context.Context, path string, input map[string]any) (Result, []Op, error) {
	if err := e.Wait(ctx); err != nil {
		return nil, nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	pq, err := e.query(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	value, err := ast.InterfaceToValue(input)
	if err != nil {
		return nil, nil, fmt.Errorf("convert input for %s: %w", path, err)
	}
	// OPA starts a goroutine per evaluation to watch ctx unless given a
	// canceller: AfterFunc costs nothing until ctx is done.
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	defer stop()
	cache := e.consts.forQuery()
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(value), rego.EvalExternalCancel(cancel),
		rego.EvalVirtualCache(cache), rego.EvalGenerateJSON(keepTerm))
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate %s: %w", path, err)
	}
	cache.keep()
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return Result{}, nil, nil
	}
	term, raw, err := fromTerm(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate %s: %w", path, err)
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s is %T, not an object", path, raw)
	}
	result := make(Result, len(obj))
	var ops []Op
	for k, v := range obj {
		if k == MetadataRoot {
			if ops, err = parseOps(v); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			attachValues(ops, term)
			continue
		}
		result[k] = v
	}
	return result, ops, nil
}

// Apply applies metadata operations; on error nothing changes.
func (e *Engine) Apply(ctx context.Context, ops []Op) error {
	if len(ops) == 0 {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	next, touched, err := e.meta.Apply(ops)
	if err != nil {
		return err
	}
	if err := e.write(ctx, changedPaths(e.meta, next, touched, ops), next, lastValues(ops)); err != nil {
		return err
	}
	e.consts.invalidate(touched)
	e.meta = next
	return nil
}

// changedPaths lists the store paths (under data.metadata) that ops changed
// from old to next. A map that existed before and after changes only at the
// keys the ops named: rewriting a whole map (the matches of every container
// so far) would cost a conversion of all of it on every decision.
func changedPaths(old, next Metadata, touched []string, ops []Op) []storage.Path {
	paths := make([]storage.Path, 0, len(ops))
	for _, name := range touched {
		_, wasMap := old[name].(map[string]any)
		_, isMap := next[name].(map[string]any)
		if !wasMap || !isMap {
			paths = append(paths, storage.Path{MetadataRoot, name})
			continue
		}
		for _, op := range ops {
			path := storage.Path{MetadataRoot, name, op.Key}
			if op.Name == name && !slices.ContainsFunc(paths, path.Equal) && !sameList(lookupKey(old, name, op.Key), lookupKey(next, name, op.Key)) {
				paths = append(paths, path)
			}
		}
	}
	return paths
}

func lookupKey(m Metadata, name, key string) any {
	v, _ := lookup(m, []string{name, key})
	return v
}

// sameList reports whether a and b are the very same non-empty list (one
// backing array): a decision that records back the list it read (the
// native create_container, when every matched container passes) leaves
// the store as it is, so nothing is converted or written.
func sameList(a, b any) bool {
	x, ok1 := a.([]any)
	y, ok2 := b.([]any)
	return ok1 && ok2 && len(x) > 0 && len(x) == len(y) && &x[0] == &y[0]
}

// write puts the values m holds at paths (data.metadata.<name> or
// data.metadata.<name>.<key>) into the store, removing those m lacks.
// parsed holds, by name and key, values already in OPA's form.
func (e *Engine) write(ctx context.Context, paths []storage.Path, m Metadata, parsed map[[2]string]ast.Value) error {
	txn, err := e.store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return fmt.Errorf("open metadata transaction: %w", err)
	}
	for _, path := range paths {
		value, present := lookup(m, path[1:])
		if !present {
			err = e.store.Write(ctx, txn, storage.RemoveOp, path, nil)
			if storage.IsNotFound(err) {
				err = nil
			}
		} else {
			if k, isKey := keyOf(path); isKey && parsed[k] != nil {
				value = parsed[k]
			}
			err = e.store.Write(ctx, txn, storage.AddOp, path, value)
		}
		if err != nil {
			e.store.Abort(ctx, txn)
			return fmt.Errorf("write metadata %s: %w", path, err)
		}
	}
	if err := e.store.Commit(ctx, txn); err != nil {
		return fmt.Errorf("commit metadata: %w", err)
	}
	return nil
}

// lookup finds a metadata entry (one name) or a key of a map (name, key).
func lookup(m Metadata, names []string) (any, bool) {
	value, present := m[names[0]]
	if !present || len(names) == 1 {
		return value, present
	}
	entries, _ := value.(map[string]any)
	value, present = entries[names[1]]
	return value, present
}

// Metadata returns the current metadata. The caller must not change it.
func (e *Engine) Metadata() Metadata {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.meta
}

// AddModule compiles a module (a fragment) beside the policy, replacing one
// of the same name.
func (e *Engine) AddModule(m Module) error {
	if err := e.Wait(context.Background()); err != nil {
		return err
	}
	parsed, err := ast.ParseModule(m.Name, m.Code)
	if err != nil {
		return fmt.Errorf("parse module %s: %w", m.Name, err)
	}
	if parsed == nil {
		return fmt.Errorf("module %s is empty", m.Name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old, had := e.extra[m.Name]
	oldParsed := e.parsed[m.Name]
	e.extra[m.Name], e.parsed[m.Name] = m, parsed
	if err := e.compile(); err != nil {
		if had {
			e.extra[m.Name], e.parsed[m.Name] = old, oldParsed
		} else {
			delete(e.extra, m.Name)
			delete(e.parsed, m.Name)
		}
		return errors.Join(err, e.compile())
	}
	return nil
}

// RemoveModule removes a module AddModule added; removing none is no error.
func (e *Engine) RemoveModule(name string) error {
	if err := e.Wait(context.Background()); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.extra[name]; !ok {
		return nil
	}
	delete(e.extra, name)
	delete(e.parsed, name)
	return e.compile()
}

// HasModule reports whether a module of that name is loaded.
func (e *Engine) HasModule(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.extra[name]
	return ok
}

// ModuleNames returns the names of the modules AddModule added, sorted.
func (e *Engine) ModuleNames() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	names := make([]string, 0, len(e.extra))
	for name := range e.extra {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ModuleCount is how many modules AddModule added (loaded fragments).
func (e *Engine) ModuleCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.extra)
}
