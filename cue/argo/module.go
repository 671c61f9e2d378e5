package argo

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModuleSchema reads api/jsonschema/schema.json of the argo-workflows module version in
// go.mod, and returns it with that version.
func ModuleSchema() ([]byte, string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", "github.com/argoproj/argo-workflows/v3").Output()
	if err != nil {
		return nil, "", fmt.Errorf("locate argo-workflows: %w", err)
	}
	dir, version, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	data, err := os.ReadFile(filepath.Join(dir, "api", "jsonschema", "schema.json"))
	return data, version, err
}
