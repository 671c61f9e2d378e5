package apply_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"

	"github.com/appflowc/appflowc/internal/testenv"
)

// serverJudge sends objects to the test API server as dry-run server-side applies (dry-run
// creates for generateName objects) with strict field validation: the server runs its
// full admission and the CRDs' OpenAPI schemas (Argo's full CRDs, Argo CD's), rejects
// unknown fields, and stores nothing. An apply, not a create, so that an object other
// tests have made meanwhile (the shared ClusterRole) is judged, not refused as existing.
type serverJudge struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	core   kubernetes.Interface
}

func newServerJudge(t *testing.T) *serverJudge {
	t.Helper()
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	core, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	return &serverJudge{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)), core: core}
}

func (j *serverJudge) dryRun(ctx context.Context, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	m, err := j.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	var res dynamic.ResourceInterface = j.dyn.Resource(m.Resource)
	if ns := obj.GetNamespace(); ns != "" {
		// The namespace must exist for the server to admit anything into it; creating it
		// is not what is judged.
		_, err := j.core.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		res = j.dyn.Resource(m.Resource).Namespace(ns)
	}
	if obj.GetName() == "" {
		_, err = res.Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict})
		return err
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return err
	}
	force := true
	_, err = res.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{DryRun: []string{metav1.DryRunAll},
		FieldValidation: metav1.FieldValidationStrict, FieldManager: "appflowc-dryrun-test", Force: &force})
	return err
}

// renderedObjects renders dir as CI would (render -o OUT --expand, through the CLI) and
// decodes every file written, previews included.
func renderedObjects(t *testing.T, ctx context.Context, dir string) map[string][]*unstructured.Unstructured {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	runCLI(t, ctx, 0, "render", dir, "-o", out, "--expand")
	objs := map[string][]*unstructured.Unstructured{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "kustomization.yaml" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		rel, _ := filepath.Rel(out, p)
		for {
			var u unstructured.Unstructured
			if err := dec.Decode(&u.Object); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return err
			}
			if len(u.Object) > 0 {
				objs[rel] = append(objs[rel], &u)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatalf("render of %s wrote no objects", dir)
	}
	return objs
}

// TestServerJudgesEveryRenderedObject renders every example and testdata/everything (a
// config that uses every feature) and has the real API server dry-run every object
// written; all must be accepted, and deliberately broken ones refused. (The Applications
// and ApplicationSets the library's templates create at run time are built by Argo's
// expression engine and are judged for real by the end-to-end tests that run them.)
func TestServerJudgesEveryRenderedObject(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "examples", "*"))
	dirs = append(dirs, filepath.Join(root, "testdata", "everything"))
	j := newServerJudge(t)
	kinds := map[string]int{}
	var aWorkflow *unstructured.Unstructured
	for _, dir := range dirs {
		for file, objs := range renderedObjects(t, ctx, dir) {
			for _, o := range objs {
				kinds[o.GetKind()]++
				if err := j.dryRun(ctx, o); err != nil {
					t.Errorf("%s: %s/%s refused by the API server: %v", filepath.Join(filepath.Base(dir), file), o.GetKind(), o.GetName(), err)
				}
				if o.GetKind() == "Workflow" && aWorkflow == nil {
					aWorkflow = o.DeepCopy()
				}
			}
		}
	}
	for _, k := range []string{"WorkflowTemplate", "Workflow", "CronWorkflow", "Application", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among the rendered objects (%v): the test no longer covers that kind", k, kinds)
		}
	}
	t.Logf("objects judged by kind: %v", kinds)
	if aWorkflow == nil {
		t.Fatal("no Workflow rendered")
	}
	// The judge must be able to say no: a wrong type, and a field no schema has.
	broken := map[string]func(*unstructured.Unstructured){
		"entrypoint is a number": func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, int64(12), "spec", "entrypoint")
		},
		"unknown spec field": func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "x", "spec", "entryPoint")
		},
	}
	for _, name := range slices.Sorted(maps.Keys(broken)) {
		o := aWorkflow.DeepCopy()
		broken[name](o)
		err := j.dryRun(ctx, o)
		if err == nil {
			t.Errorf("%s: the API server accepted a broken Workflow", name)
		} else if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
			t.Errorf("%s: refused for another reason than validation: %v", name, err)
		} else if !strings.Contains(err.Error(), "entry") {
			t.Errorf("%s: the refusal does not name the field: %v", name, err)
		}
	}
}
