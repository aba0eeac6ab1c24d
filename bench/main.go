// Command bench runs the same scenarios on chanrtc and on pion/webrtc v4,
// alternating between them round by round, and prints a table of both
// with the ratio chanrtc/pion.
//
//	cd bench && go run .            # every scenario, default rounds
//	go run . -quick                 # a smoke run of every scenario (< ~1 min)
//	go run . -only setup,media -rounds 5
//
// See README.md for what each scenario measures.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// options are the parent's settings for a run.
type options struct {
	rounds   int
	quick    bool
	duration time.Duration // of each throughput and media run
	parallel int           // pairs connecting at once in perconn and scale
}

type scenario struct {
	name string
	run  func(o options, r *results)
}

var scenarios = []scenario{
	{"setup", runSetup},
	{"throughput", runThroughput},
	{"media", runMedia},
	{"perconn", runPerConn},
	{"scale", runScale},
	{"size", runSize},
}

// childFlags are the flags a child process is started with.
type childFlags struct {
	role, impl, mode string
	size, count      int
	unordered        bool
	duration         time.Duration
	rate             float64
	pairs, parallel  int
}

func main() {
	var o options
	var only string
	var asJSON bool
	var cf childFlags
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every scenario on chanrtc, then on pion")
	flag.BoolVar(&o.quick, "quick", false, "a short smoke run of every scenario (1 round, short durations, small N, amd64 only)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each throughput and media run")
	flag.IntVar(&o.parallel, "parallel", 32, "connections being set up at once in perconn and scale")
	flag.StringVar(&only, "only", "", "comma-separated scenarios to run: "+scenarioNames())
	flag.BoolVar(&asJSON, "json", false, "print the results as JSON instead of a table")
	// Set only when this binary runs itself as a child process.
	flag.StringVar(&cf.role, "child", "", "internal: run as a child process in this role")
	flag.StringVar(&cf.impl, "impl", "", "internal: chanrtc or pion")
	flag.StringVar(&cf.mode, "mode", "", "internal: the offerer's scenario")
	flag.IntVar(&cf.size, "size", 0, "internal: message size")
	flag.IntVar(&cf.count, "count", 0, "internal: repetitions")
	flag.BoolVar(&cf.unordered, "unordered", false, "internal: unordered, MaxRetransmits 0")
	flag.DurationVar(&cf.duration, "d", 0, "internal: duration")
	flag.Float64Var(&cf.rate, "rate", 0, "internal: packets per second, 0 for flat out")
	flag.IntVar(&cf.pairs, "pairs", 0, "internal: PeerConnection pairs")
	flag.IntVar(&cf.parallel, "par", 0, "internal: pairs set up at once")
	flag.Parse()

	if cf.role != "" {
		runChild(cf)
		return
	}
	if o.quick {
		o.rounds = 1
		o.duration = time.Second
	}
	if o.rounds < 1 || o.duration <= 0 || o.parallel < 1 {
		fmt.Fprintln(os.Stderr, "bench: -rounds, -duration and -parallel must be positive")
		os.Exit(2)
	}
	selected, err := selectScenarios(only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}

	m := describeMachine()
	if !asJSON {
		fmt.Print(m)
		fmt.Printf("chanrtc: %s\npion:    %s\n", chanrtcSettings, pionSettings)
		fmt.Printf("rounds: %d, alternating chanrtc and pion in each round%s\n\n", o.rounds, map[bool]string{true: " (-quick)"}[o.quick])
	}
	r := &results{}
	start := time.Now()
	for _, s := range selected {
		t := time.Now()
		progress("== %s", s.name)
		s.run(o, r)
		progress("== %s done in %v", s.name, time.Since(t).Round(time.Second))
	}
	r.note("total time %v", time.Since(start).Round(time.Second))
	if asJSON {
		if err := printJSON(os.Stdout, m, r); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	printTable(os.Stdout, r)
}

func runChild(cf childFlags) {
	if dir := os.Getenv("BENCH_CPUPROFILE_DIR"); dir != "" {
		defer profileChild(dir, cf)()
	}
	switch cf.role {
	case "answer":
		answererChild(cf.impl)
	case "offer":
		offererChild(cf)
	case "conns":
		connsChild(cf)
	default:
		fmt.Fprintf(os.Stderr, "bench: unknown child role %q\n", cf.role)
		os.Exit(2)
	}
}

func offererChild(cf childFlags) {
	link := newParentLink()
	st, err := newStack(cf.impl)
	if err != nil {
		link.fail(err)
	}
	o := offerer{link: link, st: st}
	var res msg
	switch cf.mode {
	case "setup":
		res, err = o.setup(cf.count)
	case "dc":
		res, err = o.throughput(cf.size, cf.unordered, cf.duration)
	case "media":
		res, err = o.media(cf.rate, cf.duration)
	default:
		err = fmt.Errorf("unknown mode %q", cf.mode)
	}
	if err != nil {
		link.fail(err)
	}
	res.Op = "result"
	link.send(res)
	// Stay until the parent has what it needs from the answerer and
	// closes our stdin.
	_, _ = link.recv()
}

func scenarioNames() string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s.name)
	}
	return strings.Join(names, ",")
}

func selectScenarios(only string) ([]scenario, error) {
	if only == "" {
		return scenarios, nil
	}
	var out []scenario
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, s := range scenarios {
			if s.name == name {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("-only: unknown scenario %q (have %s)", name, scenarioNames())
		}
	}
	return out, nil
}

// progress tells what is running, on stderr, so stdout holds the table.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// machine describes where the figures were measured.
type machine struct {
	CPU     string `json:"cpu"`
	Cores   int    `json:"cores"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
	LoadAvg string `json:"loadavg"`
	Kernel  string `json:"kernel"`
}

func describeMachine() machine {
	m := machine{CPU: "unknown", Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	return m
}

func (m machine) String() string {
	return fmt.Sprintf("machine: %s, %d cores, %s %s/%s, kernel %s, load average at start %s\n",
		m.CPU, m.Cores, m.Go, m.OS, m.Arch, m.Kernel, m.LoadAvg)
}

// profileChild writes the child's CPU profile to dir/<role>.<impl>.cpu
// (each run of a scenario overwrites the last) and returns its stop.
func profileChild(dir string, cf childFlags) func() {
	f, err := os.Create(filepath.Join(dir, cf.role+"."+cf.impl+".cpu"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: cpu profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "bench: cpu profile:", err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
