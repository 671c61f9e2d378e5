package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appflowc/appflowc/internal/fakeapi"
)

// A pipeline that uses two templates that live only in the cluster, declared nowhere.
const clusterOnlyConfig = `pipelines:
  ship:
    steps:
      - {name: build, template: image-build, arguments: {repo: "https://git.example.com/shop.git"}}
      - {name: migrate, template: db-migrate, arguments: {%s: shop, direction: down}}
`

func clusterTemplatesOf(c *cluster) {
	c.Put("clusterworkflowtemplates", map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "ClusterWorkflowTemplate",
		"metadata": map[string]any{"name": "image-build"},
		"spec": map[string]any{"entrypoint": "build", "templates": []any{
			map[string]any{"name": "build", "container": map[string]any{"image": "x"},
				"inputs":  map[string]any{"parameters": []any{map[string]any{"name": "repo"}, map[string]any{"name": "tag", "value": "v1"}}},
				"outputs": map[string]any{"parameters": []any{map[string]any{"name": "digest", "valueFrom": map[string]any{"path": "/d"}}}}},
			// What a hostile cluster may hold: left out, and said so, escaped.
			map[string]any{"name": evil, "suspend": map[string]any{}},
		}},
	})
	c.Put("workflowtemplates", map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
		"metadata": map[string]any{"name": "db-migrate", "namespace": "argo"},
		"spec": map[string]any{"entrypoint": "migrate",
			"arguments": map[string]any{"parameters": []any{map[string]any{"name": "direction", "value": "up", "enum": []any{"up", "down"}}}},
			"templates": []any{map[string]any{"name": "migrate", "container": map[string]any{"image": "x"},
				"inputs": map[string]any{"parameters": []any{map[string]any{"name": "database"}, map[string]any{"name": "direction"}}}}}},
	})
	// In another namespace: not the config's workflow namespace, not read.
	c.Put("workflowtemplates", map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
		"metadata": map[string]any{"name": "elsewhere", "namespace": "other"}, "spec": map[string]any{"templates": []any{}}})
}

func writeConfig(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "c.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestVetClusterReadsTemplatesFromTheCluster(t *testing.T) {
	c := newCluster(t)
	clusterTemplatesOf(c)
	ctx := context.Background()
	good := writeConfig(t, strings.Replace(clusterOnlyConfig, "%s", "database", 1))

	// Offline, the templates are unknown, and the error says how to declare them.
	code, _, stderr := c.run(t, ctx, "vet", good)
	if code != ExitFailed || !strings.Contains(stderr, `c.yaml:4:33: pipelines.ship.steps[0].template: unknown template "image-build"`) ||
		!strings.Contains(stderr, "externalTemplates: image-build: {clusterScope: true") || !strings.Contains(stderr, "vet --cluster") {
		t.Fatalf("vet without --cluster: exit %d\n%s", code, stderr)
	}

	code, stdout, stderr := c.run(t, ctx, "vet", "--cluster", good)
	if code != ExitOK || !strings.Contains(stdout, "ok:") {
		t.Fatalf("vet --cluster: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "warning: vet --cluster left out ClusterWorkflowTemplate/image-build: a template with an invalid or repeated name") || strings.Contains(stderr, "\x1b") {
		t.Errorf("the hostile template name: %q", stderr)
	}
	if n := len(c.Requests("list", "workflowtemplates")); n != 1 || !strings.Contains(c.Requests("list", "workflowtemplates")[0].Path, "/namespaces/argo/") {
		t.Errorf("workflowtemplates read %d times, %v", n, c.Requests("list", "workflowtemplates"))
	}

	// A misspelt argument of a template read from the cluster: at the field, with the
	// nearest name.
	bad := writeConfig(t, strings.Replace(clusterOnlyConfig, "%s", "databse", 1))
	code, _, stderr = c.run(t, ctx, "vet", "--cluster", bad)
	if code != ExitFailed || !strings.Contains(stderr, `c.yaml:5:59: pipelines.ship.steps[1].arguments.databse: template db-migrate has no parameter "databse" (did you mean "database"?`) {
		t.Fatalf("vet --cluster of a misspelt argument: exit %d\n%s", code, stderr)
	}
}

func TestVetClusterUnreachableOrRefusing(t *testing.T) {
	c := newCluster(t)
	dir := writeConfig(t, strings.Replace(clusterOnlyConfig, "%s", "database", 1))
	c.Fail(fakeapi.Fault{Kind: fakeapi.Error, Resource: "clusterworkflowtemplates", Code: 403, Message: `clusterworkflowtemplates.argoproj.io is forbidden: User "dev" cannot list resource "clusterworkflowtemplates"`})
	code, _, stderr := c.run(t, context.Background(), "vet", "--cluster", dir)
	if code != ExitUsage || !strings.Contains(stderr, "vet --cluster: read clusterworkflowtemplates") || !strings.Contains(stderr, "appflowc: next:") {
		t.Fatalf("refused: exit %d\n%s", code, stderr)
	}
	c.Close()
	code, _, stderr = c.run(t, context.Background(), "vet", "--cluster", dir)
	if code != ExitUsage || !strings.Contains(stderr, "cannot reach the API server") {
		t.Fatalf("unreachable: exit %d\n%s", code, stderr)
	}
}

// The config's own declaration wins over what the cluster holds, whatever the scope of
// the cluster's template: a namespaced WorkflowTemplate of the same name as a declared
// ClusterWorkflowTemplate must not take its place (the step would be checked against
// the other template, and rendered as a reference to the other scope).
func TestVetClusterDeclarationWinsOverTheOtherScope(t *testing.T) {
	c := newCluster(t)
	c.Put("workflowtemplates", map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
		"metadata": map[string]any{"name": "image-build", "namespace": "argo"},
		"spec": map[string]any{"entrypoint": "build", "templates": []any{
			map[string]any{"name": "build", "container": map[string]any{"image": "x"}}}},
	})
	ctx := context.Background()
	// The declared ClusterWorkflowTemplate needs repo; the step does not pass it.
	dir := writeConfig(t, `externalTemplates:
  image-build:
    clusterScope: true
    entrypoint: build
    templates: {build: {inputs: {parameters: {repo: {}}}}}
pipelines:
  ship:
    steps:
      - {name: build, template: image-build}
`)
	code, _, offline := c.run(t, ctx, "vet", dir)
	if code != ExitFailed || !strings.Contains(offline, "repo") {
		t.Fatalf("vet: exit %d\n%s", code, offline)
	}
	code, stdout, stderr := c.run(t, ctx, "vet", "--cluster", dir)
	if code != ExitFailed || stderr != offline {
		t.Fatalf("vet --cluster: exit %d, want what vet says:\n%s%s\nvet said:\n%s", code, stdout, stderr, offline)
	}
}

