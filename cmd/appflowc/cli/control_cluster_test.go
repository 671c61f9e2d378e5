package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/appflowc/appflowc/internal/fakeapi"
)

// liveMoves are the live view's own sequences: erase a line's end, go up, erase below.
var liveMoves = regexp.MustCompile("\r?\x1b\\[[0-9]*[AKJ]")

// TestControlAgainstAHostileCluster: the control commands, wait and watch meet a lying
// API server: its text reaches the terminal escaped, a status no controller writes is an
// error (not a hang or a panic), a server that does not answer is exit 2 within the
// request timeout.
func TestControlAgainstAHostileCluster(t *testing.T) {
	c := newCluster(t)
	seedHostile(c)
	cyclic := map[string]any{
		"wf-cycle": map[string]any{"id": "wf-cycle", "name": "wf-cycle", "displayName": "wf-cycle", "type": "Steps", "phase": "Failed", "children": []any{"a"}},
		"a":        map[string]any{"id": "a", "name": "wf-cycle.a", "displayName": "a", "type": "Pod", "phase": "Failed", "children": []any{"b"}},
		"b":        map[string]any{"id": "b", "name": "wf-cycle.b", "displayName": "b", "type": "Pod", "phase": "Failed", "children": []any{"a"}},
	}
	c.Put("workflows", workflow("wf-cycle", map[string]any{"phase": "Failed", "nodes": cyclic}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"watch", "wf-evil"}, ExitFailed, "wf-evil Failed: ^[]0;pwned"},
		{[]string{"wait", "wf-evil"}, ExitFailed, "wf-evil Failed"},
		{[]string{"stop", "wf-evil"}, ExitFailed, "cannot stop workflow wf-evil: it has finished"},
		{[]string{"suspend", "workflow/wf-evil"}, ExitFailed, "cannot suspend workflow wf-evil: it has finished"},
		{[]string{"retry", "wf-cycle"}, ExitFailed, "form a cycle"},
		{[]string{"retry", "wf-name" + evil}, ExitUsage, "is not a workflow name"},
		{[]string{"wait", "nope", "--ignore-not-found"}, ExitOK, "workflow nope not found"},
		{[]string{"wait", "nope"}, ExitFailed, "workflow nope not found"},
		// A named workflow that is not there is 1 for every command, as kubectl get's.
		{[]string{"status", "nope"}, ExitFailed, "not found"},
		{[]string{"logs", "nope"}, ExitFailed, "not found"},
		{[]string{"watch", "nope"}, ExitFailed, "workflow nope not found"},
		{[]string{"stop", "nope"}, ExitFailed, "not found"},
		{[]string{"stop"}, ExitUsage, "name workflows, or choose them with -l SELECTOR or --all"},
		{[]string{"retry", "a", "b", "-w"}, ExitUsage, "-w follows one workflow"},
		{[]string{"resubmit", "wf-evil", "--dry-run=client"}, ExitOK, "workflow wf-evil resubmitted (dry run)"},
	} {
		name := strings.Join(tc.args, " ")
		code, out, errOut := c.run(t, ctx, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.say) {
			t.Errorf("%s: exit %d (want %d), want %q in:\n%s%s", name, code, tc.code, tc.say, out, errOut)
		}
		clean(t, name+" (piped)", out+errOut)
		code, tty := c.runTTY(t, ctx, tc.args...)
		if code != tc.code {
			t.Errorf("%s on a terminal: exit %d\n%s", name, code, tty)
		}
		clean(t, name+" (terminal)", liveMoves.ReplaceAllString(tty, ""))
	}
	// An API error's message is the server's text: escaped. A 500 is the cluster failing,
	// not a refusal: exit 2, as for wait.
	c.Fail(fakeapi.Fault{Kind: fakeapi.Error, Verb: "get", Resource: "workflows", Code: 500, Message: evil, Times: 50})
	code, _, errOut := c.run(t, ctx, "terminate", "wf-evil")
	if code != ExitUsage || !strings.Contains(errOut, evilShown) {
		t.Errorf("terminate with a hostile error: exit %d\n%s", code, errOut)
	}
	clean(t, "hostile API error", errOut)
	c.Heal()
	// A server that does not answer: exit 2 within the request timeout (2 s here).
	c.Fail(fakeapi.Fault{Kind: fakeapi.Hang, Verb: "get"})
	for _, args := range [][]string{{"stop", "wf-evil"}, {"retry", "wf-evil"}, {"wait", "wf-evil"}, {"watch", "wf-evil"}} {
		start := time.Now()
		code, _, errOut := c.run(t, ctx, args...)
		if code != ExitUsage || time.Since(start) > 15*time.Second {
			t.Errorf("%v against a hung server: exit %d after %s\n%s", args, code, time.Since(start), errOut)
		}
	}
}
