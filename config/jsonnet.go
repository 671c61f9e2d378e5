package config

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/confine"
)

// evalJsonnet evaluates a .jsonnet file in an evaluator process (evaluate), answering
// its imports from the config's FS, and converts its JSON output. Jsonnet keeps no source
// map of its output, so positions are recovered by finding each key in the source; they
// fall back to the enclosing struct.
func evalJsonnet(ctx context.Context, in Input, f File) (*Node, diag.List) {
	lim := in.limits()
	if d := checkUTF8(f.Display, f.Data); d != nil {
		return nil, diag.List{*d}
	}
	imp := &fsImporter{in: in, mainDir: path.Dir(f.Path)}
	req := evalRequest{Kind: "jsonnet", Files: []evalFile{{Display: f.Display, Path: f.Path, Data: f.Data}}, MaxOutput: lim.MaxTotalSize}
	res, ds := evaluate(ctx, req, lim, diag.Pos{File: f.Display}, "Jsonnet", func(from, p string) evalImported {
		c, found, err := imp.read(from, p)
		if err != nil {
			return evalImported{Err: err.Error()}
		}
		return evalImported{Data: c, Found: found}
	})
	if len(ds) > 0 {
		return nil, ds
	}
	if len(res.Diags) > 0 {
		return nil, res.Diags
	}
	nodes, errs := parseYAML(f.Display, []byte(res.JSON), lim.MaxDepth)
	if len(nodes) != 1 {
		return nil, errs
	}
	// A value the reader refuses (an integer beyond 64 bits) is reported where the
	// Jsonnet source writes it, not where the generated JSON has it. Only a failed read
	// pays for the map of generated positions.
	var at map[diag.Pos]*Node
	if len(errs) > 0 {
		at = map[diag.Pos]*Node{}
		walkNodes(nodes[0], func(n *Node) { at[n.Pos] = n })
	}
	relocate(nodes[0], indexKeys(f.Display, f.Data), diag.Pos{File: f.Display, Line: 1, Col: 1})
	if len(errs) > 0 {
		for i := range errs {
			if n, ok := at[errs[i].Pos]; ok {
				errs[i].Pos = n.Pos
			}
		}
		return nil, errs
	}
	return nodes[0], nil
}

func walkNodes(n *Node, visit func(*Node)) {
	visit(n)
	for _, fd := range n.Fields {
		walkNodes(fd.Value, visit)
	}
	for _, it := range n.Items {
		walkNodes(it, visit)
	}
}

// relocate replaces positions in the generated JSON by positions in the Jsonnet source.
func relocate(n *Node, keys keyIndex, parent diag.Pos) {
	n.Pos = parent
	for _, fd := range n.Fields {
		p := keys.find(fd.Key, parent)
		fd.KeyPos = p
		relocate(fd.Value, keys, p)
		fd.Value.Pos = p
	}
	for _, it := range n.Items {
		relocate(it, keys, parent)
	}
}

// keyIndex lists where each key is written in a Jsonnet source (bare, "quoted" or
// 'quoted', followed by ':', '::' or ':::'), in source order: looking a key up is a binary
// search (a linear search per key was quadratic in a wide object's fields).
type keyIndex struct {
	file string
	at   map[string][]diag.Pos
}

func indexKeys(file string, src []byte) keyIndex {
	idx := keyIndex{file: file, at: map[string][]diag.Pos{}}
	for ln, line := range strings.Split(string(src), "\n") {
		for i := 0; i < len(line); {
			before := i == 0 || strings.ContainsRune(" \t{,", rune(line[i-1]))
			start, key, end := i, "", i
			switch c := line[i]; {
			case c == '"' || c == '\'':
				j := strings.IndexByte(line[i+1:], c)
				if j < 0 {
					i = len(line)
					continue
				}
				key, end = line[i+1:i+1+j], i+2+j
			case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
				end = i + 1
				for end < len(line) && (line[end] == '_' || isWordByte(line[end])) {
					end++
				}
				key = line[i:end]
			default:
				i++
				continue
			}
			if before && strings.HasPrefix(strings.TrimLeft(line[end:], " \t"), ":") {
				idx.at[key] = append(idx.at[key], diag.Pos{File: file, Line: ln + 1, Col: start + 1})
			}
			i = end
		}
	}
	return idx
}

// find is where key is first written at or after the line of after (else anywhere), or
// after itself.
func (k keyIndex) find(key string, after diag.Pos) diag.Pos {
	ps := k.at[key]
	if len(ps) == 0 {
		return after
	}
	i := sort.Search(len(ps), func(i int) bool { return ps[i].Line >= after.Line })
	if i < len(ps) {
		return ps[i]
	}
	return ps[0]
}

var jsonnetLoc = lazyRegexp(`([^\s:]+\.(?:jsonnet|libsonnet)):(\d+):(\d+)`)

