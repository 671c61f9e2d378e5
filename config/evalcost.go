package config

import (
	"sync/atomic"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// What the plain-data reader builds in appflowc's own process, outside the bounded
// evaluator (evalproc.go): CUE expressions evaluated on their own, entries evaluated
// with their pattern constraints, and copies of a pattern's data merged into entries.
// Each is estimated before it is built, in tree nodes (a node and its text cost ~256
// bytes), and all of a package's estimates draw on one budget, the evaluator's memory
// bound (--max-eval-memory) in nodes: what would pass it, or cannot be estimated, is
// left to the evaluator, which enforces its bounds itself.

// bytesPerNode is what one value of the tree costs in memory, roughly (Node, Field and
// CUE's own structures while it evaluates).
const bytesPerNode = 256

// evalBudget is a package's budget of in-process nodes.
type evalBudget struct{ left atomic.Int64 }

func newEvalBudget(memory int64) *evalBudget {
	b := &evalBudget{}
	b.left.Store(memory / bytesPerNode)
	return b
}

// take reserves n nodes, or reports that the budget cannot cover them.
func (b *evalBudget) take(n int64) bool {
	if b == nil {
		return true
	}
	if b.left.Add(-n) < 0 {
		b.left.Store(-1 << 40) // once spent, nothing more is built here
		return false
	}
	return true
}

// costCeiling saturates estimates: anything near it is far over every budget.
const costCeiling = int64(1) << 40

func addCost(a, b int64) int64 { return min(a+b, costCeiling) }

func mulCost(a, b int64) int64 {
	if a != 0 && b > costCeiling/a {
		return costCeiling
	}
	return min(a*b, costCeiling)
}

// coster estimates the size of what evaluating an expression builds: literals by their
// text, structs and lists by their parts, a comprehension by its iterations times its
// body, and a reference by what it refers to (a field of an enclosing struct literal,
// a let, a comprehension variable, a pattern's label alias), so that a chain of fields
// each doubling the one before is seen for what it makes. What it cannot estimate (a
// reference to something outside the expression, a comprehension over something other
// than a literal) makes ok false.
type coster struct {
	scopes []map[string]ast.Expr // struct fields and lets, innermost last
	vars   []map[string]int64    // comprehension variables and aliases, innermost last
	memo   map[ast.Expr]int64
	busy   map[ast.Expr]bool
}

func newCoster(vars map[string]int64) *coster {
	c := &coster{memo: map[ast.Expr]int64{}, busy: map[ast.Expr]bool{}}
	if vars != nil {
		c.vars = append(c.vars, vars)
	}
	return c
}

func textCost(s string) int64 { return 1 + int64(len(s))/bytesPerNode }

func (c *coster) cost(e ast.Node) (int64, bool) {
	switch e := e.(type) {
	case nil:
		return 0, true
	case *ast.BasicLit:
		return textCost(e.Value), true
	case *ast.BottomLit:
		return 1, true
	case *ast.Ident:
		return c.ident(e.Name)
	case *ast.StructLit:
		return c.structLit(e.Elts)
	case *ast.ListLit:
		var sum int64
		for _, it := range e.Elts {
			n, ok := c.cost(it)
			if !ok {
				return 0, false
			}
			sum = addCost(sum, n)
		}
		return addCost(sum, 1), true
	case *ast.Ellipsis:
		return c.cost(e.Type)
	case *ast.Comprehension:
		return c.comprehension(e)
	case *ast.BinaryExpr:
		if e.Op == token.MUL && !(numeric(e.X) && numeric(e.Y)) {
			return 0, false // CUE repeats strings and lists with '*'
		}
		x, ok1 := c.cost(e.X)
		y, ok2 := c.cost(e.Y)
		return addCost(x, y), ok1 && ok2
	case *ast.UnaryExpr:
		return c.cost(e.X)
	case *ast.ParenExpr:
		return c.cost(e.X)
	case *ast.Interpolation:
		var sum int64 = 1
		for _, p := range e.Elts {
			n, ok := c.cost(p)
			if !ok {
				return 0, false
			}
			sum = addCost(sum, n)
		}
		return sum, true
	case *ast.CallExpr:
		sum, ok := c.cost(e.Fun)
		for _, a := range e.Args {
			n, ok2 := c.cost(a)
			ok = ok && ok2
			sum = addCost(sum, n)
		}
		return addCost(sum, 1), ok
	case *ast.SelectorExpr:
		return c.cost(e.X) // a part of X
	case *ast.IndexExpr:
		x, ok1 := c.cost(e.X)
		i, ok2 := c.cost(e.Index)
		return addCost(x, i), ok1 && ok2
	case *ast.SliceExpr:
		x, ok := c.cost(e.X)
		return x, ok
	}
	return 0, false
}

func (c *coster) ident(name string) (int64, bool) {
	if name == "_" {
		return 1, true
	}
	for i := len(c.vars) - 1; i >= 0; i-- {
		if n, ok := c.vars[i][name]; ok {
			return n, true
		}
	}
	for i := len(c.scopes) - 1; i >= 0; i-- {
		e, ok := c.scopes[i][name]
		if !ok {
			continue
		}
		if n, ok := c.memo[e]; ok {
			return n, true
		}
		if c.busy[e] {
			return 0, false // a cycle: evaluation says what it means
		}
		c.busy[e] = true
		// What a reference evaluates to is the referenced value, in its own scopes;
		// estimating it in the current ones can only see more names, never fewer
		// sizes that matter here.
		n, ok := c.cost(e)
		delete(c.busy, e)
		if !ok {
			return 0, false
		}
		c.memo[e] = n
		return n, true
	}
	if predeclared[name] {
		return 1, true
	}
	return 0, false // something outside the expression
}

func (c *coster) structLit(elts []ast.Decl) (int64, bool) {
	scope := map[string]ast.Expr{}
	fields := int64(0)
	for _, d := range elts {
		switch d := d.(type) {
		case *ast.Field:
			if id, ok := d.Label.(*ast.Ident); ok {
				scope[id.Name] = d.Value
			}
			fields++
		case *ast.LetClause:
			scope[d.Ident.Name] = d.Expr
		}
	}
	c.scopes = append(c.scopes, scope)
	defer func() { c.scopes = c.scopes[:len(c.scopes)-1] }()
	var sum int64 = 1
	for _, d := range elts {
		switch d := d.(type) {
		case *ast.Field:
			v, ok := c.cost(d.Value)
			if !ok {
				return 0, false
			}
			switch l := d.Label.(type) {
			case *ast.Ident, *ast.BasicLit:
			case *ast.ListLit: // a pattern: its value meets every field of the struct
				lc, ok := c.cost(l)
				if !ok {
					return 0, false
				}
				v = addCost(lc, mulCost(v, fields))
			case *ast.Interpolation, *ast.ParenExpr:
				lc, ok := c.cost(l)
				if !ok {
					return 0, false
				}
				v = addCost(v, lc)
			default:
				return 0, false
			}
			sum = addCost(sum, addCost(v, 1))
		case *ast.LetClause:
			v, ok := c.cost(d.Expr)
			if !ok {
				return 0, false
			}
			sum = addCost(sum, v)
		case *ast.EmbedDecl:
			v, ok := c.cost(d.Expr)
			if !ok {
				return 0, false
			}
			sum = addCost(sum, v)
		case *ast.Comprehension:
			v, ok := c.comprehension(d)
			if !ok {
				return 0, false
			}
			sum = addCost(sum, v)
		case *ast.Ellipsis:
			v, ok := c.cost(d.Type)
			if !ok {
				return 0, false
			}
			sum = addCost(sum, v)
		case *ast.CommentGroup, *ast.Attribute:
		default:
			return 0, false
		}
	}
	return sum, true
}

// comprehension is its iterations times its body; each variable is bounded by its
// source (an element is a part of it).
func (c *coster) comprehension(e *ast.Comprehension) (int64, bool) {
	depth := len(c.vars)
	defer func() { c.vars = c.vars[:depth] }()
	var clauses int64
	iterations := int64(1)
	for _, cl := range e.Clauses {
		switch cl := cl.(type) {
		case *ast.ForClause:
			n := 0
			switch src := cl.Source.(type) {
			case *ast.ListLit:
				n = len(src.Elts)
			case *ast.StructLit:
				n = len(src.Elts)
			default:
				return 0, false // what it iterates over is not written here
			}
			s, ok := c.cost(cl.Source)
			if !ok {
				return 0, false
			}
			clauses = addCost(clauses, s)
			iterations = mulCost(iterations, int64(max(n, 1)))
			vars := map[string]int64{}
			if cl.Key != nil {
				vars[cl.Key.Name] = s
			}
			if cl.Value != nil {
				vars[cl.Value.Name] = s
			}
			c.vars = append(c.vars, vars)
		case *ast.IfClause:
			n, ok := c.cost(cl.Condition)
			if !ok {
				return 0, false
			}
			clauses = addCost(clauses, n)
		case *ast.LetClause:
			n, ok := c.cost(cl.Expr)
			if !ok {
				return 0, false
			}
			c.vars = append(c.vars, map[string]int64{cl.Ident.Name: n})
		default:
			return 0, false
		}
	}
	body, ok := c.cost(e.Value)
	if !ok {
		return 0, false
	}
	return addCost(clauses, mulCost(iterations, body)), true
}

// nodeCount is the size of a tree read as data.
func nodeCount(n *Node) int64 {
	c := int64(1) + textCost(n.Str) - 1
	for _, f := range n.Fields {
		c = addCost(c, addCost(1, nodeCount(f.Value)))
	}
	for _, it := range n.Items {
		c = addCost(c, nodeCount(it))
	}
	return c
}
