package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Scenarios that need separate processes run this same binary again with
// -child ROLE. Parent and child speak JSON lines: the parent writes to the
// child's stdin and reads its stdout; the child's stderr is kept and shown
// only if it fails.

// msg is one line of the parent/child protocol.
type msg struct {
	Op      string             `json:"op"` // offer, answer, result, stats, error
	SDP     string             `json:"sdp,omitempty"`
	Vals    map[string]float64 `json:"vals,omitempty"`
	Samples []float64          `json:"samples,omitempty"`
	Err     string             `json:"err,omitempty"`
}

// child is a running child process, seen from the parent.
type child struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan msg
	stderr *lockedBuffer
	waited bool
	cpu    float64 // user+system seconds, once exited
}

// startChild runs this binary as `-child role args...`.
func startChild(name string, args ...string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &child{name: name, cmd: cmd, stdin: stdin, lines: make(chan msg, 16), stderr: &lockedBuffer{}}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			var m msg
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = msg{Op: "error", Err: "bad line from child: " + sc.Text()}
			}
			c.lines <- m
		}
	}()
	return c, nil
}

func (c *child) send(m msg) error {
	b, _ := json.Marshal(m)
	_, err := c.stdin.Write(append(b, '\n'))
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// recv waits for the child's next message; an error message becomes an error.
func (c *child) recv(timeout time.Duration) (msg, error) {
	select {
	case m, ok := <-c.lines:
		if !ok {
			return msg{}, fmt.Errorf("%s exited early%s", c.name, c.tail())
		}
		if m.Op == "error" {
			return msg{}, fmt.Errorf("%s: %s%s", c.name, m.Err, c.tail())
		}
		return m, nil
	case <-time.After(timeout):
		return msg{}, fmt.Errorf("%s: no answer within %v%s", c.name, timeout, c.tail())
	}
}

// tail is the end of the child's stderr, to explain a failure.
func (c *child) tail() string {
	s := strings.TrimSpace(c.stderr.String())
	if s == "" {
		return ""
	}
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return "; stderr:\n" + s
}

// finish closes the child's stdin (telling it to close and exit), waits up
// to timeout, then kills it. It records the child's CPU time.
func (c *child) finish(timeout time.Duration) error {
	if c.waited {
		return nil
	}
	c.waited = true
	_ = c.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		_ = c.cmd.Process.Kill()
		<-done
		err = fmt.Errorf("%s did not exit within %v; killed", c.name, timeout)
	}
	if st := c.cmd.ProcessState; st != nil {
		c.cpu = (st.UserTime() + st.SystemTime()).Seconds()
	}
	for range c.lines { // drain so the reader goroutine ends
	}
	if err != nil {
		return fmt.Errorf("%s: %w%s", c.name, err, c.tail())
	}
	return nil
}

// kill ends a child that is no longer wanted (after a failure).
func (c *child) kill() {
	if c.waited {
		return
	}
	_ = c.cmd.Process.Kill()
	_ = c.finish(5 * time.Second)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 { // keep the child's chatter bounded
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// In the child: stdio is the link to the parent.

type parentLink struct {
	mu  sync.Mutex
	out *json.Encoder
	in  *bufio.Scanner
}

func newParentLink() *parentLink {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	return &parentLink{out: json.NewEncoder(os.Stdout), in: sc}
}

func (l *parentLink) send(m msg) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.out.Encode(m)
}

// recv reads the parent's next message; io.EOF once the parent closes stdin.
func (l *parentLink) recv() (msg, error) {
	if !l.in.Scan() {
		if err := l.in.Err(); err != nil {
			return msg{}, err
		}
		return msg{}, io.EOF
	}
	var m msg
	if err := json.Unmarshal(l.in.Bytes(), &m); err != nil {
		return msg{}, err
	}
	return m, nil
}

// fail reports err to the parent and exits.
func (l *parentLink) fail(err error) {
	l.send(msg{Op: "error", Err: err.Error()})
	os.Exit(1)
}

var errUnexpected = errors.New("unexpected message")
