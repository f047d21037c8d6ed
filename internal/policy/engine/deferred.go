package engine

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
)

// NewDeferred is NewParsed that returns before the policy is compiled with
// the base: compiling with a framework takes tens of milliseconds that an
// install need not wait for. It checks at once what the policy alone can
// show (it compiles without the base), then compiles it with the base in
// the background. Queries, AddModule and RemoveModule wait for that compile
// (see Wait) and fail with its error; the metadata is usable at once.
//
// A policy that does not compile alone (one calling a function of the
// base, say) is compiled with the base before NewDeferred returns, so its
// errors are reported as NewParsed would report them.
//
// base returns the base, perhaps still being parsed; it is called once, in
// the background unless the policy needs it at once.
func NewDeferred(ctx context.Context, policy Parsed, base func() (*Base, error), data map[string]any) (*Engine, error) {
	e, err := newEngine(policy, nil, data)
	if err != nil {
		return nil, err
	}
	alone := ast.NewCompiler()
	if compileOne(alone, map[string]*ast.Module{"policy.rego": e.policy}); alone.Failed() {
		if e.base, err = base(); err != nil {
			return nil, err
		}
		if err := e.compile(); err != nil {
			return nil, err
		}
		close(e.ready)
		return e, nil
	}
	// Nothing reads the base or changes the modules until ready is
	// closed: AddModule and RemoveModule wait for it.
	go func() {
		b, err := base()
		var compiler *ast.Compiler
		if err == nil {
			compiler, err = compileModules(b, nil, e.policy)
		}
		e.mu.Lock()
		if err == nil {
			e.base, e.compiler, e.consts = b, compiler, newConstCache(compiler)
		}
		e.compileErr = err
		e.mu.Unlock()
		close(e.ready)
	}()
	return e, nil
}

// Wait waits until the policy is compiled with the base (at once but for
// NewDeferred) and returns the compile's error, or ctx's.
func (e *Engine) Wait(ctx context.Context) error {
	select {
	case <-e.ready:
		return e.compileErr
	default:
	}
	select {
	case <-e.ready:
		return e.compileErr
	case <-ctx.Done():
		return fmt.Errorf("wait for the policy to compile: %w", ctx.Err())
	}
}
