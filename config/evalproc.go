package config

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	jsonnet "github.com/google/go-jsonnet"

	"github.com/appflowc/appflowc/diag"
)

// Evaluating CUE and Jsonnet runs the user's program, and neither evaluator can be
// stopped or bounded from inside: a 1 KB file can ask for gigabytes (a string doubled
// thirty times), loop for hours, or recurse until the Go stack overflows, which kills
// the whole process with a goroutine dump that no recover() catches. So evaluation runs
// in a child process of the same binary (this file's init hook): the parent bounds its
// time (killing it), the child bounds its own memory (exiting), and whatever crashes,
// crashes there. The child reads no files: Jsonnet imports are asked of the parent, which
// reads them through the config's confined FS and bounds. Plain-data CUE, YAML and JSON
// are read in the parent: their cost is linear in their (bounded) size.

// evalArg, as the first argument, turns the binary into the evaluator.
const evalArg = "__appflowc-eval"

// Exit codes of the evaluator beyond 0 (result sent) and a crash (2).
const (
	evalExitMemory   = 3
	evalExitProtocol = 4
)

func init() {
	if len(os.Args) > 1 && os.Args[1] == evalArg {
		os.Exit(serveEval(os.Stdin, os.Stdout))
	}
}

// evalRequest is what the parent asks of the evaluator.
type evalRequest struct {
	Kind        string // "cue": evaluate Files as one package; "jsonnet": evaluate Files[0]
	Files       []evalFile
	MemoryLimit int64
	MaxOutput   int64 // bytes of Jsonnet output
	MaxDepth    int   // how deeply a CUE value may nest
}

type evalFile struct {
	Display, Path string
	Data          []byte
}

// evalMsg is what the evaluator sends: an import request or the result.
type evalMsg struct {
	Import *evalImport
	Result *evalResult
}

type evalImport struct{ From, Path string }

type evalImported struct {
	Data  []byte
	Found string
	Err   string
}

type evalResult struct {
	Tree  []byte // CUE: the value as a record (recordWriter)
	JSON  string // Jsonnet: the output
	Diags diag.List
}

// evaluate runs req in an evaluator process, answering its imports with importer (nil:
// none), within limits. Exceeding a bound or a crash comes back as a diagnostic at pos.
func evaluate(ctx context.Context, req evalRequest, lim Limits, pos diag.Pos, what string, importer func(from, path string) evalImported) (*evalResult, diag.List) {
	req.MemoryLimit, req.MaxDepth = lim.EvalMemory, lim.MaxDepth
	ctx, cancel := context.WithTimeout(ctx, lim.EvalTimeout)
	defer cancel()
	self, err := os.Executable()
	if runtime.GOOS == "linux" {
		self, err = "/proc/self/exe", nil // still this binary if the file was replaced meanwhile
	}
	if err != nil {
		return nil, diag.List{{Pos: pos, Msg: fmt.Sprintf("cannot start the %s evaluator: %v", what, err)}}
	}
	cmd := exec.CommandContext(ctx, self, evalArg)
	cmd.WaitDelay = time.Second
	stderr := &capped{max: 16 << 10}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, diag.List{{Pos: pos, Msg: err.Error()}}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, diag.List{{Pos: pos, Msg: err.Error()}}
	}
	if err := cmd.Start(); err != nil {
		return nil, diag.List{{Pos: pos, Msg: fmt.Sprintf("cannot start the %s evaluator: %v", what, err)}}
	}
	var res *evalResult
	converse := func() error {
		enc, dec := gob.NewEncoder(stdin), gob.NewDecoder(stdout)
		if err := enc.Encode(req); err != nil {
			return err
		}
		for {
			var m evalMsg
			if err := dec.Decode(&m); err != nil {
				return err
			}
			switch {
			case m.Result != nil:
				res = m.Result
				return nil
			case m.Import != nil && importer != nil:
				if err := enc.Encode(importer(m.Import.From, m.Import.Path)); err != nil {
					return err
				}
			default:
				return errors.New("unexpected message")
			}
		}
	}
	cerr := converse()
	stdin.Close()
	werr := cmd.Wait()
	if cerr == nil && werr == nil {
		return res, nil
	}
	return nil, diag.List{evalFailure(ctx, lim, pos, what, cmd, stderr.String())}
}

// evalFailure says why an evaluator ended without a result.
func evalFailure(ctx context.Context, lim Limits, pos diag.Pos, what string, cmd *exec.Cmd, stderr string) diag.Diagnostic {
	d := diag.Diagnostic{Pos: pos}
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		d.Msg = fmt.Sprintf("%s evaluation took longer than %s", what, lim.EvalTimeout)
		d.Hint = "look for comprehensions over large or nested ranges; or raise the bound with --max-eval-time"
	case errors.Is(ctx.Err(), context.Canceled):
		d.Msg = what + " evaluation interrupted"
	case code == evalExitMemory || strings.Contains(stderr, "out of memory"):
		d.Msg = fmt.Sprintf("%s evaluation needed more than %s of memory", what, bytesText(lim.EvalMemory))
		d.Hint = "look for values that grow at each step, such as a string or list doubled; or raise the bound with --max-eval-memory"
	case strings.Contains(stderr, "stack overflow") || strings.Contains(stderr, "stack exceeds"):
		d.Msg = what + " evaluation recursed too deeply"
		d.Hint = "look for a value defined through itself, or recursion without an end"
	default:
		first, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
		d.Msg = fmt.Sprintf("%s evaluation failed unexpectedly (exit %d): %s", what, code, strconvQuoteLine(first))
		d.Hint = "please report this with the file that causes it"
	}
	return d
}

