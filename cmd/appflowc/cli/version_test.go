package cli

import (
	"os"
	"regexp"
	"testing"
)

func TestVersionsMatchGoMod(t *testing.T) {
	mod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"cuelang.org/go": cueVersion, "github.com/argoproj/argo-workflows/v3": argoVersion} {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(path) + `\s+(\S+)`).FindSubmatch(mod)
		if m == nil || string(m[1]) != want {
			t.Errorf("go.mod requires %s %s, version command says %s", path, m, want)
		}
	}
}
