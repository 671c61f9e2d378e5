package library

import (
	"testing"
)

func testSettings() Settings {
	var s Settings
	s.Namespace, s.ArgoCDNamespace, s.ServiceAccount = "argo", "argocd", "argo-workflow-sa"
	s.DestinationServer, s.ActiveDeadlineSeconds = "https://kubernetes.default.svc", 1800
	s.Images.Shell = "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e"
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
