package manifest_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/benchgen"
	"github.com/appflowc/appflowc/manifest"
	"github.com/appflowc/appflowc/render"
)

// TestWorkflowMapIsToMap: the Workflows of every example and of a generated 300-entry
// config, and variants of them with fields workflowMap does not handle, convert to the
// same values without JSON as through it (or are left to JSON); the examples' and bench
// Workflows must take the short way.
func TestWorkflowMapIsToMap(t *testing.T) {
	var wfs []*wfv1.Workflow
	collect := func(in config.Input) {
		res, err := frontend.Render(context.Background(), in, nil, render.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			// Entries' Workflows (a templateRef and arguments) are what workflowMap is
			// for; a pipeline's holds its steps and takes the long way by design.
			if wf, ok := o.Obj.(*wfv1.Workflow); ok && wf.Spec.WorkflowTemplateRef != nil {
				wfs = append(wfs, wf)
			}
		}
	}
	dirs, _ := filepath.Glob("../examples/*")
	for _, d := range dirs {
		collect(config.Input{FS: os.DirFS(d), Paths: []string{"."}})
	}
	gen := t.TempDir()
	if err := benchgen.Write(gen, 300, "cue"); err != nil {
		t.Fatal(err)
	}
	collect(config.Input{FS: os.DirFS(gen), Paths: []string{"."}})
	short := len(wfs)
	if short < 300 {
		t.Fatalf("only %d Workflows", short)
	}
	// Variants: every field workflowMap handles, emptied or set otherwise, and fields it
	// does not handle.
	base := wfs[0]
	variant := func(f func(*wfv1.Workflow)) {
		wf := base.DeepCopy()
		f(wf)
		wfs = append(wfs, wf)
	}
	variant(func(wf *wfv1.Workflow) { wf.Labels, wf.Annotations = nil, map[string]string{} })
	variant(func(wf *wfv1.Workflow) { wf.Labels[""] = "" })
	variant(func(wf *wfv1.Workflow) { wf.Namespace, wf.GenerateName, wf.APIVersion = "", "", "" })
	variant(func(wf *wfv1.Workflow) { wf.Spec.Arguments.Parameters = nil })
	variant(func(wf *wfv1.Workflow) { wf.Spec.Arguments.Parameters[0].Value = nil })
	variant(func(wf *wfv1.Workflow) { wf.Spec.Arguments.Parameters[0].Value = wfv1.AnyStringPtr("") })
	variant(func(wf *wfv1.Workflow) { wf.Spec.TTLStrategy = &wfv1.TTLStrategy{} })
	variant(func(wf *wfv1.Workflow) { wf.Spec.PodGC = &wfv1.PodGC{} })
	variant(func(wf *wfv1.Workflow) { wf.Spec.WorkflowTemplateRef = &wfv1.WorkflowTemplateRef{} })
	variant(func(wf *wfv1.Workflow) { wf.Spec.WorkflowTemplateRef.ClusterScope = true })
	variant(func(wf *wfv1.Workflow) { wf.Spec.Arguments.Parameters[0].Description = wfv1.AnyStringPtr("d") })
	variant(func(wf *wfv1.Workflow) { wf.Spec.ServiceAccountName = "sa" })
	variant(func(wf *wfv1.Workflow) { wf.Spec.PodGC.DeleteDelayDuration = "1m" })
	variant(func(wf *wfv1.Workflow) { wf.Name = "named" })
	variant(func(wf *wfv1.Workflow) { wf.Spec.Arguments.Artifacts = wfv1.Artifacts{{Name: "a"}} })
	for i, wf := range wfs {
		want, err := manifest.ToMapJSON(wf)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := manifest.WorkflowMap(wf)
		if !ok {
			if i < short {
				t.Errorf("Workflow %s took the long way", wf.GenerateName)
			}
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Workflow %d (%s): without JSON %v\nthrough JSON %v", i, wf.GenerateName, got, want)
		}
	}
}
