package jsep

import (
	"encoding/hex"
	"strings"
)

// fmtpParams splits an fmtp value "k1=v1;k2=v2" into lower-case keys and
// values. A part without '=' (telephone-event "0-15", red "111/111") becomes
// a key with an empty value.
func fmtpParams(fmtp string) map[string]string {
	params := make(map[string]string)
	for part := range strings.SplitSeq(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
			if _, dup := params[k]; !dup {
				params[k] = strings.TrimSpace(v)
			}
		}
	}
	return params
}

// codecsMatch reports whether a remote and a local codec are the same
// format, so that one side can send what the other receives (RFC 3264 6.1):
// same name (case-insensitive), clock rate and, for audio, channel count;
// plus the format parameters that change the bitstream.
func codecsMatch(remote, local Codec, kind string) bool {
	if !strings.EqualFold(remote.Name, local.Name) || strings.EqualFold(remote.Name, "rtx") || remote.ClockRate != local.ClockRate {
		return false
	}
	if kind == "audio" && channels(remote) != channels(local) {
		return false
	}
	switch strings.ToLower(remote.Name) {
	case "h264":
		return h264Match(fmtpParams(remote.Fmtp), fmtpParams(local.Fmtp))
	case "vp9":
		return paramOr(fmtpParams(remote.Fmtp), "profile-id", "0") == paramOr(fmtpParams(local.Fmtp), "profile-id", "0")
	case "av1":
		return paramOr(fmtpParams(remote.Fmtp), "profile", "0") == paramOr(fmtpParams(local.Fmtp), "profile", "0")
	}
	return true
}

// channels is the audio channel count, 1 when not given (RFC 4566 6).
func channels(c Codec) uint16 {
	if c.Channels == 0 {
		return 1
	}
	return c.Channels
}

func paramOr(params map[string]string, key, def string) string {
	if v, ok := params[key]; ok && v != "" {
		return v
	}
	return def
}

// h264Match compares two H.264 formats (RFC 6184 8.2.2): the packetization
// mode must be equal (absent means 0) and so must the profile. The level is
// not compared: each side states what it can receive.
func h264Match(remote, local map[string]string) bool {
	if paramOr(remote, "packetization-mode", "0") != paramOr(local, "packetization-mode", "0") {
		return false
	}
	rp, ok1 := h264ProfileOf(remote)
	lp, ok2 := h264ProfileOf(local)
	return ok1 && ok2 && rp == lp
}

// h264Profile names an H.264 profile as browsers group them.
type h264Profile int

const (
	h264ConstrainedBaseline h264Profile = iota + 1
	h264Baseline
	h264Main
	h264ConstrainedHigh
	h264High
	h264PredictiveHigh444
	h264Other // any other profile_idc; the value then carries the raw bytes
)

// h264ProfilePatterns is the table libwebrtc uses to map profile_idc and the
// profile-iop constraint flags to a profile, so that for example 42e01f,
// 42c01f and 4d401f all read as Constrained Baseline (RFC 6184 8.1 and
// H.264 A.2). Masks and values apply to profile-iop.
var h264ProfilePatterns = []struct {
	idc         byte
	mask, value byte
	profile     h264Profile
}{
	{0x42, 0x4f, 0x40, h264ConstrainedBaseline}, // x1xx0000
	{0x4d, 0x8f, 0x80, h264ConstrainedBaseline}, // 1xxx0000
	{0x58, 0xcf, 0xc0, h264ConstrainedBaseline}, // 11xx0000
	{0x42, 0x4f, 0x00, h264Baseline},            // x0xx0000
	{0x58, 0xcf, 0x80, h264Baseline},            // 10xx0000
	{0x4d, 0xaf, 0x00, h264Main},                // 0x0x0000
	{0x64, 0xff, 0x00, h264High},                // 00000000
	{0x64, 0xff, 0x0c, h264ConstrainedHigh},     // 00001100
	{0xf4, 0xff, 0x00, h264PredictiveHigh444},   // 00000000
}

// h264ProfileOf reads profile-level-id. Absent, it is Constrained Baseline,
// as libwebrtc assumes (RFC 6184 says Baseline; both decode the same
// streams from a WebRTC sender). Unknown combinations compare by their
// exact profile_idc and profile-iop bytes.
func h264ProfileOf(params map[string]string) (h264Profile, bool) {
	v, ok := params["profile-level-id"]
	if !ok {
		return h264ConstrainedBaseline, true
	}
	if len(v) != 6 {
		return 0, false
	}
	raw, err := hex.DecodeString(v)
	if err != nil {
		return 0, false
	}
	idc, iop := raw[0], raw[1]
	for _, p := range h264ProfilePatterns {
		if idc == p.idc && iop&p.mask == p.value {
			return p.profile, true
		}
	}
	return h264Other + h264Profile(idc)<<8 + h264Profile(iop)<<16, true
}