func jsonnetErr(name string, err error) diag.Diagnostic {
	msg := err.Error()
	d := diag.Diagnostic{Pos: diag.Pos{File: name}, Hint: "fix the Jsonnet so that it evaluates"}
	if m := jsonnetLoc().FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[2])
		c, _ := strconv.Atoi(m[3])
		d.Pos = diag.Pos{File: m[1], Line: l, Col: c}
	}
	first, _, _ := strings.Cut(msg, "\n")
	first = strings.TrimPrefix(first, "RUNTIME ERROR: ")
	if m := jsonnetLoc().FindStringSubmatchIndex(first); m != nil && m[0] == 0 {
		first = strings.TrimLeft(first[m[1]:], "-0123456789 ")
	}
	d.Msg = "jsonnet: " + strings.TrimSpace(first)
	// An import appflowc refused says how to fix it after "; ".
	if msg, hint, ok := strings.Cut(d.Msg, "; "); ok && strings.HasPrefix(d.Msg, "jsonnet: import ") {
		d.Msg, d.Hint = msg, hint
	}
	return d
}

// fsImporter resolves Jsonnet imports relative to the importing file, inside the config
// FS (confined to the config root by the caller), each a regular file within the size
// bounds and nesting limit, so that evaluation reads nothing else.
type fsImporter struct {
	in      Input
	mainDir string // imports from the evaluated snippet itself arrive with an empty importedFrom
}

// read returns the contents of importedPath as imported from importedFrom, and the path
// it was found at (as displayed).
func (i *fsImporter) read(importedFrom, importedPath string) ([]byte, string, error) {
	// go-jsonnet passes the importing file's directory (with a trailing slash) or its path.
	from := strings.TrimPrefix(importedFrom, i.in.DisplayRoot)
	dir := from
	switch {
	case from == "":
		dir = i.mainDir
	case !strings.HasSuffix(from, "/"):
		dir = path.Dir(from)
	}
	// Errors say what is wrong and, after "; ", how to fix it (jsonnetErr splits them).
	outside := fmt.Sprintf("; imports are read from the config root %s only: pass --root DIR to read under a wider directory", displayRoot(i.in))
	if path.IsAbs(importedPath) {
		return nil, "", fmt.Errorf("import %q: an absolute path%s, with paths relative to the importing file", importedPath, outside)
	}
	p := path.Clean(path.Join(dir, importedPath))
	found := i.in.DisplayRoot + p
	if p == ".." || strings.HasPrefix(p, "../") {
		return nil, "", fmt.Errorf("import %q: outside the config root%s", importedPath, outside)
	}
	if err := checkName(i.in.DisplayRoot+path.Dir(p), path.Base(p)); err != nil {
		var le *limitError
		errors.As(err, &le)
		return nil, "", fmt.Errorf("import %q: %s; %s", importedPath, le.Msg, le.Hint)
	}
	data, err := i.in.readFile(p, found)
	if err != nil {
		var le *limitError
		switch {
		case errors.As(err, &le):
			return nil, "", fmt.Errorf("import %q: %s; %s", importedPath, le.Msg, le.Hint)
		case errors.Is(err, confine.ErrOutside):
			return nil, "", fmt.Errorf("import %q: the path or a symbolic link in it leads outside the config root%s", importedPath, outside)
		case errors.Is(err, confine.ErrNotRegular):
			return nil, "", fmt.Errorf("import %q: %v; import regular files only", importedPath, unwrapPathErr(err))
		}
		return nil, "", fmt.Errorf("import %q: %w", importedPath, unwrapPathErr(err))
	}
	if d := checkNesting(found, data, syntaxOf(p), i.in.limits().MaxDepth); d != nil {
		return nil, "", fmt.Errorf("import %q: %s: %s; %s", importedPath, d.Pos, d.Msg, d.Hint)
	}
	if d := checkUTF8(found, data); d != nil {
		return nil, "", fmt.Errorf("import %q: %s: %s; %s", importedPath, d.Pos, d.Msg, d.Hint)
	}
	return data, found, nil
}

// checkUTF8 refuses Jsonnet source or imported data that is not UTF-8: go-jsonnet
// would turn each bad byte into U+FFFD without a word, and the output would carry text
// the file does not hold.
func checkUTF8(name string, data []byte) *diag.Diagnostic {
	if utf8.Valid(data) {
		return nil
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += n
	}
	return &diag.Diagnostic{Pos: diag.Pos{File: name, Line: line, Col: col}, Msg: "invalid UTF-8 encoding",
		Hint: "save the file as UTF-8 text: Jsonnet reads text only"}
}

// displayRoot names the config root in messages.
func displayRoot(in Input) string {
	if in.DisplayRoot == "" {
		return "."
	}
	return strings.TrimSuffix(in.DisplayRoot, "/")
}
