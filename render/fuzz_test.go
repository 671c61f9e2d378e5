package render

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/fstest"

	yaml "go.yaml.in/yaml/v3"

	"github.com/appflowc/appflowc/config"
)

// FuzzRender runs load → render end to end on any config text and holds the output to
// its shape: every file is one YAML document (the kustomization included) that starts
// with appflowc's header line, names its object at the path it is written to, and
// nothing in the input reaches the output's structure — a value is always a value. go test
// runs the seeds; make fuzz explores further.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"applications:\n  web:\n    source: {repoURL: https://charts.example.com, chart: nginx, targetRevision: 1.0.0}\n    destination: {namespace: web}\n",
		"applications:\n  web:\n    labels: {team: \"a\\n---\\nkind: Evil\"}\n    source: {repoURL: https://charts.example.com, chart: nginx, targetRevision: 1.0.0}\n    destination: {namespace: web}\n",
		"infra:\n  p:\n    namespace: p\n    configMaps: {c: {K: \"v\\n---\\napiVersion: v1\\nkind: Secret\"}}\n",
		"applicationSets:\n  s:\n    source: {repoURL: https://charts.example.com, chart: nginx, targetRevision: 1.0.0}\n    environments: [{name: dev, cluster: in-cluster, namespace: d}]\n",
		"patches: [{patch: \"metadata: {labels: {x: y}}\"}]\napplications:\n  web:\n    source: {repoURL: https://charts.example.com, chart: nginx, targetRevision: 1.0.0}\n    destination: {namespace: web}\n",
		"workflowTemplates:\n  t:\n    spec: {entrypoint: m, templates: [{name: m, container: {image: \"a\\n---\\nb\"}}]}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		in := config.Input{FS: fstest.MapFS{"c/app.yaml": {Data: []byte(src)}}, Paths: []string{"c"},
			Limits: config.Limits{MaxDepth: 40, EvalTimeout: 5e9, EvalMemory: 256 << 20}}
		res, err := Render(context.Background(), in, Options{Expand: true})
		if err != nil {
			return
		}
		for _, file := range res.Files {
			checkRenderedFile(t, file)
		}
	})
}

// checkRenderedFile requires one document, with the header, of the object the path names.
func checkRenderedFile(t *testing.T, file File) {
	t.Helper()
	first, _, _ := bytes.Cut(file.Data, []byte("\n"))
	if !bytes.HasPrefix(first, []byte(headerMark)) {
		t.Fatalf("%s: first line is not appflowc's header: %q", file.Path, first)
	}
	dec := yaml.NewDecoder(bytes.NewReader(file.Data))
	var docs []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: not YAML: %v\n%s", file.Path, err, file.Data)
		}
		docs = append(docs, m)
	}
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents, want 1:\n%s", file.Path, len(docs), file.Data)
	}
	if file.Path == KustomizationFile {
		return
	}
	meta, _ := docs[0]["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if name == "" {
		name, _ = meta["generateName"].(string)
	}
	kind, _ := docs[0]["kind"].(string)
	if name == "" || kind == "" || !strings.HasSuffix(file.Path, "/"+strings.TrimSuffix(name, "-")+".yaml") ||
		!strings.Contains(file.Path, strings.ToLower(kind)+"/") {
		t.Fatalf("%s holds %s %q: the path does not name the object", file.Path, kind, name)
	}
}
