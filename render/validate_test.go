package render

import (
	"context"
	"testing"

	"github.com/appflowc/appflowc/config"
)

func TestLibraryPassesArgoValidation(t *testing.T) {
	cfg, err := config.Decode(&config.Tree{Root: &config.Node{Kind: config.Map}})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ds := Validate(objs); len(ds) > 0 {
		t.Fatalf("library fails Argo validation:\n%v", ds)
	}
}
