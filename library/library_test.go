package library

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/internal/diskcache"
)

func testSettings() Settings {
	var s Settings
	s.Namespace, s.ArgoCDNamespace, s.ServiceAccount = "argo", "argocd", "argo-workflow-sa"
	s.DestinationServer, s.ActiveDeadlineSeconds = "https://kubernetes.default.svc", 1800
	s.Images.Shell = "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e"
	s.PodGC = "OnPodSuccess"
	s.Resources.Requests = Quantities{CPU: "50m", Memory: "32Mi"}
	s.Resources.Limits = Quantities{CPU: "200m", Memory: "64Mi"}
	return s
}

func TestTemplatesEvaluate(t *testing.T) {
	wts, err := Templates(testSettings(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(wts) == 0 {
		t.Fatal("no templates")
	}
	for _, wt := range wts {
		t.Logf("%s: %d templates", wt.Name, len(wt.Spec.Templates))
	}
}

// TestTemplatesFromTheResultCache: a run that finds the library in the result cache gets
// exactly the templates evaluation gives, and other settings are never served another
// settings' library.
func TestTemplatesFromTheResultCache(t *testing.T) {
	cache := diskcache.New(t.TempDir(), []byte("test-build"))
	reset := func() { mu.Lock(); memo = map[Settings][]*wfv1.WorkflowTemplate{}; mu.Unlock() }
	asJSON := func(s Settings, c *diskcache.Cache) string {
		t.Helper()
		reset() // the in-process memo would answer before the disk cache
		wts, err := Templates(s, c)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(wts)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	s := testSettings()
	want := asJSON(s, nil)
	if miss := asJSON(s, cache); miss != want {
		t.Fatal("templates differ when written to the cache")
	}
	if hit := asJSON(s, cache); hit != want {
		t.Fatal("templates read from the cache differ from evaluation")
	}
	// That was a hit, not a second evaluation: a mark put into the stored result comes back.
	marked := 0
	err := filepath.WalkDir(cache.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") { // the sweep mark
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var docs []map[string]any
		if err := json.Unmarshal(data, &docs); err != nil || len(docs) == 0 {
			return fmt.Errorf("%s: not the library: %v", p, err)
		}
		docs[0]["metadata"].(map[string]any)["labels"] = map[string]any{"mark": "from-the-cache"}
		if data, err = json.Marshal(docs); err != nil {
			return err
		}
		marked++
		return os.WriteFile(p, data, 0o644)
	})
	if err != nil || marked != 1 {
		t.Fatalf("the cache holds %d results, want the library alone (%v)", marked, err)
	}
	if hit := asJSON(s, cache); !strings.Contains(hit, `"mark":"from-the-cache"`) {
		t.Fatal("the library was evaluated again instead of read from the cache")
	}
	other := testSettings()
	other.Namespace = "team-ops"
	got := asJSON(other, cache)
	if got == want || !strings.Contains(got, `"namespace":"team-ops"`) {
		t.Fatal("other settings were served the cached library of different settings")
	}
}
