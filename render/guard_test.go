package render

import (
	"errors"
	"testing"
)

func TestGuardDeletions(t *testing.T) {
	existing := []string{"preview/application/argocd/shop-dev.yaml", "preview/application/argocd/shop-prod.yaml"}
	newFiles := []File{{Path: "preview/application/argocd/shop-dev.yaml"}}
	err := GuardDeletions(newFiles, existing, Options{Expand: true})
	var de *DeletionError
	if !errors.As(err, &de) || len(de.Paths) != 1 || de.Paths[0] != "preview/application/argocd/shop-prod.yaml" {
		t.Fatalf("got %v", err)
	}
	if err := GuardDeletions(newFiles, existing, Options{Expand: true, AllowDeletions: true}); err != nil {
		t.Fatalf("--allow-deletions: %v", err)
	}
}
