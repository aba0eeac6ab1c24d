// Package flags holds the command-line flags that examples/echo and
// examples/dial share: the ICE server options and the -loopback switch.
package flags

import (
	"flag"
	"net"
	"strconv"
	"strings"

	"github.com/chanrtc/chanrtc"
)

// ICE is the ICE part of an example's command line.
type ICE struct {
	Servers    []string // -ice-server, repeatable: stun: or turn: URIs
	Username   string   // -ice-username (TURN)
	Credential string   // -ice-credential (TURN)
	Relay      bool     // -relay: relay candidates only
	Loopback   OptionalBool
}

// Register defines -ice-server, -ice-username, -ice-credential, -relay and
// -loopback on fs. loopbackDefault says what the default of -loopback is
// derived from, for the usage text.
func (f *ICE) Register(fs *flag.FlagSet, loopbackDefault string) {
	fs.Func("ice-server", "STUN or TURN server `URI` (stun:host:port, turn:host:port?transport=udp); repeatable", func(s string) error {
		f.Servers = append(f.Servers, s)
		return nil
	})
	fs.StringVar(&f.Username, "ice-username", "", "TURN username")
	fs.StringVar(&f.Credential, "ice-credential", "", "TURN credential")
	fs.BoolVar(&f.Relay, "relay", false, "use relay (TURN) candidates only")
	fs.Var(&f.Loopback, "loopback", "gather only 127.0.0.1 host candidates (plus relays); default: true iff "+loopbackDefault+" is a loopback address")
}

// Config returns the chanrtc configuration these flags describe. host is
// the HTTP host (of -addr or -url) that decides -loopback when it was not
// given.
func (f *ICE) Config(host string) chanrtc.Config {
	var cfg chanrtc.Config
	if len(f.Servers) > 0 {
		cfg.ICEServers = []chanrtc.ICEServer{{URLs: f.Servers, Username: f.Username, Credential: f.Credential}}
	}
	if f.Relay {
		cfg.ICETransportPolicy = chanrtc.ICETransportPolicyRelay
	}
	cfg.LoopbackOnly = f.Loopback.Or(IsLoopbackHost(host))
	return cfg
}

// IsLoopbackHost reports whether host (a name or an IP, without port) is
// "localhost" or a loopback address.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OptionalBool is a boolean flag that remembers whether it was given, so
// its default can depend on other flags.
type OptionalBool struct {
	value, given bool
}

// Or returns the flag's value if it was given, else def.
func (b *OptionalBool) Or(def bool) bool {
	if b.given {
		return b.value
	}
	return def
}

// String implements flag.Value.
func (b *OptionalBool) String() string {
	if b == nil || !b.given {
		return "auto"
	}
	return strconv.FormatBool(b.value)
}

// Set implements flag.Value.
func (b *OptionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.value, b.given = v, true
	return nil
}

// IsBoolFlag lets -loopback stand alone, as a bool flag does.
func (b *OptionalBool) IsBoolFlag() bool { return true }
