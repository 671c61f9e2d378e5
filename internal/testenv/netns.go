package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// netnsEnv marks the re-executed child that already runs in its own network namespace.
const netnsEnv = "APPFLOWC_TESTENV_NETNS"

// Main runs run (a test binary's m.Run) inside a private network namespace that has only a
// loopback interface: Argo CD's application controller binds 0.0.0.0 with no flag to stop
// it, and Argo's controller fixes its health port at :6060, so a stack in the host
// namespace would be reachable from outside and could not run twice. The binaries are
// built first, while the network is still there; then the test binary re-executes itself
// in new namespaces (user + net, so no root is needed) and the tests, the stack and the
// CLI under test all run inside. Where namespaces are not allowed, it says so and runs on
// the host loopback instead.
func Main(run func() int) int {
	if os.Getenv(netnsEnv) == "1" {
		if err := loopbackUp(); err != nil {
			fmt.Fprintln(os.Stderr, "testenv: bring up loopback in the private network namespace:", err)
			return 2
		}
		return run()
	}
	if _, err := Binaries(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() != 0 {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Geteuid(), HostID: os.Geteuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}}
	}
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	fmt.Fprintf(os.Stderr, "testenv: no private network namespace here (%v); the stack runs on the host loopback\n", err)
	os.Setenv(netnsEnv, "host")
	return run()
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

// Isolated reports whether this process runs in the private network namespace.
func Isolated() bool { return os.Getenv(netnsEnv) == "1" }