// unpinnedWithClusterTemplates refers to cluster templates and has a policy problem.
var unpinnedWithClusterTemplates = strings.Replace(clusterOnlyConfig, "%s", "database", 1) + `infra:
  base:
    namespace: base
    scripts:
      - {name: seed, image: "busybox:latest", command: [sh, -c, "echo hi"]}
`

// TestVetClusterUnreachableKeepsWhatWasFound: a config with a policy problem and a
// cluster that cannot be read: exit 2 for the cluster, and the config's problem is still
// said (it was lost behind the cluster's error).
func TestVetClusterUnreachableKeepsWhatWasFound(t *testing.T) {
	c := newCluster(t)
	dir := writeConfig(t, unpinnedWithClusterTemplates)
	c.Close()
	code, _, stderr := c.run(t, context.Background(), "vet", "--cluster", dir)
	if code != ExitUsage || !strings.Contains(stderr, "next: cannot reach the API server") ||
		!strings.Contains(stderr, `c.yaml:10:29: infra.base.scripts[0].image: image "busybox:latest" uses the mutable tag latest`) ||
		!strings.Contains(stderr, "1 config error found before the cluster was read") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

// TestVetClusterUnreachableKeepsWhatWasFoundInJSON: the same with -o json: the errors
// found are the report on stdout (not lost), the summary says the run stopped, exit 2.
func TestVetClusterUnreachableKeepsWhatWasFoundInJSON(t *testing.T) {
	c := newCluster(t)
	dir := writeConfig(t, unpinnedWithClusterTemplates)
	c.Close()
	code, stdout, stderr := c.run(t, context.Background(), "vet", "--cluster", "-o", "json", dir)
	var r struct {
		OK      bool
		Summary string
		Errors  []struct{ Path, Message string }
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s\n%s", err, stdout, stderr)
	}
	if code != ExitUsage || r.OK || len(r.Errors) != 1 || r.Errors[0].Path != "infra.base.scripts[0].image" || !strings.Contains(r.Summary, "the cluster could not be read") {
		t.Fatalf("exit %d, report %+v\n%s", code, r, stderr)
	}
}
