package config

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	jsonnet "github.com/google/go-jsonnet"

	"github.com/appflowc/appflowc/diag"
)

// evalJsonnet evaluates a .jsonnet file (imports resolved inside the config's FS) and
// converts its JSON output. Jsonnet keeps no source map of its output, so positions are
// recovered by finding each key in the source; they fall back to the enclosing struct.
func evalJsonnet(in Input, f File) (*Node, diag.List) {
	vm := jsonnet.MakeVM()
	vm.Importer(&fsImporter{in: in, mainDir: path.Dir(f.Path)})
	out, err := vm.EvaluateAnonymousSnippet(f.Display, string(f.Data))
	if err != nil {
		return nil, diag.List{jsonnetErr(f.Display, err)}
	}
	nodes, errs := parseYAML(f.Display, []byte(out))
	if len(errs) > 0 || len(nodes) != 1 {
		return nil, errs
	}
	lines := strings.Split(string(f.Data), "\n")
	relocate(nodes[0], lines, diag.Pos{File: f.Display, Line: 1, Col: 1})
	return nodes[0], nil
}

// relocate replaces positions in the generated JSON by positions in the Jsonnet source.
func relocate(n *Node, lines []string, parent diag.Pos) {
	n.Pos = parent
	for _, fd := range n.Fields {
		p := findKey(lines, fd.Key, parent)
		fd.KeyPos = p
		relocate(fd.Value, lines, p)
		fd.Value.Pos = p
	}
	for _, it := range n.Items {
		relocate(it, lines, parent)
	}
}

func findKey(lines []string, key string, after diag.Pos) diag.Pos {
	// A key is written bare, "quoted" or 'quoted', followed by ':' (or '::', ':::').
	forms := []string{key, `"` + key + `"`, "'" + key + "'"}
	at := func(line string) int {
		for _, f := range forms {
			for off := 0; ; {
				i := strings.Index(line[off:], f)
				if i < 0 {
					break
				}
				i += off
				before := i == 0 || strings.ContainsRune(" \t{,", rune(line[i-1]))
				rest := strings.TrimLeft(line[i+len(f):], " \t")
				if before && strings.HasPrefix(rest, ":") {
					return i
				}
				off = i + 1
			}
		}
		return -1
	}
	search := func(from int) (diag.Pos, bool) {
		for i := from; i < len(lines); i++ {
			if c := at(lines[i]); c >= 0 {
				return diag.Pos{File: after.File, Line: i + 1, Col: c + 1}, true
			}
		}
		return diag.Pos{}, false
	}
	if p, ok := search(max(after.Line-1, 0)); ok {
		return p
	}
	if p, ok := search(0); ok {
		return p
	}
	return after
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
	return d
}

// fsImporter resolves Jsonnet imports relative to the importing file, inside the config FS,
// so that evaluation never reads outside what the user passed.
type fsImporter struct {
	in      Input
	mainDir string // imports from the evaluated snippet itself arrive with an empty importedFrom
	cache   map[string]jsonnet.Contents
}

func (i *fsImporter) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	if i.cache == nil {
		i.cache = map[string]jsonnet.Contents{}
	}
	// go-jsonnet passes the importing file's directory (with a trailing slash) or its path.
	from := strings.TrimPrefix(importedFrom, i.in.DisplayRoot)
	dir := from
	switch {
	case from == "":
		dir = i.mainDir
	case !strings.HasSuffix(from, "/"):
		dir = path.Dir(from)
	}
	p := path.Clean(path.Join(dir, importedPath))
	found := i.in.DisplayRoot + p
	if c, ok := i.cache[p]; ok {
		return c, found, nil
	}
	data, err := fs.ReadFile(i.in.FS, p)
	if err != nil {
		return jsonnet.Contents{}, "", fmt.Errorf("import %q: %w", importedPath, unwrapPathErr(err))
	}
	c := jsonnet.MakeContents(string(data))
	i.cache[p] = c
	return c, found, nil
}
