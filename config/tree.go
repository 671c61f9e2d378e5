package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/appflowc/appflowc/diag"
)

// Kind is the type of a Node.
type Kind int

const (
	Null Kind = iota
	Bool
	Int
	Float
	String
	Map
	List
)

func (k Kind) String() string {
	return [...]string{"null", "bool", "int", "number", "string", "struct", "list"}[k]
}

// Node is one value of the config tree, with the position it came from. It is the common
// form of every input format, so merging and validation are written once.
type Node struct {
	Kind   Kind
	Pos    diag.Pos
	Bool   bool
	Int    int64
	Float  float64
	Str    string
	Fields []*Field // Map, in input order
	Items  []*Node  // List

	// index finds a large Map's fields by key while files are merged into it (thousands
	// of entries under "applications"; a linear search made merging quadratic). Only
	// merge appends to a Map once it has an index, and keeps it current.
	index map[string]*Field
	// brace is where a CUE struct or list literal opens, kept by the plain-data reader
	// (evaluation places a struct or list written twice at the later one).
	brace diag.Pos
	// evaluated marks a value the plain-data reader had CUE evaluate on its own: it must
	// not be unified with anything else (dataReader.eval).
	evaluated bool
}

// Field is one key of a Map node.
type Field struct {
	Key    string
	KeyPos diag.Pos
	Value  *Node
}

// Get returns the value of key in a Map node, or nil.
func (n *Node) Get(key string) *Node {
	if f := n.field(key); f != nil {
		return f.Value
	}
	return nil
}

// indexIfLarge gives a large Map an index before fields are merged into it.
func (n *Node) indexIfLarge() {
	if n.index == nil && len(n.Fields) > 16 {
		n.index = make(map[string]*Field, len(n.Fields))
		for _, f := range n.Fields {
			n.index[f.Key] = f
		}
	}
}

// appendField adds a field to a Map, keeping its index (if any) current.
func (n *Node) appendField(f *Field) {
	n.Fields = append(n.Fields, f)
	if n.index != nil {
		n.index[f.Key] = f
	}
}

// field returns the Field for key, or nil.
func (n *Node) field(key string) *Field {
	if n == nil || n.Kind != Map {
		return nil
	}
	if n.index != nil {
		return n.index[key]
	}
	for _, f := range n.Fields {
		if f.Key == key {
			return f
		}
	}
	return nil
}

// SortedFields returns the fields ordered by key: maps in the config have no order that
// matters, and rendering must not depend on file order.
func (n *Node) SortedFields() []*Field {
	fs := append([]*Field(nil), n.Fields...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Key < fs[j].Key })
	return fs
}

// nearest is the node at path below n, or the deepest node on the way that exists.
func (n *Node) nearest(path []string) *Node {
	cur := n
	for i := range path {
		next := cur.Lookup(path[i])
		if next == nil {
			return cur
		}
		cur = next
	}
	return cur
}

// Lookup follows a dotted path ("applications.web.source"); nil when absent.
func (n *Node) Lookup(path ...string) *Node {
	cur := n
	for _, p := range path {
		if cur == nil {
			return nil
		}
		if cur.Kind == List {
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(cur.Items) {
				return nil
			}
			cur = cur.Items[i]
			continue
		}
		cur = cur.Get(p)
	}
	return cur
}

// Interface converts the node to plain Go values (map[string]any, []any, string, int64, float64, bool, nil).
func (n *Node) Interface() any {
	if n == nil { // an absent field
		return nil
	}
	switch n.Kind {
	case Bool:
		return n.Bool
	case Int:
		return n.Int
	case Float:
		return n.Float
	case String:
		return n.Str
	case Map:
		m := make(map[string]any, len(n.Fields))
		for _, f := range n.Fields {
			m[f.Key] = f.Value.Interface()
		}
		return m
	case List:
		l := make([]any, len(n.Items))
		for i, it := range n.Items {
			l[i] = it.Interface()
		}
		return l
	}
	return nil
}

// display renders a scalar for messages; secrets never pass through here because the
// config holds only references to them.
func (n *Node) display() string {
	switch n.Kind {
	case String:
		return strconv.Quote(n.Str)
	case Int:
		return strconv.FormatInt(n.Int, 10)
	case Float:
		// 600.0 is shown as written, not as 600: a message about a whole number must not
		// quote a value that looks whole.
		f := strconv.FormatFloat(n.Float, 'g', -1, 64)
		if !strings.ContainsAny(f, ".eEIN") {
			f += ".0"
		}
		return f
	case Bool:
		return strconv.FormatBool(n.Bool)
	case Null:
		return "null"
	case Map:
		return "a struct"
	case List:
		return "a list"
	}
	return "?"
}

