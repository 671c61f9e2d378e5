package render

import (
	"strings"
	"testing"
)

func TestSelectKeepsEntriesAndTheirDependencies(t *testing.T) {
	objs := []Object{
		{Kind: "WorkflowTemplate", Name: "application-create"},
		{Kind: "ClusterRole", Name: "appflowc-workflows"},
		{Kind: "Workflow", Name: "app-web-", Entry: "applications.web"},
		{Kind: "Workflow", Name: "app-api-", Entry: "applications.api"},
		{Kind: "Namespace", Name: "pay", Entry: "infra.pay"},
		{Kind: "Secret", Name: "db", Entry: "infra.pay"},
		{Kind: "Workflow", Name: "infra-pay-", Entry: "infra.pay"},
	}
	got, err := Select(objs, []string{"applications/web", "infra.pay"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range got {
		names = append(names, o.Kind+"/"+o.Name)
	}
	if want := "WorkflowTemplate/application-create ClusterRole/appflowc-workflows Workflow/app-web- Namespace/pay Secret/db Workflow/infra-pay-"; strings.Join(names, " ") != want {
		t.Fatalf("selected %v", names)
	}
	if _, err := Select(objs, []string{"applications/wbe"}); err == nil || !strings.Contains(err.Error(), "no entry applications.wbe in the config (entries: applications/api, applications/web, infra/pay)") {
		t.Fatalf("unknown entry: %v", err)
	}
}
