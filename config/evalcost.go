package config

import (
	"sync/atomic"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// What the plain-data reader builds in appflowc's own process, outside the bounded
// evaluator (evalproc.go): CUE expressions evaluated on their own, entries evaluated
// with their pattern constraints, and copies of a pattern's data merged into entries.
// CUE evaluation cannot be interrupted, so only a small part of the language is
// evaluated here, the part whose cost can be told from the syntax: literals, structs,
// lists, comprehensions over literals, interpolation, arithmetic, a few disjunctions,
// and references to comprehension variables and a pattern's label alias only (a
// reference to a field or a let could chain, each doubling the last); no pattern
// constraint inside, no regular expression built at evaluation time, no validator
// builtins. Each expression is estimated before it is built, in tree nodes (a node and
// its text cost ~256 bytes), and all of a package's estimates draw on one budget, the
// evaluator's memory bound (--max-eval-memory) in nodes. Anything else, and anything
// over the budget, is left to the evaluator, which enforces its bounds itself.

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
// body, a variable by its source, and every disjunction doubling the whole (they are
// few: maxDisjunctions). ok is false outside the part of CUE evaluated in-process.
type coster struct {
	vars         []map[string]int64 // comprehension variables and aliases, innermost last
	disjunctions int
}

// maxDisjunctions bounds the disjunctions of an expression evaluated in-process: CUE
// may try every combination of them (2^13 took 25 s).
const maxDisjunctions = 6

// maxRegexpLiteral bounds a regular expression written as a constraint (=~"...") that
// is evaluated in-process: matching costs the text times the expression.
const maxRegexpLiteral = 1024

// estimate is the cost of e evaluated in-process with vars bound (a pattern's label
// alias), or ok false when it is not to be evaluated here.
func estimate(e ast.Node, vars map[string]int64) (int64, bool) {
	c := &coster{}
	if vars != nil {
		c.vars = append(c.vars, vars)
	}
	n, ok := c.cost(e)
	if !ok || c.disjunctions > maxDisjunctions {
		return 0, false
	}
	return mulCost(n, int64(1)<<c.disjunctions), true
}

// cheapBuiltin are the builtins whose cost follows their arguments' (matchN and
// matchIf validate with any constraint; error builds messages).
var cheapBuiltin = map[string]bool{"len": true, "close": true, "and": true, "or": true, "div": true, "mod": true, "quo": true, "rem": true}

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
		switch e.Op {
		case token.MUL:
			if !(numeric(e.X) && numeric(e.Y)) {
				return 0, false // CUE repeats strings and lists with '*'
			}
		case token.MAT, token.NMAT:
			return 0, false // a regular expression matched at evaluation time
		case token.OR:
			c.disjunctions++
		}
		x, ok1 := c.cost(e.X)
		y, ok2 := c.cost(e.Y)
		return addCost(x, y), ok1 && ok2
	case *ast.UnaryExpr:
		if e.Op == token.MAT || e.Op == token.NMAT {
			// A constraint =~"...": the text it meets is written in the config.
			if l, ok := e.X.(*ast.BasicLit); !ok || l.Kind != token.STRING || len(l.Value) > maxRegexpLiteral {
				return 0, false
			}
		}
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
		if id, ok := e.Fun.(*ast.Ident); !ok || !cheapBuiltin[id.Name] {
			return 0, false
		}
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
	if predeclared[name] {
		return 1, true
	}
	return 0, false // a field, a let or something outside: not estimated here
}

func (c *coster) structLit(elts []ast.Decl) (int64, bool) {
	var sum int64 = 1
	for _, d := range elts {
		var v int64
		var ok bool
		switch d := d.(type) {
		case *ast.Field:
			switch l := d.Label.(type) {
			case *ast.Ident, *ast.BasicLit:
				ok = true
			case *ast.Interpolation, *ast.ParenExpr:
				v, ok = c.cost(l)
			default: // a pattern constraint meets fields not written here; an alias
				return 0, false
			}
			if !ok {
				return 0, false
			}
			n, ok := c.cost(d.Value)
			if !ok {
				return 0, false
			}
			v = addCost(addCost(v, n), 1)
		case *ast.EmbedDecl:
			v, ok = c.cost(d.Expr)
		case *ast.Comprehension:
			v, ok = c.comprehension(d)
		case *ast.Ellipsis:
			v, ok = c.cost(d.Type)
		case *ast.CommentGroup, *ast.Attribute:
			ok = true
		default: // lets: a reference to one could chain
			return 0, false
		}
		if !ok {
			return 0, false
		}
		sum = addCost(sum, v)
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
	c := textCost(n.Str)
	for _, f := range n.Fields {
		c = addCost(c, addCost(1, nodeCount(f.Value)))
	}
	for _, it := range n.Items {
		c = addCost(c, nodeCount(it))
	}
	return c
}
