package engine

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/util"
)

// Most of what a decision evaluates does not depend on its input: the
// policy's containers brought to the current framework version, the layers
// they allow, the version checks, and functions of policy values (a
// pattern anchored, a container's default capabilities). OPA caches values
// within one query only. constCache keeps them between queries: the value
// of a rule, or of a function for given arguments, that reads neither
// input nor anything that changes between queries except named metadata
// entries is kept until one of those entries changes (or the policy is
// compiled again, which builds a new constCache).
//
// A rule is kept only if no rule it depends on (per the compiler's
// dependency graph, which counts every rule a dynamic reference may
// select) reads input, reads data through a variable or the data root,
// calls a non-deterministic built-in, or uses "with". Values computed under
// a "with" are never shared, and values of a query that failed (a conflict
// between rules, say) are dropped. A rule or function keeps at most
// maxKept values: then its values are forgotten and kept afresh.
type constCache struct {
	root pathNode
	live []*pathNode // nodes holding values
}

// pathNode is one step of a rule path (data.framework.known_layer).
type pathNode struct {
	children map[string]*pathNode
	rule     *pathInfo
	values   topdown.VirtualCache
	kept     int // values put in values
}

// maxKept bounds the values kept for one rule or function: arguments may
// come from requests.
const maxKept = 256

// pathInfo is what the rules at one path depend on.
type pathInfo struct {
	deps ruleDeps
}

// ruleDeps is what a rule's value depends on besides the policy and the
// static data.
type ruleDeps struct {
	volatile bool                // never kept between queries
	allMeta  bool                // changes with any metadata entry
	meta     map[string]struct{} // changes with these metadata entries
}

func (d *ruleDeps) merge(o ruleDeps) {
	d.volatile = d.volatile || o.volatile
	d.allMeta = d.allMeta || o.allMeta
	for name := range o.meta {
		if d.meta == nil {
			d.meta = map[string]struct{}{}
		}
		d.meta[name] = struct{}{}
	}
}

func (d ruleDeps) touches(names []string) bool {
	if d.allMeta {
		return true
	}
	for _, name := range names {
		if _, ok := d.meta[name]; ok {
			return true
		}
	}
	return false
}

// newConstCache analyses the rules of a compiled policy.
func newConstCache(c *ast.Compiler) *constCache {
	a := &depAnalysis{graph: c.Graph, done: map[*ast.Rule]ruleDeps{}, busy: map[*ast.Rule]bool{}}
	cc := &constCache{}
	for _, name := range util.KeysSorted(c.Modules) {
		ast.WalkRules(c.Modules[name], func(r *ast.Rule) bool {
			node := cc.node(r.Ref().GroundPrefix())
			if node.rule == nil {
				node.rule = &pathInfo{}
			}
			node.rule.deps.merge(a.rule(r))
			if !r.Head.Ref().IsGround() {
				// A rule with variables in its head path: its values are
				// found under paths the trie does not spell out.
				node.rule.deps.volatile = true
			}
			return false
		})
	}
	return cc
}

func (cc *constCache) node(path ast.Ref) *pathNode {
	n := &cc.root
	for _, t := range path[1:] {
		s, ok := t.Value.(ast.String)
		if !ok {
			break
		}
		next := n.children[string(s)]
		if next == nil {
			next = &pathNode{}
			if n.children == nil {
				n.children = map[string]*pathNode{}
			}
			n.children[string(s)] = next
		}
		n = next
	}
	return n
}

// lookup returns the node of the rule whose document ref is in (or of
// the function a call key names), if its values may be kept between
// queries.
func (cc *constCache) lookup(ref ast.Ref) *pathNode {
	if len(ref) > 0 {
		// A function call's key is its name (a ref) and its arguments.
		if name, ok := ref[0].Value.(ast.Ref); ok {
			ref = name
		}
	}
	if len(ref) < 2 || !ref[0].Equal(ast.DefaultRootDocument) {
		return nil
	}
	n := &cc.root
	for _, t := range ref[1:] {
		s, ok := t.Value.(ast.String)
		if !ok {
			return nil
		}
		if n = n.children[string(s)]; n == nil {
			return nil
		}
		if n.rule != nil {
			if n.rule.deps.volatile {
				return nil
			}
			return n
		}
	}
	return nil
}

// invalidate forgets the values that depend on the named metadata entries.
// A nil cache (a deferred compile not done yet) holds nothing to forget.
func (cc *constCache) invalidate(names []string) {
	if cc == nil {
		return
	}
	kept := cc.live[:0]
	for _, n := range cc.live {
		if n.rule.deps.touches(names) {
			n.values, n.kept = nil, 0
			continue
		}
		kept = append(kept, n)
	}
	clear(cc.live[len(kept):])
	cc.live = kept
}

