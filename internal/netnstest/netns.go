//go:build linux

// Package netnstest runs a test binary's tests inside a private network
// namespace whose only interface is lo, so that their traffic (a browser's,
// another WebRTC stack's, the examples') cannot leave 127.0.0.1, and
// builds the library's examples for them first. browsertest and aiortctest
// call Main from their TestMain. Only test code imports it.
package netnstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment variables between the outer test process and the one it
// re-executes inside the network namespace.
const (
	// envInNetns marks the process that runs inside the private network
	// namespace (or on a host that has no interface but lo).
	envInNetns = "CHANRTC_IN_NETNS"
	// envBinDir is the directory where the outer process built the
	// examples; envBuildErr says why it could not.
	envBinDir   = "CHANRTC_NETNS_BIN_DIR"
	envBuildErr = "CHANRTC_NETNS_BUILD_ERR"
)

// netnsErr is set inside the namespace when it is not loopback-only; every
// test fails with it rather than send traffic anywhere but 127.0.0.1.
var netnsErr error

// Main is TestMain's body for the test module name. Outside the namespace
// it builds examples (paths relative to the library module's root, the
// test module's parent directory, such as "./examples/echo"), re-runs the
// test binary inside a new namespace and returns its exit code. Inside, it
// runs the tests and then kills and reaps whatever they left behind.
func Main(m *testing.M, name string, examples ...string) int {
	if os.Getenv(envInNetns) == "" {
		return reexecInNetns(name, examples)
	}
	netnsErr = checkLoopbackOnly()
	// Helper processes (a browser's) outlive their parent by a moment; as
	// a subreaper this process inherits them instead of init, and reaps
	// them below, so not even a zombie is left behind.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	code := m.Run()
	if left := reapNamespace(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "%s: processes left in the network namespace after the tests (killed): %s\n",
			name, strings.Join(left, "; "))
		if code == 0 {
			code = 1
		}
	}
	reapZombies()
	return code
}

// Context fails t unless it runs in the loopback-only namespace, and
// returns a context that ends after timeout, or a little before the test
// binary's own deadline, whichever is first (so that cleanup runs before
// go test's -timeout panics).
func Context(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	if netnsErr != nil {
		t.Fatal(netnsErr)
	}
	if dl, ok := t.Deadline(); ok {
		left := time.Until(dl)
		timeout = min(timeout, left-min(5*time.Second, left/4))
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// Example returns the path of the binary of the example Main built as
// examples/name, or fails t with why it is not there.
func Example(t testing.TB, name string) string {
	t.Helper()
	if msg := os.Getenv(envBuildErr); msg != "" {
		t.Fatalf("the examples could not be built:\n%s", msg)
	}
	dir := os.Getenv(envBinDir)
	if dir == "" {
		t.Fatalf("%s is not set: Main builds the examples before it re-runs the tests in the network namespace", envBinDir)
	}
	return filepath.Join(dir, name)
}

const prSetChildSubreaper = 36 // PR_SET_CHILD_SUBREAPER, linux/prctl.h

// reapZombies waits for every child that has exited. Run it only once no
// exec.Cmd is waiting for its own process.
func reapZombies() {
	for {
		var ws syscall.WaitStatus
		if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
			return
		}
	}
}

// buildExamples builds the examples into dir, from the library module's
// root.
func buildExamples(dir string, examples []string) error {
	if len(examples) == 0 {
		return nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, append([]string{"build", "-o", dir + "/"}, examples...)...)
	cmd.Dir = ".." // the library module's root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s (in ..): %v\n%s", strings.Join(examples, " "), err, out)
	}
	return nil
}

