package flags

import (
	"flag"
	"io"
	"testing"

	"github.com/chanrtc/chanrtc"
)

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.9.9.9": true, "::1": true, "[::1]": true,
		"localhost": true, "LOCALHOST": true, "localhost.": true,
		"": false, "0.0.0.0": false, "192.168.1.2": false, "example.com": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestConfig(t *testing.T) {
	parse := func(args ...string) *ICE {
		t.Helper()
		var f ICE
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f.Register(fs, "-addr")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return &f
	}

	if cfg := parse().Config("127.0.0.1"); !cfg.LoopbackOnly || cfg.ICEServers != nil || cfg.ICETransportPolicy != chanrtc.ICETransportPolicyAll {
		t.Errorf("defaults on loopback: %+v", cfg)
	}
	if cfg := parse().Config("0.0.0.0"); cfg.LoopbackOnly {
		t.Error("LoopbackOnly on a wildcard address")
	}
	if cfg := parse("-loopback=false").Config("localhost"); cfg.LoopbackOnly {
		t.Error("-loopback=false ignored")
	}
	if cfg := parse("-loopback").Config("example.com"); !cfg.LoopbackOnly {
		t.Error("-loopback ignored")
	}
	cfg := parse("-ice-server", "stun:a:3478", "-ice-server", "turn:b:3478", "-ice-username", "u", "-ice-credential", "p", "-relay").Config("example.com")
	if len(cfg.ICEServers) != 1 || len(cfg.ICEServers[0].URLs) != 2 || cfg.ICEServers[0].Username != "u" ||
		cfg.ICEServers[0].Credential != "p" || cfg.ICETransportPolicy != chanrtc.ICETransportPolicyRelay {
		t.Errorf("ICE flags: %+v", cfg)
	}
}
