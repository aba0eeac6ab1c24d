package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// size: the minimal programs under minimal/ (a DataChannel echo and an
// RTP echo, the same program written for each stack), built with
// -trimpath -ldflags='-s -w' and CGO_ENABLED=0 for four Linux targets.
// chanrtc is also built with the build tags that leave a feature out,
// where the library has them; pion has no such tags, so its row compares
// against pion's one build.

type buildTarget struct{ goos, goarch, goarm string }

func (t buildTarget) String() string {
	s := t.goos + "/" + t.goarch
	if t.goarm != "" {
		s += " GOARM=" + t.goarm
	}
	return s
}

var buildTargets = []buildTarget{
	{"linux", "amd64", ""},
	{"linux", "arm64", ""},
	{"linux", "arm", "7"},
	{"linux", "riscv64", ""},
}

type minimalProgram struct {
	name    string
	chanrtc string
	pion    string
	tags    []string // chanrtc build tags that leave the other feature out
}

var minimalPrograms = []minimalProgram{
	{"DataChannel echo", "./minimal/chanrtc-dc", "./minimal/pion-dc", []string{"chanrtc_nomedia"}},
	{"media echo", "./minimal/chanrtc-media", "./minimal/pion-media", []string{"chanrtc_nodatachannel"}},
}

func runSize(o options, r *results) {
	if _, err := os.Stat("minimal"); err != nil {
		r.note("size: skipped, run from the bench directory (no ./minimal here)")
		return
	}
	tmp, err := os.MkdirTemp("", "chanrtc-bench-size")
	if err != nil {
		r.note("size: %v", err)
		return
	}
	defer os.RemoveAll(tmp)
	targets := buildTargets
	if o.quick {
		targets = []buildTarget{{runtime.GOOS, runtime.GOARCH, ""}}
		r.note("size (-quick): host target only, built without -trimpath and with the default CGO_ENABLED so that the build cache of `go run` serves it; sizes are indicative")
	}
	// Only the tags that change which files are compiled.
	tags := map[string][]string{}
	for _, p := range minimalPrograms {
		for _, tag := range p.tags {
			if tagMatters(p.chanrtc, tag) {
				tags[p.name] = append(tags[p.name], tag)
			} else {
				r.note("size: -tags %s selects no other file of chanrtc in this version; %s not built with it", tag, p.name)
			}
		}
	}
	// Sizes are deterministic: one build each, whatever -rounds says.
	for _, t := range targets {
		for _, p := range minimalPrograms {
			progress("size %s %s", t, p.name)
			metric := fmt.Sprintf("%s %s (MB)", p.name, t)
			pionSize, err := buildSize(tmp, t, p.pion, "", o.quick)
			if err != nil {
				r.note("size: pion %s %s: %v", p.name, t, err)
			} else {
				r.add("size", metric, "pion", pionSize)
			}
			plain, err := buildSize(tmp, t, p.chanrtc, "", o.quick)
			if err != nil {
				r.note("size: chanrtc %s %s: %v", p.name, t, err)
			} else {
				r.add("size", metric, "chanrtc", plain)
			}
			for _, tag := range tags[p.name] {
				s, err := buildSize(tmp, t, p.chanrtc, tag, o.quick)
				if err != nil {
					r.note("size: chanrtc %s %s -tags %s does not build (skipped): %v", p.name, t, tag, err)
					continue
				}
				m := fmt.Sprintf("%s %s, chanrtc -tags %s (MB)", p.name, t, tag)
				r.add("size", m, "chanrtc", s)
				if pionSize > 0 {
					r.add("size", m, "pion", pionSize)
				}
			}
		}
	}
	if !o.quick {
		r.note("size: go build -trimpath -ldflags='-s -w', CGO_ENABLED=0; MB = 10^6 bytes; programs in bench/minimal")
	}
}

// tagMatters reports whether building pkg with tag compiles a different
// set of files (so whether the library has the tag at all).
func tagMatters(pkg, tag string) bool {
	files := func(tags ...string) string {
		args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{.GoFiles}}"}, tags...)
		out, err := exec.Command("go", append(args, pkg)...).Output()
		if err != nil {
			return "error: " + err.Error() + strings.Join(tags, " ")
		}
		return string(out)
	}
	return files() != files("-tags", tag)
}

// buildSize builds pkg for t (with tag, if any) and returns its size in
// MB. cheap keeps the host's settings, to reuse the build cache.
func buildSize(dir string, t buildTarget, pkg, tag string, cheap bool) (float64, error) {
	out := filepath.Join(dir, "bin")
	args := []string{"build", "-ldflags=-s -w", "-o", out}
	if !cheap {
		args = append(args, "-trimpath")
	}
	if tag != "" {
		args = append(args, "-tags", tag)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if !cheap {
		cmd.Env = append(cmd.Env, "CGO_ENABLED=0", "GOOS="+t.goos, "GOARCH="+t.goarch, "GOARM="+t.goarm)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		msg := strings.TrimSpace(string(b))
		if i := strings.IndexByte(msg, '\n'); i > 0 && len(msg) > 300 {
			msg = msg[:i]
		}
		return 0, fmt.Errorf("%w: %s", err, msg)
	}
	st, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	defer os.Remove(out)
	return float64(st.Size()) / 1e6, nil
}
