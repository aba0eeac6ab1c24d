package aiortctest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc/internal/netnstest"
)

// testTimeout bounds each test; the scripts' own -timeout is shorter.
const testTimeout = 90 * time.Second

// testContext fails the test unless it runs in the loopback-only
// namespace, and returns a context that ends before go test's -timeout.
func testContext(t *testing.T) context.Context {
	t.Helper()
	return netnstest.Context(t, testTimeout)
}

// example returns the path of the examples/name binary TestMain built.
func example(t *testing.T, name string) string {
	t.Helper()
	return netnstest.Example(t, name)
}

var (
	pythonOnce sync.Once
	pythonPath string
	pythonErr  error
)

// python returns an interpreter that can import aiortc: $CHANRTC_PYTHON,
// else python3 on PATH, else /usr/bin/python3 (where Debian's package
// puts it, when PATH leads to another Python first).
func python(t *testing.T) string {
	t.Helper()
	pythonOnce.Do(func() {
		candidates := []string{"python3", "/usr/bin/python3"}
		if p := os.Getenv("CHANRTC_PYTHON"); p != "" {
			candidates = []string{p}
		}
		var tried []string
		for _, c := range candidates {
			p, err := exec.LookPath(c)
			if err != nil {
				tried = append(tried, c+": not found")
				continue
			}
			out, err := exec.Command(p, "-c", "import aiortc; print(aiortc.__version__)").CombinedOutput()
			if err == nil {
				pythonPath = p
				return
			}
			tried = append(tried, p+": "+strings.TrimSpace(lastLine(string(out))))
		}
		pythonErr = errors.New("no Python with aiortc (" + strings.Join(tried, "; ") +
			"): apt-get install -y python3-aiortc")
	})
	if pythonErr != nil {
		t.Fatal(pythonErr)
	}
	return pythonPath
}

// pythonCommand runs script (one of this directory's) with aiortc's
// Python, and without writing __pycache__ into the source tree.
func pythonCommand(t *testing.T, script string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(python(t), append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	return cmd
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// process is a server the test started; it gets SIGTERM when the test
// ends and must then exit cleanly.
type process struct {
	name   string
	cmd    *exec.Cmd
	out    lockedBuffer // stdout and stderr
	exited chan error
	ready  bool
}

func startProcess(t *testing.T, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-p.exited:
			// Before it is ready, it may not handle SIGTERM yet.
			if err != nil && p.ready {
				t.Errorf("%s exit after SIGTERM: %v", name, err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-p.exited
			t.Errorf("%s still running 10 s after SIGTERM (killed)", name)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, tail(p.out.String(), 16<<10))
		}
	})
	return p
}

// waitReady polls ready until it reports true, the process exits, or ctx
// ends; the last two fail the test.
func (p *process) waitReady(t *testing.T, ctx context.Context, ready func() bool) {
	t.Helper()
	for !ready() {
		select {
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("%s exited before it was ready (%v):\n%s", p.name, err, p.out.String())
		case <-ctx.Done():
			t.Fatalf("%s not ready: %v\n%s", p.name, ctx.Err(), p.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	p.ready = true
}

// runClient runs a client to completion (bounded by ctx) and returns its
// stdout; it fails the test with the client's output if it exits non-zero.
func runClient(t *testing.T, ctx context.Context, name string, cmd *exec.Cmd) string {
	t.Helper()
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		err = ctx.Err()
	}
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		t.Fatalf("%s: %v after %v\nstdout:\n%s\nstderr:\n%s", name, err, took,
			tail(stdout.String(), 8<<10), tail(stderr.String(), 16<<10))
	}
	t.Logf("%s (%v): %s", name, took, strings.TrimSpace(stdout.String()))
	return stdout.String()
}

// lockedBuffer is a strings.Builder safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
