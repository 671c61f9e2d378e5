package outdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadDir: a render directory is read back by apply DIR, and a pull request can put
// anything in it: any file content is read without a panic or a crash (its YAML nesting
// included), as an object or as an error naming the file.
func FuzzLoadDir(f *testing.F) {
	f.Add("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	f.Add("# Rendered by appflowc from a.yaml (applications.x). Do not edit.\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	f.Add(strings.Repeat("[", 100000))
	f.Add("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]")
	f.Fuzz(func(t *testing.T, content string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, KustomizationFile), []byte(headerMark+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "configmap", "ns"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "configmap", "ns", "x.yaml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadDir(dir); err != nil && !strings.Contains(err.Error(), "x.yaml") {
			t.Fatalf("the error names no file: %v", err)
		}
	})
}
