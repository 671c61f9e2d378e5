package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/appflowc/appflowc/diag"
)

// scaffold writes body (top-level fields, one per line) as appflowc init writes a config:
// importing the schema, inside schema.#Config & {...}. plain writes the same body on the
// same lines and columns without the schema (examples/quickstart's style), so that the
// two read to the same tree, positions included.
func scaffold(body string) string {
	return "package config\nimport \"github.com/appflowc/appflowc/cue:schema\"\nschema.#Config & {\n" + indent(body) + "}\n"
}

func plain(body string) string {
	return "package config\n// no import: the examples' style\n// no schema.#Config & {\n" + indent(body) + "// }\n"
}

func indent(body string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(body, "\n") {
		if l != "" {
			b.WriteString("\t" + l)
		}
	}
	return b.String()
}

// dumpTree writes every key, value and position of a tree, in order.
func dumpTree(b *strings.Builder, n *Node, depth int) {
	pad := strings.Repeat("  ", depth)
	switch n.Kind {
	case Map:
		fmt.Fprintf(b, "{ @%s\n", n.Pos)
		for _, f := range n.Fields {
			fmt.Fprintf(b, "%s  %q @%s: ", pad, f.Key, f.KeyPos)
			dumpTree(b, f.Value, depth+1)
		}
		fmt.Fprintf(b, "%s}\n", pad)
	case List:
		fmt.Fprintf(b, "[ @%s\n", n.Pos)
		for _, it := range n.Items {
			b.WriteString(pad + "  ")
			dumpTree(b, it, depth+1)
		}
		fmt.Fprintf(b, "%s]\n", pad)
	default:
		fmt.Fprintf(b, "%s %v @%s\n", n.Kind, n.Interface(), n.Pos)
	}
}

// walkPositions calls fn with every position of a tree.
func walkPositions(n *Node, fn func(diag.Pos)) {
	fn(n.Pos)
	for _, f := range n.Fields {
		fn(f.KeyPos)
		walkPositions(f.Value, fn)
	}
	for _, it := range n.Items {
		walkPositions(it, fn)
	}
}

const scaffoldApps = `appflow: {namespace: "ops", ttl: afterSuccess: 60}
applications: web: {
	source: {
		repoURL:        "https://charts.bitnami.com/bitnami"
		chart:          "nginx"
		targetRevision: "15.4.2"
	}
	destination: namespace: "web"
	syncPolicy: automated: true
	schedule: cron: "0 3 * * *"
}
applications: [string]: labels: team: "shop"
infra: pay: {namespace: "pay", secrets: db: keys: user: fromEnv: "DB_USER"}
`

// TestScaffoldReadsAsPlain: a config that imports the schema reads to the very tree the
// same values give without it — keys, values and positions — also with mistakes in it
// (a type error beside a misspelt field: the schema took part in evaluating, and CUE's
// error hid the field), and with a definition of the user's own that embeds a schema
// definition. None of it may be placed in appflowc's own files.
func TestScaffoldReadsAsPlain(t *testing.T) {
	typo := strings.Replace(strings.Replace(scaffoldApps, "automated: true", "automated: 2", 1), "targetRevision:", "targetRevison: ", 1)
	theirs := strings.Replace(scaffoldApps, "applications: web: {", "applications: web: #Web & {", 1)
	for name, bodies := range map[string][2]string{ // scaffold style, plain style
		"valid":               {scaffoldApps, scaffoldApps},
		"type error and typo": {typo, typo},
		// Without the schema, the plain style's #Web is open by its own "...", padded to
		// keep the columns.
		"definition of theirs": {
			"#Web: schema.#Application & {project: \"web\"}\n" + theirs,
			"#Web: {...}               & {project: \"web\"}\n" + theirs,
		},
	} {
		t.Run(name, func(t *testing.T) {
			sc, err := load(t, map[string]string{"app.cue": scaffold(bodies[0])})
			if err != nil {
				t.Fatalf("scaffold style: %v", err)
			}
			pl, err := load(t, map[string]string{"app.cue": plain(bodies[1])})
			if err != nil {
				t.Fatalf("plain style: %v", err)
			}
			var a, b strings.Builder
			dumpTree(&a, sc.Root, 0)
			dumpTree(&b, pl.Root, 0)
			if a.String() != b.String() {
				t.Errorf("the scaffold style reads otherwise than the plain style:\n%s\nplain:\n%s", a.String(), b.String())
			}
			walkPositions(sc.Root, func(p diag.Pos) {
				if inSchema(p) || p.File != "cfg/app.cue" {
					t.Errorf("a position outside the user's file: %s", p)
				}
			})
		})
	}
}

