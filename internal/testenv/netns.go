package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Environment variables between the two halves of Main.
const (
	// netnsEnv marks the re-executed child: "1" in its own namespaces, "host" where
	// namespaces are not allowed.
	netnsEnv = "APPFLOWC_TESTENV_NETNS"
	// hostPIDEnv carries the child's process ID as the host sees it (for nsenter).
	hostPIDEnv = "APPFLOWC_TESTENV_HOST_PID"
)

// Main runs run (a test binary's m.Run, or a command's body) inside private namespaces: a
// network namespace with only loopback, because Argo CD's application controller binds
// 0.0.0.0 with no flag to stop it and Argo's controller fixes its health port at :6060 (a
// stack in the host namespace would be reachable from outside and could not run twice);
// and a PID namespace whose first process is the re-executed binary, because when that
// process ends, however it ends (a test failure, a panic, go test's timeout, a signal,
// SIGKILL), the kernel kills every process left in the namespace: nothing the harness
// started can outlive it, grandchildren included. The parent half stays on the host,
// forwards signals, and dies with its own parent (go test killed by make's SIGTERM).
//
// The control plane must have been built (make testenv); where it was not, Main says so
// and fails before anything starts. Where namespaces are not allowed, it says so and runs
// run on the host loopback instead; Env.Stop and the processes' own process groups and
// parent-death signals are then what ends them.
func Main(run func() int) int {
	switch os.Getenv(netnsEnv) {
	case "1":
		if err := enterPrivateNamespaces(); err != nil {
			fmt.Fprintln(os.Stderr, "testenv: set up the private namespaces:", err)
			return 2
		}
		return run()
	case "host":
		return run()
	}
	if _, err := Binaries(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// If go test dies (make got SIGTERM, which go does not pass on), end too: the signal
	// below is forwarded to the child, which then ends its namespace.
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0, 0, 0)
	if os.Getppid() == 1 { // the parent died before prctl took effect
		return 2
	}
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
		Pdeathsig:  syscall.SIGKILL,
	}
	if os.Geteuid() != 0 {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Geteuid(), HostID: os.Geteuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}}
	}
	// Signals are passed to the child (SIGQUIT from go test's timeout makes it print its
	// goroutines; SIGINT and SIGTERM make it stop the stack and exit).
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: no private namespaces here (%v); the stack runs on the host loopback\n", err)
		os.Setenv(netnsEnv, "host")
		signal.Stop(sigs)
		return run()
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			fmt.Fprintf(os.Stderr, "testenv: the tests ended by signal %v\n", ws.Signal())
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "testenv:", err)
	return 2
}

// enterPrivateNamespaces runs first in the child: it records the host's view of its PID,
// mounts a /proc of the new PID namespace (so that processes reading /proc/<pid>, such as
// Prometheus' process collector, find themselves) without touching the host's mounts, and
// brings up loopback, which a new network namespace starts without.
func enterPrivateNamespaces() error {
	if self, err := os.Readlink("/proc/self"); err == nil { // still the host's /proc
		os.Setenv(hostPIDEnv, self)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	return loopbackUp()
}

// loopbackUp sets IFF_UP on lo, which a new network namespace starts without.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// Isolated reports whether this process runs in the private namespaces.
func Isolated() bool { return os.Getenv(netnsEnv) == "1" }

// HostPID is this process's ID as the host sees it (for nsenter --target), or 0.
func HostPID() int {
	if !Isolated() {
		return os.Getpid()
	}
	n, _ := strconv.Atoi(os.Getenv(hostPIDEnv))
	return n
}

// Leftovers lists the processes of this PID namespace other than the caller, as
// "pid command" lines, after reaping any that already exited (orphaned grandchildren are
// re-parented to the namespace's first process, which must collect them). Only meaningful
// when Isolated: the caller is then the namespace's init.
func Leftovers() []string {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			break
		}
	}
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue // gone meanwhile
		}
		out = append(out, e.Name()+" "+strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " ")))
	}
	return out
}
