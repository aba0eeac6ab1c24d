package aiortctest

// The network namespace, the build of the examples and the reaping of
// processes left behind follow browsertest/main_test.go (copied, trimmed).

import (
	"bytes"
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
	// envBinDir is the directory where the outer process built
	// examples/echo and examples/dial; envBuildErr says why it could not.
	envBinDir   = "CHANRTC_AIORTCTEST_BIN_DIR"
	envBuildErr = "CHANRTC_AIORTCTEST_BUILD_ERR"
)

// netnsErr is set inside the namespace when it is not loopback-only; every
// test fails with it rather than send traffic anywhere but 127.0.0.1.
var netnsErr error

func TestMain(m *testing.M) {
	if os.Getenv(envInNetns) == "" {
		os.Exit(reexecInNetns())
	}
	netnsErr = checkLoopbackOnly()
	// As a subreaper this process inherits anything its children leave
	// behind instead of init, and reaps it below.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	code := m.Run()
	if left := reapNamespace(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "aiortctest: processes left in the network namespace after the tests (killed): %s\n",
			strings.Join(left, "; "))
		if code == 0 {
			code = 1
		}
	}
	reapZombies()
	os.Exit(code)
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

// reexecInNetns runs this test binary again, with the same arguments,
// inside a new network namespace whose only interface is lo (brought up),
// and returns its exit code. Output streams through unchanged.
func reexecInNetns() int {
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
		fmt.Fprintf(os.Stderr, "FAIL: aiortctest runs its tests in a private network namespace and needs %s\n",
			strings.Join(missing, " and "))
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
		fmt.Fprintf(os.Stderr, "FAIL: aiortctest cannot make a private network namespace "+
			"(unshare %s sh -c 'ip link set lo up': %v)\n%s"+
			"Run the tests as root, or where unprivileged user namespaces are allowed; in a container, "+
			"allow unshare(2) and give it CAP_SYS_ADMIN and CAP_NET_ADMIN "+
			"(docker run --privileged, or --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined).\n",
			strings.Join(args, " "), err, out)
		return 1
	}

	env := append(os.Environ(), envInNetns+"=1")
	tmp, err := os.MkdirTemp("", "chanrtc-aiortctest-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// Build the examples out here, where the module proxy is reachable
	// should anything be missing from the module cache.
	if err := buildExamples(tmp); err != nil {
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

// buildExamples builds examples/echo and examples/dial into dir.
func buildExamples(dir string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, "build", "-o", dir+"/", "./examples/echo", "./examples/dial")
	cmd.Dir = ".." // the library module's root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./examples/echo ./examples/dial (in ..): %v\n%s", err, out)
	}
	return nil
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
// network namespace (a script, an example) and describes each. It does
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
		for _, p := range processes() {
			if p.pid == os.Getpid() || p.zombie {
				continue
			}
			if ns, err := os.Readlink("/proc/" + strconv.Itoa(p.pid) + "/ns/net"); err == nil && ns == self {
				pids = append(pids, p.pid)
				if time.Now().After(deadline) {
					left = append(left, fmt.Sprintf("%d %s", p.pid, p.cmdline))
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

type proc struct {
	pid     int
	zombie  bool
	cmdline string
}

// processes lists the processes in /proc.
func processes() []proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var ps []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p := proc{pid: pid}
		if stat, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
				p.zombie = stat[i+2] == 'Z' || stat[i+2] == 'X'
			}
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil {
			p.cmdline = strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")
			if len(p.cmdline) > 200 {
				p.cmdline = p.cmdline[:200] + "..."
			}
		}
		ps = append(ps, p)
	}
	return ps
}
