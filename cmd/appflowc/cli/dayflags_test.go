package cli

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestListFilters runs list's argo-style filters against the fake API server: what is
// asked of the server (the completed label) and what is filtered here (times).
func TestListFilters(t *testing.T) {
	c := newCluster(t)
	now := time.Now().UTC()
	ts := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	put := func(ns, name string, created time.Duration, completed bool, finished time.Duration) {
		wf := workflow(name, map[string]any{"phase": "Running", "startedAt": ts(created)})
		md := wf["metadata"].(map[string]any)
		md["namespace"], md["creationTimestamp"] = ns, ts(created)
		md["labels"].(map[string]any)["workflows.argoproj.io/completed"] = "false"
		if completed {
			wf["status"] = map[string]any{"phase": "Succeeded", "startedAt": ts(created), "finishedAt": ts(finished)}
			md["labels"].(map[string]any)["workflows.argoproj.io/completed"] = "true"
		}
		c.Put("workflows", wf)
	}
	put("argo", "old-done", 48*time.Hour, true, 47*time.Hour)
	put("argo", "new-done", 10*time.Minute, true, 5*time.Minute)
	put("argo", "running", 2*time.Minute, false, 0)
	put("team", "team-run", time.Minute, false, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "-o", "name"}, "workflow/running\nworkflow/new-done\nworkflow/old-done\n"},
		{[]string{"list", "-o", "name", "--running"}, "workflow/running\n"},
		{[]string{"list", "-o", "name", "--completed"}, "workflow/new-done\nworkflow/old-done\n"},
		{[]string{"list", "-o", "name", "--since", "1h"}, "workflow/running\nworkflow/new-done\n"},
		{[]string{"list", "-o", "name", "--older", "1d"}, "workflow/old-done\n"},
		{[]string{"list", "-o", "name", "--older", "1m"}, "workflow/new-done\nworkflow/old-done\n"},
		{[]string{"list", "-o", "name", "-A", "--running"}, "workflow/team-run\nworkflow/running\n"}, // newest first
		{[]string{"list", "-o", "name", "-n", "team"}, "workflow/team-run\n"},
	} {
		code, out, errOut := c.run(t, ctx, tc.args...)
		if code != 0 || out != tc.want {
			t.Errorf("%v: exit %d\n%s\nwant\n%s%s", tc.args, code, out, tc.want, errOut)
		}
	}
	if reqs := c.Requests("list", "workflows"); !strings.Contains(mustUnescape(t, reqs[1].Query), "workflows.argoproj.io/completed!=true") {
		t.Errorf("--running is not asked of the server: %s", reqs[1].Query)
	}
	code, out, _ := c.run(t, ctx, "list", "-A", "--running")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "NAMESPACE  NAME") || !strings.HasPrefix(lines[1], "team       team-run") || !strings.HasPrefix(lines[2], "argo       running") {
		t.Errorf("list -A table: exit %d\n%s", code, out)
	}
	code, out, _ = c.run(t, ctx, "list", "--running", "--no-headers")
	if code != 0 || !strings.HasPrefix(out, "running ") || strings.Contains(out, "NAME") {
		t.Errorf("list --no-headers: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"list", "--running", "--completed"}, {"list", "--since", "-1h"}, {"list", "--older", "soon"}, {"list", "--cron", "--running"}} {
		if code, _, errOut := c.run(t, ctx, bad...); code != ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", bad, code, errOut)
		}
	}
}

func mustUnescape(t *testing.T, q string) string {
	t.Helper()
	s, err := url.QueryUnescape(q)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLogsFlags: --tail, --since, --timestamps and -c go to the kubelet as PodLogOptions;
// --grep filters here, on the line as written, and a pattern is bounded.
func TestLogsFlags(t *testing.T) {
	c := newCluster(t)
	c.Put("workflows", workflow("lg", map[string]any{"phase": "Succeeded"}))
	c.Put("pods", map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "lg-1", "namespace": "argo",
		"labels": map[string]any{"workflows.argoproj.io/workflow": "lg"}, "annotations": map[string]any{"workflows.argoproj.io/node-name": "lg.step"}},
		"status": map[string]any{"phase": "Succeeded"}})
	c.SetLog("argo", "lg-1", "starting\nERROR: disk \x1b[31mfull\nok\nwarn: slow\n")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, out, errOut := c.run(t, ctx, "logs", "workflow/lg", "--grep", "(?i)error|warn", "--tail", "20", "--since", "90s", "--timestamps", "-c", "wait")
	if code != 0 || out != "step: ERROR: disk ^[[31mfull\nstep: warn: slow\n" {
		t.Errorf("logs --grep: exit %d\n%q\n%s", code, out, errOut)
	}
	reqs := c.Requests("log", "pods")
	q, _ := url.ParseQuery(reqs[len(reqs)-1].Query)
	if q.Get("tailLines") != "20" || q.Get("sinceSeconds") != "90" || q.Get("timestamps") != "true" || q.Get("container") != "wait" {
		t.Errorf("pod log request: %s", reqs[len(reqs)-1].Query)
	}
	code, _, _ = c.run(t, ctx, "logs", "lg")
	q, _ = url.ParseQuery(c.Requests("log", "pods")[len(c.Requests("log", "pods"))-1].Query)
	if code != 0 || q.Has("tailLines") || q.Has("sinceSeconds") || q.Get("container") != "main" {
		t.Errorf("plain logs asked for %v", q)
	}
	for _, bad := range [][]string{{"logs", "lg", "--grep", "("}, {"logs", "lg", "--grep", strings.Repeat("a", 1025)}, {"logs", "lg", "--tail", "-2"}, {"logs", "pod/lg"}} {
		if code, _, errOut := c.run(t, ctx, bad...); code != ExitUsage {
			t.Errorf("%.60v: exit %d, want 2\n%s", bad, code, errOut)
		}
	}
}
