package library

import (
	"testing"
)

func testSettings() Settings {
	var s Settings
	s.Namespace, s.ArgoCDNamespace, s.ServiceAccount = "argo", "argocd", "argo-workflow-sa"
	s.DestinationServer, s.ActiveDeadlineSeconds = "https://kubernetes.default.svc", 1800
	s.Images.Shell = "docker.io/library/busybox:1.37.0-musl@sha256:597bf7e5e8faf26b8efc4cb558eea5dc14d9cc97d5b4c8cdbe6404a7432d5a67"
	return s
}

func TestTemplatesEvaluate(t *testing.T) {
	wts, err := Templates(testSettings())
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
