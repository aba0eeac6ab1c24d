package jsep

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// mediaOut is one audio/video section we write, offered or answered.
type mediaOut struct {
	kind, mid, direction string
	protos               []string
	codecs               []Codec
	exts                 []Extension
	rsize                bool        // write a=rtcp-rsize
	local                *LocalMedia // sending side: SSRCs, CNAME, msid
}

// mediaSection writes an accepted or offered audio/video section. Values are
// checked again here since in answers they come from the remote side.
func mediaSection(out mediaOut, tr *ourTransport, withCandidates bool) (*sdp.MediaDescription, error) {
	where := func(err error) error {
		return fmt.Errorf("%w: %s section (mid %q): %w", ErrInvalidSDP, out.kind, clip(out.mid), err)
	}
	if len(out.codecs) == 0 {
		return nil, where(fmt.Errorf("no codec"))
	}
	if err := checkCodecs(out.codecs); err != nil {
		return nil, where(err)
	}
	if err := checkExtensions(out.exts); err != nil {
		return nil, where(err)
	}
	md := &sdp.MediaDescription{
		MediaName: sdp.MediaName{
			Media:   out.kind,
			Port:    sdp.RangedPort{Value: 9},
			Protos:  slices.Clone(out.protos),
			Formats: formats(out.codecs),
		},
		ConnectionInformation: anyAddress(),
	}
	add(md, "rtcp", "9 IN IP4 0.0.0.0")
	tr.addTransport(md)
	if out.mid != "" {
		add(md, "mid", out.mid)
	}
	for _, e := range out.exts {
		id := strconv.Itoa(e.ID)
		if e.Direction != "" && e.Direction != "sendrecv" {
			id += "/" + e.Direction
		}
		add(md, "extmap", id+" "+e.URI)
	}
	md.Attributes = append(md.Attributes, sdp.NewPropertyAttribute(out.direction))
	lm := out.local
	sending := sends(out.direction) && lm != nil
	if sending {
		if msid := msidValue(*lm); msid != "" {
			add(md, "msid", msid)
		}
	}
	md.Attributes = append(md.Attributes, sdp.NewPropertyAttribute("rtcp-mux"))
	if out.rsize {
		md.Attributes = append(md.Attributes, sdp.NewPropertyAttribute("rtcp-rsize"))
	}
	for _, c := range out.codecs {
		pt := strconv.Itoa(int(c.PayloadType))
		enc := c.Name + "/" + strconv.FormatUint(uint64(c.ClockRate), 10)
		if c.Channels > 0 {
			enc += "/" + strconv.Itoa(int(c.Channels))
		}
		add(md, "rtpmap", pt+" "+enc)
		for _, fb := range c.Feedback {
			add(md, "rtcp-fb", pt+" "+fb)
		}
		if c.Fmtp != "" {
			add(md, "fmtp", pt+" "+c.Fmtp)
		}
		if c.RTX != 0 {
			rtx := strconv.Itoa(int(c.RTX))
			add(md, "rtpmap", rtx+" rtx/"+strconv.FormatUint(uint64(c.ClockRate), 10))
			add(md, "fmtp", rtx+" apt="+pt)
		}
	}
	if sending && lm.SSRC != 0 {
		writeSSRCs(md, *lm, slices.ContainsFunc(out.codecs, func(c Codec) bool { return c.RTX != 0 }))
	}
	if withCandidates {
		tr.addCandidates(md)
	}
	return md, nil
}

// formats is the format list of an m= line: each codec followed by its RTX.
func formats(codecs []Codec) []string {
	var f []string
	for _, c := range codecs {
		f = append(f, strconv.Itoa(int(c.PayloadType)))
		if c.RTX != 0 {
			f = append(f, strconv.Itoa(int(c.RTX)))
		}
	}
	return f
}

// msidValue is "<stream> <track>" for a=msid (RFC 8830), "-" standing for
// no stream; "" when we have neither.
func msidValue(lm LocalMedia) string {
	if lm.StreamID == "" && lm.TrackID == "" {
		return ""
	}
	v := lm.StreamID
	if v == "" {
		v = "-"
	}
	if lm.TrackID != "" {
		v += " " + lm.TrackID
	}
	return v
}

// writeSSRCs writes a=ssrc-group:FID (when RTX is in use) and the cname and
// msid of each source (RFC 5576).
func writeSSRCs(md *sdp.MediaDescription, lm LocalMedia, rtx bool) {
	ssrcs := []uint32{lm.SSRC}
	if rtx && lm.RTXSSRC != 0 {
		ssrcs = append(ssrcs, lm.RTXSSRC)
		add(md, "ssrc-group", fmt.Sprintf("FID %d %d", lm.SSRC, lm.RTXSSRC))
	}
	msid := msidValue(lm)
	for _, s := range ssrcs {
		id := strconv.FormatUint(uint64(s), 10)
		add(md, "ssrc", id+" cname:"+lm.CNAME)
		if msid != "" {
			add(md, "ssrc", id+" msid:"+msid)
		}
	}
}