// reexecInNetns runs this test binary again, with the same arguments,
// inside a new network namespace whose only interface is lo (brought up),
// and returns its exit code. Output streams through unchanged.
func reexecInNetns(name string, examples []string) int {
	unshare, errU := exec.LookPath("unshare")
	ip, errIP := lookPathSbin("ip")
	if errU != nil || errIP != nil {
		var missing []string
		if errU != nil {
			missing = append(missing, "unshare (apt-get install -y util-linux)")
		}
		if errIP != nil {
			missing = append(missing, "ip (apt-get install -y iproute2)")
		}
		fmt.Fprintf(os.Stderr, "FAIL: %s runs its tests in a private network namespace and needs %s\n",
			name, strings.Join(missing, " and "))
		return 1
	}

	// unshare -n makes the namespace: root needs nothing more; anyone else
	// becomes root of a new user namespace with -r, where the kernel
	// allows it. unshare execs sh, sh execs the test binary, so the pid is
	// the same throughout and signals reach the tests directly.
	args := []string{"-n"}
	if os.Geteuid() != 0 {
		args = []string{"-r", "-n"}
	}
	setup := `PATH="$PATH:` + filepath.Dir(ip) + `" && ip link set lo up`
	// Probe first, so that a host where namespaces are not allowed gets a
	// message that says what to do.
	probe := exec.Command(unshare, append(slices.Clone(args), "sh", "-c", setup)...)
	if out, err := probe.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %s cannot make a private network namespace "+
			"(unshare %s sh -c 'ip link set lo up': %v)\n%s"+
			"Run the tests as root, or where unprivileged user namespaces are allowed; in a container, "+
			"allow unshare(2) and give it CAP_SYS_ADMIN and CAP_NET_ADMIN "+
			"(docker run --privileged, or --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined).\n",
			name, strings.Join(args, " "), err, out)
		return 1
	}

	env := append(os.Environ(), envInNetns+"=1")
	tmp, err := os.MkdirTemp("", "chanrtc-"+name+"-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// Build the examples out here, where the module proxy is reachable
	// should anything be missing from the module cache.
	if err := buildExamples(tmp, examples); err != nil {
		env = append(env, envBuildErr+"="+err.Error())
	} else {
		env = append(env, envBinDir+"="+tmp)
	}

	args = append(args, "sh", "-c", setup+` && exec "$0" "$@"`, os.Args[0])
	args = append(args, os.Args[1:]...)
	cmd := exec.Command(unshare, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	// If this process dies, so does the child (Pdeathsig follows the
	// thread that started it: keep this goroutine on its thread).
	runtime.LockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: starting %s: %v\n", unshare, err)
		return 1
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	signal.Stop(sigs)
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			fmt.Fprintf(os.Stderr, "FAIL: the test process in the network namespace died: %v\n", ws.Signal())
			return 128 + int(ws.Signal())
		}
		if c := ee.ExitCode(); c > 0 {
			return c // the tests' own verdict, already printed
		}
	}
	fmt.Fprintf(os.Stderr, "FAIL: running the tests in a network namespace (%s -n): %v\n", unshare, err)
	return 1
}

// lookPathSbin is exec.LookPath that also looks in the sbin directories,
// which are not on every user's PATH.
func lookPathSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// checkLoopbackOnly reports an error unless lo is the only network
// interface, and it is up.
func checkLoopbackOnly() error {
	ifs, err := net.Interfaces()
	if err != nil {
		return err
	}
	var names []string
	loUp := false
	for _, ifc := range ifs {
		names = append(names, ifc.Name)
		if ifc.Flags&net.FlagLoopback != 0 && ifc.Flags&net.FlagUp != 0 {
			loUp = true
		}
	}
	if len(ifs) != 1 || !loUp {
		return fmt.Errorf("%s is set but the interfaces are %v (want only lo, up): "+
			"unset it so that the tests re-run themselves in a private network namespace", envInNetns, names)
	}
	return nil
}

// reapNamespace kills every process other than this one that shares its
// network namespace (a browser, a script, an example) and describes each. It does
// nothing unless the namespace is the private one that reexecInNetns made
// for this process: not when CHANRTC_IN_NETNS was set by hand.
func reapNamespace() []string {
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return nil
	}
	if parent, err := os.Readlink("/proc/" + strconv.Itoa(os.Getppid()) + "/ns/net"); err != nil || parent == self {
		return nil
	}
	var left []string
	deadline := time.Now().Add(3 * time.Second)
	for {
		var pids []int
		for _, p := range Processes() {
			if p.PID == os.Getpid() || p.Zombie {
				continue
			}
			if ns, err := os.Readlink("/proc/" + strconv.Itoa(p.PID) + "/ns/net"); err == nil && ns == self {
				pids = append(pids, p.PID)
				if time.Now().After(deadline) {
					left = append(left, fmt.Sprintf("%d %s", p.PID, p.Cmdline))
				}
			}
		}
		if len(pids) == 0 {
			return left
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			time.Sleep(100 * time.Millisecond)
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Proc is a process as /proc shows it.
type Proc struct {
	PID     int
	Zombie  bool
	Cmdline string // the arguments joined, cut at 200 bytes
	Args    []string
}

// Processes lists the processes in /proc.
func Processes() []Proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var ps []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p := Proc{PID: pid}
		if stat, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
				p.Zombie = stat[i+2] == 'Z' || stat[i+2] == 'X'
			}
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil {
			p.Args = strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
			p.Cmdline = strings.Join(p.Args, " ")
			if len(p.Cmdline) > 200 {
				p.Cmdline = p.Cmdline[:200] + "..."
			}
		}
		ps = append(ps, p)
	}
	return ps
}
