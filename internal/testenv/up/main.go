// Command up starts the local control plane for manual exploration and keeps it running
// until interrupted (make testenv-up). It runs in a private network namespace: reach it
// with the nsenter line it prints.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/appflowc/appflowc/internal/testenv"
)

func main() {
	os.Exit(testenv.Main(run))
}

func run() int {
	dir, err := os.MkdirTemp("", "appflowc-testenv-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	env, err := testenv.Start(startCtx, dir, testenv.Options{})
	cancel()
	defer env.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("control plane up in %s (data in %s)\n", time.Since(start).Round(time.Millisecond), dir)
	fmt.Printf("export KUBECONFIG=%s\n", env.Kubeconfig)
	fmt.Printf("chart repository: %s (demo 0.1.0, 0.2.0)\n", env.ChartRepo)
	if testenv.Isolated() {
		fmt.Printf("nsenter --net=/proc/%d/ns/net -- %s/kubectl get pods -A\n", testenv.HostPID(), env.Bin)
	}
	<-ctx.Done()
	return 0
}
