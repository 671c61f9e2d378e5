package graph

import (
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appflowc/appflowc/manifest"
)

// TestOfObjects: every Workflow and CronWorkflow of a render is drawn through the
// templates beside it (a ClusterWorkflowTemplate by its scope), in order; one whose
// template is not there carries the error, not a graph.
func TestOfObjects(t *testing.T) {
	wt := &wfv1.WorkflowTemplate{ObjectMeta: metav1.ObjectMeta{Name: "lib"}, Spec: wfv1.WorkflowSpec{Entrypoint: "run", Templates: []wfv1.Template{leaf("run")}}}
	cwt := &wfv1.ClusterWorkflowTemplate{ObjectMeta: metav1.ObjectMeta{Name: "shared"}, Spec: wfv1.WorkflowSpec{Entrypoint: "main", Templates: []wfv1.Template{leaf("main")}}}
	ref := func(name string, cluster bool) wfv1.WorkflowSpec {
		return wfv1.WorkflowSpec{WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: name, ClusterScope: cluster}}
	}
	objs := []manifest.Object{
		{Kind: "WorkflowTemplate", Name: "lib", Obj: wt},
		{Kind: "ClusterWorkflowTemplate", Name: "shared", Obj: cwt},
		{Kind: "Workflow", Name: "app-web-", Entry: "applications.web", Obj: &wfv1.Workflow{Spec: ref("lib", false)}},
		{Kind: "CronWorkflow", Name: "nightly", Entry: "pipelines.nightly", Obj: &wfv1.CronWorkflow{Spec: wfv1.CronWorkflowSpec{WorkflowSpec: ref("shared", true)}}},
		{Kind: "Workflow", Name: "gone-", Entry: "applications.gone", Obj: &wfv1.Workflow{Spec: ref("shared", false)}},
	}
	es := OfObjects(objs)
	if len(es) != 3 {
		t.Fatalf("%d entries", len(es))
	}
	if es[0].Entry != "applications.web" || es[0].Err != nil || es[0].Graph.Name != "app-web" {
		t.Errorf("workflow: %+v", es[0])
	}
	if es[1].Entry != "pipelines.nightly" || es[1].Err != nil || es[1].Graph == nil {
		t.Errorf("cron workflow through a cluster template: %+v", es[1])
	}
	if es[2].Err == nil {
		t.Errorf("a namespaced reference resolved to the cluster template of that name: %+v", es[2])
	}
}
