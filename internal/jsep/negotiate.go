package jsep

import (
	"slices"
	"strings"
)

// NegotiateMedia computes what one audio/video section agrees on between a
// remote section and our LocalMedia for the same mid. The caller pairs them
// by mid; BuildAnswer does the same computation for every section it
// answers, so the caller can learn the outcome without parsing the answer.
//
// As answerer, remote is the offered section: the result is what our answer
// says. As offerer, remote is the answer's section and local what we offered:
// the result is what was agreed. In both cases:
//
//   - Codecs are the remote codecs that match one of ours (same name, clock
//     rate and channels; for H.264 the same packetization-mode and profile,
//     for VP9 and AV1 the same profile), in the remote's order, with the
//     remote's payload type and fmtp. Feedback is the common set, in the
//     remote's order. RTX is kept, with the remote's payload type, only when
//     both sides have RTX for the codec. A "red" format is dropped when a
//     payload type its fmtp names is not among the results.
//   - Extensions are the remote's whose URI we support, with the remote's IDs
//     (one-byte IDs 1..14 only), with their direction seen from our side.
//   - Direction is ours: we send when we want to and the remote receives,
//     and the other way round (RFC 3264 6.1, RFC 8829 5.3.1).
//
// The result is false (the section is rejected) when the remote section is
// rejected or not an RTP audio/video section, the kinds differ, local is
// stopped, or no codec is common. Transport matters are not considered here:
// BuildAnswer also rejects sections that cannot share our one transport
// (see BuildAnswer).
func NegotiateMedia(remote Media, local LocalMedia) (NegotiatedMedia, bool) {
	if remote.Rejected || local.Stopped || !isRTPMedia(remote) || remote.Kind != local.Kind {
		return NegotiatedMedia{}, false
	}
	codecs := commonCodecs(remote.Codecs, local.Codecs, remote.Kind)
	if len(codecs) == 0 {
		return NegotiatedMedia{}, false
	}
	return NegotiatedMedia{
		MID:        remote.MID,
		Kind:       remote.Kind,
		Direction:  agreedDirection(remote.Direction, local.Direction),
		Codecs:     codecs,
		Extensions: commonExtensions(remote.Extensions, local.Extensions),
	}, true
}

// commonCodecs intersects codec lists, keeping the remote's order, payload
// types and parameters.
func commonCodecs(remote, local []Codec, kind string) []Codec {
	var out []Codec
	for _, rc := range remote {
		i := slices.IndexFunc(local, func(lc Codec) bool { return codecsMatch(rc, lc, kind) })
		if i < 0 || slices.ContainsFunc(out, func(c Codec) bool { return c.PayloadType == rc.PayloadType }) {
			continue
		}
		c := Codec{
			PayloadType: rc.PayloadType,
			Name:        rc.Name,
			ClockRate:   rc.ClockRate,
			Channels:    rc.Channels,
			Fmtp:        rc.Fmtp,
			Feedback:    commonFeedback(rc.Feedback, local[i].Feedback),
		}
		if rc.RTX != 0 && local[i].RTX != 0 {
			c.RTX = rc.RTX
		}
		out = append(out, c)
	}
	// RED (RFC 2198) lists the payload types it carries; without them it
	// is useless.
	var carried [128]bool
	for _, c := range out {
		if !strings.EqualFold(c.Name, "red") {
			carried[c.PayloadType&0x7f] = true
		}
	}
	return slices.DeleteFunc(out, func(c Codec) bool {
		if !strings.EqualFold(c.Name, "red") || c.Fmtp == "" {
			return false
		}
		for p := range strings.SplitSeq(c.Fmtp, "/") {
			if pt, ok := parsePayloadType(strings.TrimSpace(p)); !ok || !carried[pt] {
				return true
			}
		}
		return false
	})
}

// commonFeedback intersects rtcp-fb lists, matching case-insensitively and
// keeping our spelling, so that what is agreed is always what we offered
// (and what the rest of the code looks for, such as "nack").
func commonFeedback(remote, local []string) []string {
	var out []string
	for _, r := range remote {
		i := slices.IndexFunc(local, func(s string) bool { return strings.EqualFold(s, r) })
		if i >= 0 && !slices.Contains(out, local[i]) {
			out = append(out, local[i])
		}
	}
	return out
}

// commonExtensions intersects extension lists by URI with the remote's IDs.
// Directions are those of the remote section's writer and of us; the result
// carries ours, and extensions that end up inactive are left out.
func commonExtensions(remote, local []Extension) []Extension {
	var out []Extension
	for _, re := range remote {
		if re.ID < 1 || re.ID > 14 {
			continue // two-byte header IDs: we do not negotiate extmap-allow-mixed
		}
		i := slices.IndexFunc(local, func(le Extension) bool { return le.URI == re.URI })
		if i < 0 || slices.ContainsFunc(out, func(e Extension) bool { return e.ID == re.ID || e.URI == re.URI }) {
			continue
		}
		dir := agreedDirection(re.Direction, local[i].Direction)
		if dir == "inactive" {
			continue
		}
		if dir == "sendrecv" {
			dir = ""
		}
		out = append(out, Extension{ID: re.ID, URI: re.URI, Direction: dir})
	}
	return out
}

// agreedDirection is our direction given the remote's and the one we want
// ("" means sendrecv for both): we send when we want to and the remote
// receives, and receive when we want to and the remote sends.
func agreedDirection(remote, ours string) string {
	return direction(sends(ours) && receives(remote), receives(ours) && sends(remote))
}

func sends(d string) bool    { return d == "" || d == "sendrecv" || d == "sendonly" }
func receives(d string) bool { return d == "" || d == "sendrecv" || d == "recvonly" }

func direction(send, recv bool) string {
	switch {
	case send && recv:
		return "sendrecv"
	case send:
		return "sendonly"
	case recv:
		return "recvonly"
	}
	return "inactive"
}
