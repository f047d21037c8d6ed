package engine

import (
	"context"
	"fmt"
	"maps"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
)

// Txn is one decision in progress: everything the engine records between
// Begin and Commit is undone by Rollback. Only one Txn is open at a time;
// Begin waits for the previous one to finish.
type Txn struct {
	e       *Engine
	meta    Metadata
	modules map[string]Module
	parsed  map[string]*ast.Module
	done    bool
}

// Begin starts a decision. The caller must end it with Commit or Rollback.
func (e *Engine) Begin() *Txn {
	e.txn.Lock()
	e.mu.Lock()
	defer e.mu.Unlock()
	return &Txn{e: e, meta: e.meta, modules: maps.Clone(e.extra), parsed: maps.Clone(e.parsed)}
}

// Commit keeps what the decision recorded. It is a no-op after Commit or
// Rollback.
func (t *Txn) Commit() {
	if t.done {
		return
	}
	t.done = true
	t.e.txn.Unlock()
}

// Rollback restores the metadata and modules of Begin. It is a no-op after
// Commit or Rollback.
func (t *Txn) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	defer t.e.txn.Unlock()
	return t.e.restore(ctx, t.meta, t.modules, t.parsed)
}

func (e *Engine) restore(ctx context.Context, meta Metadata, modules map[string]Module, parsed map[string]*ast.Module) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	// Rollbacks are rare: every name either side knows is rewritten.
	changed := make([]string, 0, len(e.meta)+len(meta))
	for name := range e.meta {
		changed = append(changed, name)
	}
	for name := range meta {
		if _, ok := e.meta[name]; !ok {
			changed = append(changed, name)
		}
	}
	paths := make([]storage.Path, len(changed))
	for i, name := range changed {
		paths[i] = storage.Path{MetadataRoot, name}
	}
	if err := e.write(ctx, paths, meta, nil); err != nil {
		return fmt.Errorf("restore metadata: %w", err)
	}
	e.consts.invalidate(changed)
	e.meta = meta
	if !maps.EqualFunc(e.extra, modules, func(a, b Module) bool { return a == b }) {
		e.extra, e.parsed = modules, parsed
		return e.compile()
	}
	return nil
}
