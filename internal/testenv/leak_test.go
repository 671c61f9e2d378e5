package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The helper mode of this test binary: a package run through RunTests, whose one test
// starts a control plane (etcd only) plus a process with a child of its own, says so,
// and then ends the way leakModeEnv names.
const (
	leakModeEnv  = "APPFLOWC_LEAK_MODE"
	leakMarkEnv  = "APPFLOWC_LEAK_MARK"
	leakReadyEnv = "APPFLOWC_LEAK_READY"
)

var helperEnv *Env

func TestMain(m *testing.M) {
	if os.Getenv(leakModeEnv) != "" {
		os.Exit(RunTests(m, Options{EtcdOnly: true}, &helperEnv))
	}
	os.Exit(m.Run())
}

// TestLeakHelper runs only in the helper mode (see TestNoLeakOnEveryExitPath).
func TestLeakHelper(t *testing.T) {
	mode := os.Getenv(leakModeEnv)
	if mode == "" {
		t.Skip("helper of TestNoLeakOnEveryExitPath")
	}
	// A process with a child of its own, as the repo-server runs helm: grandchildren must
	// not survive either.
	if err := helperEnv.start(t.Context(), "sleeper", "/bin/sh", "-c", "sleep 600 & sleep 601; wait"); err != nil {
		t.Fatal(err)
	}
	ready := os.Getenv(leakReadyEnv)
	if err := os.WriteFile(ready, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for { // wait for the go-ahead
		if _, err := os.Stat(ready + ".go"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	switch mode {
	case "fail":
		t.Fatal("a failing test")
	case "panic":
		panic("a test panics")
	case "timeout":
		// go test's -timeout alarm panics from its own goroutine: no deferred function and
		// no code after m.Run runs.
		go func() { panic("test timed out after 1s (simulated)") }()
	}
	select {} // the signal modes: wait to be signalled
}

// TestNoLeakOnEveryExitPath runs the helper mode once per way a test run can end — a
// failing test, a panic, go test's timeout, Ctrl-C (SIGINT to the process group), SIGTERM,
// SIGQUIT (what go test sends at its timeout), SIGKILL, and the death of the process that
// started it (make's SIGTERM kills go test, which does not pass it on) — and requires
// that every process the harness started, and their children, are gone afterwards. It
// finds them by an environment variable they all inherit.
func TestNoLeakOnEveryExitPath(t *testing.T) {
	if _, err := Binaries(); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"fail", "panic", "timeout", "sigint", "sigterm", "sigquit", "sigkill", "parent-killed"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			mark := fmt.Sprintf("%s-%d-%d", mode, os.Getpid(), time.Now().UnixNano())
			ready := filepath.Join(t.TempDir(), "ready")
			args := []string{"-test.run=^TestLeakHelper$", "-test.v"}
			var cmd *exec.Cmd
			if mode == "parent-killed" {
				// sh stands for go test: it starts the test binary and is then killed.
				cmd = exec.Command("/bin/sh", append([]string{"-c", `"$0" "$@" & wait`, self}, args...)...)
			} else {
				cmd = exec.Command(self, args...)
			}
			cmd.Env = append(os.Environ(), leakModeEnv+"="+mode, leakMarkEnv+"="+mark, leakReadyEnv+"="+ready)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a terminal's process group
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			deadline := time.Now().Add(3 * time.Minute)
			for {
				if _, err := os.Stat(ready); err == nil {
					break
				}
				select {
				case err := <-exited:
					t.Fatalf("helper ended before its stack was up (%v):\n%s", err, out.String())
				case <-time.After(100 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					t.Fatalf("helper not ready after 3 minutes:\n%s", out.String())
				}
			}
			// The helper's two halves (one where namespaces are not allowed), etcd, sh and
			// its sleeps: sh may not have started them yet.
			running := marked(mark)
			for end := time.Now().Add(10 * time.Second); len(running) < 5 && time.Now().Before(end); running = marked(mark) {
				time.Sleep(50 * time.Millisecond)
			}
			if len(running) < 5 {
				t.Fatalf("expected the helper's processes to be found by their mark, found %d:\n%s", len(running), strings.Join(running, "\n"))
			}
			if err := os.WriteFile(ready+".go", nil, 0o644); err != nil {
				t.Fatal(err)
			}
			switch mode {
			case "sigint":
				syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
			case "sigterm":
				cmd.Process.Signal(syscall.SIGTERM)
			case "sigquit":
				cmd.Process.Signal(syscall.SIGQUIT)
			case "sigkill":
				cmd.Process.Kill()
			case "parent-killed":
				cmd.Process.Kill() // sh; the test binary it started is now an orphan
			}
			select {
			case <-exited:
			case <-time.After(2 * time.Minute):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Fatalf("helper still running 2 minutes after %s:\n%s", mode, out.String())
			}
			var left []string
			for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
				if left = marked(mark); len(left) == 0 {
					return
				}
			}
			for _, l := range left {
				if pid, err := strconv.Atoi(strings.Fields(l)[0]); err == nil {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			t.Fatalf("%s: %d processes outlived the test run:\n%s\nhelper output:\n%s", mode, len(left), strings.Join(left, "\n"), out.String())
		})
	}
}

// marked lists the live processes (as "pid command") whose environment holds mark.
func marked(mark string) []string {
	want := []byte(leakMarkEnv + "=" + mark + "\x00")
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		if st, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				continue // a zombie is already dead; its parent has yet to collect it
			}
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		out = append(out, e.Name()+" "+strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " ")))
	}
	return out
}