// stoppedSection is the port 0 section of a stopped transceiver in an offer.
func stoppedSection(lm LocalMedia) *sdp.MediaDescription {
	f := formats(lm.Codecs)
	if len(f) == 0 {
		f = []string{"0"} // an m= line needs a format, even when rejected
	}
	md := &sdp.MediaDescription{
		MediaName: sdp.MediaName{
			Media:   lm.Kind,
			Port:    sdp.RangedPort{Value: 0},
			Protos:  slices.Clone(offerProtos),
			Formats: f,
		},
		ConnectionInformation: anyAddress(),
	}
	add(md, "mid", lm.MID)
	return md
}

// wantedDirection maps LocalMedia.Direction to what an offer says.
func wantedDirection(d string) string {
	if d == "" {
		return "sendrecv"
	}
	return d
}

// checkLocalMedia checks one of our transceivers. In offers the mid must be
// a token and a live section needs a codec; in answers the mid may be empty
// (it then answers a remote section without a mid).
func checkLocalMedia(lm LocalMedia, offer bool) error {
	err := func() error {
		if (offer || lm.MID != "") && !isToken(lm.MID) {
			return fmt.Errorf("mid is not a token")
		}
		if lm.Kind != "audio" && lm.Kind != "video" {
			return fmt.Errorf("kind %q is not audio or video", clip(lm.Kind))
		}
		if lm.Direction != "" && !isDirection(lm.Direction) {
			return fmt.Errorf("direction %q is not sendrecv, sendonly, recvonly or inactive", clip(lm.Direction))
		}
		if offer && !lm.Stopped && len(lm.Codecs) == 0 {
			return fmt.Errorf("no codec")
		}
		if err := checkCodecs(lm.Codecs); err != nil {
			return err
		}
		if err := checkExtensions(lm.Extensions); err != nil {
			return err
		}
		if lm.SSRC != 0 && !isCNAME(lm.CNAME) {
			return fmt.Errorf("CNAME %q is not 1 to 255 visible ASCII characters", clip(lm.CNAME))
		}
		if lm.RTXSSRC != 0 && (lm.SSRC == 0 || lm.RTXSSRC == lm.SSRC) {
			return fmt.Errorf("RTX SSRC %d needs a different primary SSRC", lm.RTXSSRC)
		}
		for _, id := range []string{lm.StreamID, lm.TrackID} {
			if id != "" && !isMSIDToken(id) {
				return fmt.Errorf("msid %q is not 1 to 64 token characters", clip(id))
			}
		}
		return nil
	}()
	if err != nil {
		return fmt.Errorf("%w: local media (mid %q): %w", ErrInvalidSDP, clip(lm.MID), err)
	}
	return nil
}

// checkCodecs checks codecs we are about to write: payload types in range
// and unique (RTX included), names that are tokens, values without line
// breaks.
func checkCodecs(codecs []Codec) error {
	if len(codecs) > maxCodecs {
		return fmt.Errorf("%d codecs, limit %d", len(codecs), maxCodecs)
	}
	var used [128]bool
	use := func(pt uint8) error {
		if pt > 127 {
			return fmt.Errorf("payload type %d is not 0..127", pt)
		}
		if used[pt] {
			return fmt.Errorf("payload type %d is used twice", pt)
		}
		used[pt] = true
		return nil
	}
	for _, c := range codecs {
		if err := use(c.PayloadType); err != nil {
			return err
		}
		if !isToken(c.Name) || strings.EqualFold(c.Name, "rtx") || c.ClockRate == 0 {
			return fmt.Errorf("payload type %d: %q/%d is not a codec name and clock rate", c.PayloadType, clip(c.Name), c.ClockRate)
		}
		if c.Fmtp != "" && !isSafeValue(c.Fmtp) {
			return fmt.Errorf("payload type %d: fmtp %q cannot be written", c.PayloadType, clip(c.Fmtp))
		}
		if len(c.Feedback) > maxFeedback {
			return fmt.Errorf("payload type %d: %d feedback values, limit %d", c.PayloadType, len(c.Feedback), maxFeedback)
		}
		for _, fb := range c.Feedback {
			if !isSafeValue(fb) {
				return fmt.Errorf("payload type %d: feedback %q cannot be written", c.PayloadType, clip(fb))
			}
		}
		if c.RTX != 0 {
			if err := use(c.RTX); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkExtensions checks extensions we are about to write: one-byte header
// IDs (we do not offer a=extmap-allow-mixed), unique IDs and URIs.
func checkExtensions(exts []Extension) error {
	if len(exts) > maxExtensions {
		return fmt.Errorf("%d extensions, limit %d", len(exts), maxExtensions)
	}
	for i, e := range exts {
		if e.ID < 1 || e.ID > 14 {
			return fmt.Errorf("extension ID %d is not 1..14", e.ID)
		}
		if !isSafeValue(e.URI) || strings.ContainsAny(e.URI, " \t") {
			return fmt.Errorf("extension URI %q cannot be written", clip(e.URI))
		}
		if e.Direction != "" && !isDirection(e.Direction) {
			return fmt.Errorf("extension direction %q is not a direction", clip(e.Direction))
		}
		for _, o := range exts[:i] {
			if o.ID == e.ID || o.URI == e.URI {
				return fmt.Errorf("extension ID %d or URI %q is used twice", e.ID, clip(e.URI))
			}
		}
	}
	return nil
}