// strconvQuoteLine keeps a line from the evaluator printable.
func strconvQuoteLine(s string) string {
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// capped keeps the first max bytes written to it.
type capped struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string { c.mu.Lock(); defer c.mu.Unlock(); return c.buf.String() }

// serveEval is the evaluator: one request from in, imports and the result to out.
func serveEval(in io.Reader, out io.Writer) int {
	dec, enc := gob.NewDecoder(in), gob.NewEncoder(out)
	var req evalRequest
	if err := dec.Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "evaluator: read request:", err)
		return evalExitProtocol
	}
	guardMemory(req.MemoryLimit)
	var res evalResult
	switch req.Kind {
	case "cue":
		asts := make([]*ast.File, len(req.Files))
		for i, f := range req.Files {
			af, err := parser.ParseFile(f.Display, f.Data, parser.ParseComments)
			if err != nil {
				res.Diags = append(res.Diags, fromCUEErr(err, "fix the CUE syntax")...)
			}
			asts[i] = af
		}
		if len(res.Diags) == 0 {
			n, ds := evalCUEPackage(asts)
			res.Diags = ds
			if deep := tooDeep(n, req.MaxDepth); deep != nil && len(ds) == 0 {
				res.Diags = diag.List{{Pos: deep.Pos, Msg: fmt.Sprintf("values nest more than %d levels deep", req.MaxDepth),
					Hint: "flatten the structure, or raise the bound with --max-depth"}}
			} else if n != nil && len(ds) == 0 {
				w := &recordWriter{}
				w.node(n)
				res.Tree = w.b
			}
		}
	case "jsonnet":
		f := req.Files[0]
		vm := jsonnet.MakeVM()
		vm.Importer(&askingImporter{enc: enc, dec: dec})
		s, err := vm.EvaluateAnonymousSnippet(f.Display, string(f.Data))
		switch {
		case err != nil:
			res.Diags = diag.List{jsonnetErr(f.Display, err)}
		case int64(len(s)) > req.MaxOutput:
			res.Diags = diag.List{{Pos: diag.Pos{File: f.Display}, Msg: fmt.Sprintf("the Jsonnet output is larger than %s", bytesText(req.MaxOutput)),
				Hint: "raise the bound with --max-total-size"}}
		default:
			res.JSON = s
		}
	default:
		fmt.Fprintln(os.Stderr, "evaluator: unknown request", req.Kind)
		return evalExitProtocol
	}
	if err := enc.Encode(evalMsg{Result: &res}); err != nil {
		fmt.Fprintln(os.Stderr, "evaluator: send result:", err)
		return evalExitProtocol
	}
	return 0
}

// tooDeep returns a node nested more than max levels below n, or nil. (References can
// nest a value far deeper than its syntax.)
func tooDeep(n *Node, max int) *Node {
	if n == nil {
		return nil
	}
	if max < 0 {
		return n
	}
	for _, f := range n.Fields {
		if d := tooDeep(f.Value, max-1); d != nil {
			return d
		}
	}
	for _, it := range n.Items {
		if d := tooDeep(it, max-1); d != nil {
			return d
		}
	}
	return nil
}

// askingImporter resolves Jsonnet imports by asking the parent, which reads them.
type askingImporter struct {
	enc   *gob.Encoder
	dec   *gob.Decoder
	cache map[[2]string]jsonnet.Contents
	found map[[2]string]string
}

func (a *askingImporter) Import(from, path string) (jsonnet.Contents, string, error) {
	key := [2]string{from, path}
	if c, ok := a.cache[key]; ok {
		return c, a.found[key], nil
	}
	if err := a.enc.Encode(evalMsg{Import: &evalImport{From: from, Path: path}}); err != nil {
		return jsonnet.Contents{}, "", err
	}
	var r evalImported
	if err := a.dec.Decode(&r); err != nil {
		return jsonnet.Contents{}, "", err
	}
	if r.Err != "" {
		return jsonnet.Contents{}, "", errors.New(r.Err)
	}
	if a.cache == nil {
		a.cache, a.found = map[[2]string]jsonnet.Contents{}, map[[2]string]string{}
	}
	c := jsonnet.MakeContentsRaw(r.Data)
	a.cache[key], a.found[key] = c, r.Found
	return c, r.Found, nil
}

// guardMemory makes the evaluator exit with evalExitMemory once the memory it holds
// passes limit: the collector is told the limit (so garbage does not count), and a
// watchdog samples what the runtime has mapped and not released — stacks included, so
// deep recursion counts too.
func guardMemory(limit int64) {
	if limit <= 0 {
		return
	}
	debug.SetMemoryLimit(limit)
	debug.SetMaxStack(256 << 20)
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	go func() {
		for {
			metrics.Read(samples)
			if int64(samples[0].Value.Uint64()-samples[1].Value.Uint64()) > limit {
				fmt.Fprintln(os.Stderr, "evaluator: memory bound exceeded")
				os.Exit(evalExitMemory)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
}
