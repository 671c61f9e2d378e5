package testenv

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RunTests is the TestMain of a package whose tests need the control plane: in private
// namespaces (see Main), it starts a stack, stores it in *env, runs the tests, stops the
// stack and then requires that nothing it started is left (a leftover process fails the
// run, listed). SIGINT and SIGTERM stop the stack and exit 130. The data and logs are
// removed after a passing run and kept, with their path printed, otherwise.
func RunTests(m *testing.M, opts Options, env **Env) int {
	return Main(func() int {
		flag.Parse()
		// The end-to-end tests mostly wait on the control plane; let them all run at once
		// unless -parallel was given.
		explicit := false
		flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
		if !explicit {
			_ = flag.Set("test.parallel", "16")
		}
		dir, err := os.MkdirTemp("", "appflowc-testenv-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		var e *Env
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		started := make(chan struct{})
		go func() {
			s := <-sigs
			fmt.Fprintf(os.Stderr, "testenv: %v: stopping the control plane\n", s)
			cancel()
			<-started // Start returns promptly once ctx is cancelled
			e.Stop()
			os.RemoveAll(dir)
			os.Exit(130)
		}()
		t0 := time.Now()
		e, err = Start(ctx, dir, opts)
		cancel()
		close(started)
		code := 2
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		} else {
			fmt.Fprintf(os.Stderr, "testenv: control plane up in %s (%s)\n", time.Since(t0).Round(100*time.Millisecond), dir)
			*env = e
			code = m.Run()
			if dead := e.Exited(); len(dead) > 0 {
				fmt.Fprintf(os.Stderr, "testenv: components exited during the tests:\n%s\n", strings.Join(dead, "\n"))
				code = 1
			}
		}
		signal.Stop(sigs)
		e.Stop()
		if Isolated() {
			if left := Leftovers(); len(left) > 0 {
				fmt.Fprintf(os.Stderr, "testenv: processes left after the stack stopped:\n  %s\n", strings.Join(left, "\n  "))
				code = 1
			}
		}
		if code == 0 {
			os.RemoveAll(dir)
		} else {
			fmt.Fprintln(os.Stderr, "testenv: control plane logs kept in", dir)
		}
		return code
	})
}
