package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/appflowc/appflowc/apply"
)

func TestWriteListFormats(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	wfs := []apply.WorkflowSummary{{Name: "app-web-abcde", Config: "web", Kind: "application", Phase: "Running", Progress: "2/6", Started: start,
		SubmittedBy: "alice", GitCommit: "0123456789abcdef0123", GitDirty: true}}
	now := start.Add(90 * time.Second)
	for format, want := range map[string]string{
		"table": "NAME           CONFIG  KIND         PHASE    PROGRESS  DURATION\napp-web-abcde  web     application  Running  2/6       1m30s\n",
		"name":  "workflow/app-web-abcde\n",
		"json":  `"progress": "2/6"`,
		"yaml":  "phase: Running\n",
		"wide":  "2026-01-02T03:04:05Z  alice         0123456789ab+dirty  -\n",
	} {
		var b bytes.Buffer
		if err := writeList(painter{}, &b, wfs, format, now); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s:\n%s\nwant it to contain %q", format, b.String(), want)
		}
	}
	var b bytes.Buffer
	if err := writeList(painter{}, &b, nil, "json", now); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("empty list as JSON: %q %v", b.String(), err)
	}
}