// TestScaffoldNeedingTheSchema: a config that reads a schema default (or otherwise
// needs the real schema to evaluate) is evaluated with it; its tree, defaults included,
// and its errors are placed in the user's file, never in the schema's.
func TestScaffoldNeedingTheSchema(t *testing.T) {
	// destination.namespace reads web's project, which only the schema's default sets.
	body := strings.Replace(scaffoldApps, `destination: namespace: "web"`, `destination: namespace: applications.web.project`, 1)
	tr, err := load(t, map[string]string{"app.cue": scaffold(body)})
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Root.Lookup("applications", "web", "destination", "namespace"); got == nil || got.Str != "default" {
		t.Fatalf("namespace = %v, want the schema's default project", got)
	}
	web := tr.Root.Get("applications").field("web")
	if want := (diag.Pos{File: "cfg/app.cue", Line: 5, Col: 16}); web.KeyPos != want {
		t.Errorf("applications.web is placed at %s, want its label at %s", web.KeyPos, want)
	}
	walkPositions(tr.Root, func(p diag.Pos) {
		if inSchema(p) || p.File != "cfg/app.cue" {
			t.Errorf("a position outside the user's file: %s", p)
		}
	})
	// A definition alone is an empty struct: what the decoder says of it is placed at
	// the user's field.
	tr, err = load(t, map[string]string{"app.cue": scaffold("applications: api: schema.#Application\n")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Decode(tr)
	ds, ok := err.(diag.List)
	if !ok || len(ds) == 0 {
		t.Fatalf("want diagnostics, got %v", err)
	}
	for _, d := range ds {
		if want := (diag.Pos{File: "cfg/app.cue", Line: 4, Col: 16}); d.Pos != want {
			t.Errorf("%s: want it at applications.api's label, %s", d, want)
		}
	}
	// Wrong too: CUE's errors (the real schema's verdict), each in the user's file.
	_, err = load(t, map[string]string{"app.cue": scaffold(strings.Replace(body, "automated: true", "automated: 2", 1))})
	ds, ok = err.(diag.List)
	if !ok || len(ds) == 0 {
		t.Fatalf("want diagnostics, got %v", err)
	}
	for _, d := range ds {
		if s := d.String(); strings.Contains(s, "<appflowc>") || d.Pos.File != "cfg/app.cue" || d.Pos.Line < 4 {
			t.Errorf("placed outside the user's values: %s", s)
		}
		for _, r := range d.Related {
			if inSchema(r) {
				t.Errorf("related position in the schema: %s", d)
			}
		}
	}
}

// TestScaffoldMeansWhatTheSchemaMeans: the permissive stand-in is only a way to get the
// user's positions and appflowc's own messages; a config whose program observes the
// schema (a != _|_ test on a definition, a value marshalled with the schema's defaults)
// must read to what it means with the real schema, as the cue tool evaluates it, and a
// config that the real schema refuses must not pass because the stand-in accepts it.
func TestScaffoldMeansWhatTheSchemaMeans(t *testing.T) {
	const web = `_web: schema.#Application & {
	source: {repoURL: "https://charts.bitnami.com/bitnami", chart: "nginx", targetRevision: "15.4.2"}
	destination: namespace: "web"
}
`
	for _, c := range []struct {
		name, body string
		path       []string
		want       string // a substring of the value at path
	}{
		{"a test of a definition", web + `applications: web: _web
if (schema.#DNSLabel & "Bad_Name") != _|_ {applications: web: labels: team: "stand-in"}
if (schema.#DNSLabel & "Bad_Name") == _|_ {applications: web: labels: team: "real"}
`, []string{"applications", "web", "labels", "team"}, "real"},
		{"a value with the schema's defaults", web + `applications: web: _web
infra: base: {namespace: "base", configMaps: settings: {"app.json": json.Marshal(_web)}}
`, []string{"infra", "base", "configMaps", "settings", "app.json"}, `"project":"default"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := scaffold(c.body)
			if strings.Contains(c.body, "json.") {
				src = strings.Replace(src, "import \"github.com/appflowc/appflowc/cue:schema\"", "import (\"github.com/appflowc/appflowc/cue:schema\", \"encoding/json\")", 1)
			}
			tr, err := load(t, map[string]string{"app.cue": src})
			if err != nil {
				t.Fatal(err)
			}
			got := tr.Root.Lookup(c.path...)
			if got == nil || !strings.Contains(got.Str, c.want) {
				t.Fatalf("%s = %v, want it to hold %s (what the real schema means)", strings.Join(c.path, "."), got, c.want)
			}
			walkPositions(tr.Root, func(p diag.Pos) {
				if inSchema(p) || p.File != "cfg/app.cue" {
					t.Errorf("a position outside the user's file: %s", p)
				}
			})
		})
	}
	// Refused by the real schema only: the stand-in takes the other branch.
	body := `applications: web: source: {repoURL: "https://charts.bitnami.com/bitnami", chart: "nginx", targetRevision: "15.4.2"}
if (schema.#DNSLabel & "Bad_Name") != _|_ {applications: web: destination: namespace: "web"}
if (schema.#DNSLabel & "Bad_Name") == _|_ {applications: web: destination: namespace: "Web_NS"}
`
	tr, err := load(t, map[string]string{"app.cue": scaffold(body)})
	if err == nil {
		t.Fatalf("passed with namespace %v; the real schema refuses Web_NS", tr.Root.Lookup("applications", "web", "destination", "namespace"))
	}
	if s := err.Error(); strings.Contains(s, "<appflowc>") || !strings.Contains(s, "cfg/app.cue") {
		t.Errorf("want the error in the user's file: %s", s)
	}
}