// put keeps a value a query computed.
func (cc *constCache) put(n *pathNode, ref ast.Ref, value *ast.Term) {
	if n.kept >= maxKept {
		n.values, n.kept = nil, 0
	}
	if n.values == nil {
		n.values = topdown.NewVirtualCache()
		if !slices.Contains(cc.live, n) {
			cc.live = append(cc.live, n)
		}
	}
	n.values.Put(ref, value)
	n.kept++
}

// forQuery returns the virtual document cache of one query. Call its
// keep once the query succeeded.
func (cc *constCache) forQuery() *queryCache {
	return &queryCache{shared: cc, own: topdown.NewVirtualCache()}
}

// queryCache is a query's virtual document cache: the values kept for
// constant rules, and its own for the rest, for everything under "with",
// and for the constant values it computes until keep.
type queryCache struct {
	shared  *constCache
	own     topdown.VirtualCache
	frames  int // "with" frames pushed
	pending []pendingValue
}

type pendingValue struct {
	node  *pathNode
	ref   ast.Ref
	value *ast.Term
}

func (q *queryCache) Push() { q.frames++; q.own.Push() }

func (q *queryCache) Pop() { q.frames--; q.own.Pop() }

func (q *queryCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if q.frames == 0 {
		if n := q.shared.lookup(ref); n != nil && n.values != nil {
			if v, undefined := n.values.Get(ref); v != nil || undefined {
				return v, undefined
			}
		}
	}
	return q.own.Get(ref)
}

func (q *queryCache) Put(ref ast.Ref, value *ast.Term) {
	if q.frames == 0 {
		if n := q.shared.lookup(ref); n != nil {
			// The evaluation reuses its key slices (not their terms).
			q.pending = append(q.pending, pendingValue{node: n, ref: slices.Clone(ref), value: value})
		}
	}
	q.own.Put(ref, value)
}

func (q *queryCache) Keys() []ast.Ref { return q.own.Keys() }

// keep hands the constant values the query computed to the shared cache.
func (q *queryCache) keep() {
	for _, p := range q.pending {
		q.shared.put(p.node, p.ref, p.value)
	}
	q.pending = nil
}

// depAnalysis works out each rule's dependencies, following the graph.
type depAnalysis struct {
	graph *ast.Graph
	done  map[*ast.Rule]ruleDeps
	busy  map[*ast.Rule]bool
}

func (a *depAnalysis) rule(r *ast.Rule) ruleDeps {
	if d, ok := a.done[r]; ok {
		return d
	}
	if a.busy[r] {
		return ruleDeps{volatile: true} // a cycle: the compiler refuses these
	}
	a.busy[r] = true
	d := ownDeps(r)
	if a.graph == nil {
		d.volatile = true
	} else {
		for dep := range a.graph.Dependencies(r) {
			if other, ok := dep.(*ast.Rule); ok {
				d.merge(a.rule(other))
			} else {
				d.volatile = true
			}
		}
	}
	delete(a.busy, r)
	a.done[r] = d
	return d
}

// ownDeps is what a rule reads itself, without the rules it refers to.
func ownDeps(r *ast.Rule) ruleDeps {
	var d ruleDeps
	visit := func(x any) bool {
		switch x := x.(type) {
		case *ast.Expr:
			if len(x.With) > 0 {
				d.volatile = true
			}
			if x.IsCall() {
				d.merge(callDeps(x.Operator()))
			}
		case ast.Call:
			if len(x) > 0 {
				if ref, ok := x[0].Value.(ast.Ref); ok {
					d.merge(callDeps(ref))
				}
			}
		case ast.Ref:
			d.merge(refDeps(x))
		}
		return d.volatile
	}
	ast.NewGenericVisitor(visit).Walk(r)
	return d
}

func callDeps(op ast.Ref) ruleDeps {
	if b, ok := ast.BuiltinMap[op.String()]; ok && b.Nondeterministic {
		return ruleDeps{volatile: true}
	}
	return ruleDeps{}
}

func refDeps(ref ast.Ref) ruleDeps {
	switch {
	case ref[0].Equal(ast.InputRootDocument):
		return ruleDeps{volatile: true}
	case !ref[0].Equal(ast.DefaultRootDocument):
		return ruleDeps{}
	case len(ref) == 1:
		return ruleDeps{volatile: true}
	}
	top, ok := ref[1].Value.(ast.String)
	if !ok {
		return ruleDeps{volatile: true}
	}
	if string(top) != MetadataRoot {
		return ruleDeps{}
	}
	if len(ref) == 2 {
		return ruleDeps{allMeta: true}
	}
	name, ok := ref[2].Value.(ast.String)
	if !ok {
		return ruleDeps{allMeta: true}
	}
	return ruleDeps{meta: map[string]struct{}{string(name): {}}}
}