// merge unifies b into a, following CUE's rules for concrete data: structs merge field by
// field, lists must have the same length and unify element-wise, scalars must be equal.
// Conflicts are reported naming both places.
func merge(a, b *Node, path []string, errs *diag.List) *Node {
	switch {
	case a.Kind == Map && b.Kind == Map:
		a.indexIfLarge()
		for _, bf := range b.Fields {
			if af := a.field(bf.Key); af != nil {
				af.Value = merge(af.Value, bf.Value, append(path, bf.Key), errs)
				continue
			}
			a.appendField(bf)
		}
		return a
	case a.Kind == List && b.Kind == List:
		if len(a.Items) != len(b.Items) {
			*errs = append(*errs, diag.Diagnostic{Pos: b.Pos, Path: joinPath(path),
				Msg:     fmt.Sprintf("conflicting lists of length %d and %d", len(a.Items), len(b.Items)),
				Hint:    fmt.Sprintf("the list is also set at %s; define it in one file", a.Pos),
				Related: []diag.Pos{a.Pos}})
			return a
		}
		for i := range a.Items {
			a.Items[i] = merge(a.Items[i], b.Items[i], append(path, strconv.Itoa(i)), errs)
		}
		return a
	case a.Kind != Map && a.Kind != List && a.Kind == b.Kind && scalarEqual(a, b):
		return a
	case (a.Kind == Int && b.Kind == Float) || (a.Kind == Float && b.Kind == Int):
		if toFloat(a) == toFloat(b) {
			return a
		}
	}
	*errs = append(*errs, diag.Diagnostic{Pos: b.Pos, Path: joinPath(path),
		Msg:     fmt.Sprintf("conflicting values %s and %s", a.display(), b.display()),
		Hint:    fmt.Sprintf("also set at %s; set it in one place or to the same value", a.Pos),
		Related: []diag.Pos{a.Pos}})
	return a
}

func scalarEqual(a, b *Node) bool {
	switch a.Kind {
	case Null:
		return true
	case Bool:
		return a.Bool == b.Bool
	case Int:
		return a.Int == b.Int
	case Float:
		return a.Float == b.Float
	case String:
		return a.Str == b.Str
	}
	return false
}

func toFloat(n *Node) float64 {
	if n.Kind == Int {
		return float64(n.Int)
	}
	return n.Float
}

// joinPath formats a config path for messages: list indexes in brackets, odd keys quoted.
// JoinPath writes a config path as diagnostics show it: applications.web.steps[0]."a b".
func JoinPath(path []string) string { return joinPath(path) }

func joinPath(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if isIdent(p) {
			b.WriteString(p)
		} else {
			b.WriteString(strconv.Quote(p))
		}
	}
	return b.String()
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '-' && i > 0, r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// AppendCanonical appends an unambiguous encoding of n's value to b: kinds, keys in
// input order, and values, length-prefixed, without positions. Two nodes encode the
// same exactly when they hold the same data in the same order, which is what a cache
// keyed on a part of the config needs (order is kept: some of it reaches the output).
func (n *Node) AppendCanonical(b []byte) []byte {
	if n == nil {
		return append(b, 'a') // absent
	}
	b = append(b, byte('0'+n.Kind))
	switch n.Kind {
	case Bool, Int, Float, String:
		return appendCanonicalString(b, scalarString(n))
	case Map:
		b = append(strconv.AppendInt(b, int64(len(n.Fields)), 10), ':')
		for _, f := range n.Fields {
			b = f.Value.AppendCanonical(appendCanonicalString(b, f.Key))
		}
	case List:
		b = append(strconv.AppendInt(b, int64(len(n.Items)), 10), ':')
		for _, it := range n.Items {
			b = it.AppendCanonical(b)
		}
	}
	return b
}

// scalarString is a parameter value as Argo reads it (numbers and booleans as text).
func scalarString(n *Node) string {
	switch n.Kind {
	case String:
		return n.Str
	case Int:
		return strconv.FormatInt(n.Int, 10)
	case Float:
		// 600.0 is shown as written, not as 600: a message about a whole number must not
		// quote a value that looks whole.
		f := strconv.FormatFloat(n.Float, 'g', -1, 64)
		if !strings.ContainsAny(f, ".eEIN") {
			f += ".0"
		}
		return f
	case Bool:
		return strconv.FormatBool(n.Bool)
	}
	data, _ := json.Marshal(n.Interface())
	return string(data)
}

func appendCanonicalString(b []byte, s string) []byte {
	return append(append(strconv.AppendInt(b, int64(len(s)), 10), ':'), s...)
}
