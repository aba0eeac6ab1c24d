package ogg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc/codec/opus"
)

// opus20 is a valid 20 ms Opus packet (CELT FB, code 0) of n bytes.
func opus20(n int, fill byte) []byte {
	p := bytes.Repeat([]byte{fill}, n)
	p[0] = 0xfc
	return p
}

// rawStream returns a Writer with no headers written, to build streams
// page by page.
func rawStream(buf *bytes.Buffer, serial uint32) *Writer {
	return &Writer{w: buf, serial: serial}
}

// headers writes a standard OpusHead and OpusTags.
func headers(w *Writer) {
	w.writePacket(appendHead(nil, 2, 312, 48000), 0, flagBOS)
	w.writePacket(appendTags(nil, "test"), 0, 0)
}

// pageInfo is what a test needs to know about a page.
type pageInfo struct {
	flags   byte
	granule uint64
	serial  uint32
	seq     uint32
	lacing  []byte
	offset  int // of the page in the stream
}

// pages splits a well-formed stream into pages.
func pages(t *testing.T, b []byte) []pageInfo {
	t.Helper()
	var ps []pageInfo
	for off := 0; off < len(b); {
		h := b[off:]
		if len(h) < headerSize || string(h[:4]) != capturePattern {
			t.Fatalf("no page at offset %d", off)
		}
		n := int(h[26])
		lacing := h[headerSize : headerSize+n]
		size := 0
		for _, l := range lacing {
			size += int(l)
		}
		ps = append(ps, pageInfo{
			flags:   h[5],
			granule: binary.LittleEndian.Uint64(h[6:]),
			serial:  binary.LittleEndian.Uint32(h[14:]),
			seq:     binary.LittleEndian.Uint32(h[18:]),
			lacing:  lacing,
			offset:  off,
		})
		off += headerSize + n + size
	}
	return ps
}

// readAll reads every packet until an error, which it returns (io.EOF at
// a clean end).
func readAll(r *Reader) (pkts [][]byte, granules []uint64, err error) {
	for {
		p, g, err := r.ReadPacket()
		if err != nil {
			return pkts, granules, err
		}
		pkts = append(pkts, p)
		granules = append(granules, g)
	}
}

func TestCRC(t *testing.T) {
	// The check value of this CRC-32 variant (poly 0x04c11db7, init 0,
	// unreflected, no final XOR) over "123456789".
	if got := crcUpdate(0, []byte("123456789")); got != 0x89a1897f {
		t.Fatalf("crc = %#x, want 0x89a1897f", got)
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, 2, 312, 44100)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	var wantGranules []uint64
	for i := range 60 {
		size := 1 + i*17%1400 // 1 .. 1400 bytes: one to six segments
		p := opus20(size, byte(i))
		g := uint64(312 + 960*(i+1))
		if err := w.WritePacket(p, g); err != nil {
			t.Fatal(err)
		}
		want = append(want, bytes.Clone(p))
		clear(p) // the Writer must have copied it
		wantGranules = append(wantGranules, g)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.WritePacket(opus20(3, 0), 1e6); !errors.Is(err, ErrClosed) {
		t.Fatalf("WritePacket after Close: %v, want ErrClosed", err)
	}

	ps := pages(t, buf.Bytes())
	if len(ps) != 62 {
		t.Fatalf("%d pages, want 62 (2 headers + one per packet)", len(ps))
	}
	for i, p := range ps {
		wantFlags := byte(0)
		switch i {
		case 0:
			wantFlags = flagBOS
		case len(ps) - 1:
			wantFlags = flagEOS
		}
		if p.flags != wantFlags || p.seq != uint32(i) || p.serial != ps[0].serial {
			t.Errorf("page %d: flags %#x seq %d serial %#x; want flags %#x seq %d serial %#x",
				i, p.flags, p.seq, p.serial, wantFlags, i, ps[0].serial)
		}
	}

	r, err := NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	wantHead := Head{Version: 1, Channels: 2, PreSkip: 312, InputSampleRate: 44100, StreamCount: 1, CoupledCount: 1}
	if h := r.Head(); h.Version != wantHead.Version || h.Channels != 2 || h.PreSkip != 312 ||
		h.InputSampleRate != 44100 || h.OutputGain != 0 || h.MappingFamily != 0 ||
		h.StreamCount != 1 || h.CoupledCount != 1 || h.ChannelMapping != nil {
		t.Errorf("Head = %+v, want %+v", h, wantHead)
	}
	if tags := r.Tags(); tags.Vendor != "chanrtc" || len(tags.Comments) != 0 || tags.Truncated {
		t.Errorf("Tags = %+v", tags)
	}
	got, granules, err := readAll(r)
	if err != io.EOF {
		t.Fatalf("read: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d packets, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) || granules[i] != wantGranules[i] {
			t.Errorf("packet %d: %d bytes granule %d; want %d bytes granule %d",
				i, len(got[i]), granules[i], len(want[i]), wantGranules[i])
		}
	}
	if _, _, err := r.ReadPacket(); err != io.EOF {
		t.Errorf("ReadPacket after the end: %v, want io.EOF", err)
	}
}

func TestCorruption(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, 1, 0, 0)
	for i := range 5 {
		w.WritePacket(opus20(100, byte(i)), uint64(960*(i+1)))
	}
	w.Close()
	good := buf.Bytes()
	ps := pages(t, good)

	t.Run("audio page", func(t *testing.T) {
		b := bytes.Clone(good)
		b[ps[4].offset+headerSize+10] ^= 0x01 // a body byte of the third audio page
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		pkts, _, err := readAll(r)
		if !errors.Is(err, ErrBadCRC) || len(pkts) != 2 {
			t.Fatalf("read %d packets then %v; want 2 then ErrBadCRC", len(pkts), err)
		}
		if _, _, err2 := r.ReadPacket(); !errors.Is(err2, ErrBadCRC) {
			t.Errorf("error not sticky: %v", err2)
		}
	})
	t.Run("head page", func(t *testing.T) {
		b := bytes.Clone(good)
		b[headerSize+1+9] ^= 0x01 // channel count
		if _, err := NewReader(bytes.NewReader(b)); !errors.Is(err, ErrBadCRC) {
			t.Fatalf("NewReader: %v, want ErrBadCRC", err)
		}
	})
	t.Run("granule", func(t *testing.T) {
		b := bytes.Clone(good)
		b[ps[3].offset+6] ^= 0x80 // the header is covered too
		r, _ := NewReader(bytes.NewReader(b))
		if _, _, err := readAll(r); !errors.Is(err, ErrBadCRC) {
			t.Fatalf("read: %v, want ErrBadCRC", err)
		}
	})
	t.Run("capture pattern", func(t *testing.T) {
		b := bytes.Clone(good)
		b[ps[3].offset] = 'o'
		r, _ := NewReader(bytes.NewReader(b))
		if _, _, err := readAll(r); !errors.Is(err, ErrInvalid) {
			t.Fatalf("read: %v, want ErrInvalid", err)
		}
	})
	t.Run("version", func(t *testing.T) {
		b := bytes.Clone(good)
		b[ps[3].offset+4] = 1
		r, _ := NewReader(bytes.NewReader(b))
		if _, _, err := readAll(r); !errors.Is(err, ErrInvalid) {
			t.Fatalf("read: %v, want ErrInvalid", err)
		}
	})
	t.Run("truncated inside a page", func(t *testing.T) {
		r, _ := NewReader(bytes.NewReader(good[:ps[4].offset+40]))
		pkts, _, err := readAll(r)
		if err != io.ErrUnexpectedEOF || len(pkts) != 2 {
			t.Fatalf("read %d then %v; want 2 then io.ErrUnexpectedEOF", len(pkts), err)
		}
	})
	t.Run("truncated at a page boundary", func(t *testing.T) {
		r, _ := NewReader(bytes.NewReader(good[:ps[4].offset]))
		pkts, _, err := readAll(r)
		if err != io.EOF || len(pkts) != 2 {
			t.Fatalf("read %d then %v; want 2 then io.EOF", len(pkts), err)
		}
	})
	t.Run("lost page", func(t *testing.T) {
		b := append(bytes.Clone(good[:ps[3].offset]), good[ps[4].offset:]...)
		r, _ := NewReader(bytes.NewReader(b))
		pkts, _, err := readAll(r)
		if !errors.Is(err, ErrInvalid) || len(pkts) != 1 {
			t.Fatalf("read %d then %v; want 1 then ErrInvalid", len(pkts), err)
		}
	})
	t.Run("every byte", func(t *testing.T) {
		// Flipping any bit anywhere is caught, and never panics.
		for i := range good {
			b := bytes.Clone(good)
			b[i] ^= 0x10
			r, err := NewReader(bytes.NewReader(b))
			if err != nil {
				continue
			}
			if _, _, err := readAll(r); err == io.EOF {
				t.Errorf("flipping byte %d went unnoticed", i)
			}
		}
	})
}

func TestLacing(t *testing.T) {
	tests := []struct {
		size       int
		wantLacing [][]byte // per page
	}{
		{1, [][]byte{{1}}},
		{254, [][]byte{{254}}},
		{255, [][]byte{{255, 0}}},
		{510, [][]byte{{255, 255, 0}}},
		{1000, [][]byte{{255, 255, 255, 235}}},
		{254 * 255, [][]byte{append(bytes.Repeat([]byte{255}, 254), 0)}},
		{255*255 - 1, [][]byte{append(bytes.Repeat([]byte{255}, 254), 254)}},
		{255 * 255, [][]byte{bytes.Repeat([]byte{255}, 255), {0}}},
		{MaxPacketSize, [][]byte{bytes.Repeat([]byte{255}, 255), {255, 255, 1}}},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, 2, 0, 0)
		p := opus20(tc.size, 0x42)
		p[len(p)-1] = 0x99
		if err := w.WritePacket(p, 960); err != nil {
			t.Fatalf("%d bytes: %v", tc.size, err)
		}
		w.Close()
		ps := pages(t, buf.Bytes())[2:]
		if len(ps) != len(tc.wantLacing) {
			t.Fatalf("%d bytes: %d pages, want %d", tc.size, len(ps), len(tc.wantLacing))
		}
		for i, pg := range ps {
			if !bytes.Equal(pg.lacing, tc.wantLacing[i]) {
				t.Errorf("%d bytes: page %d lacing %v, want %v", tc.size, i, pg.lacing, tc.wantLacing[i])
			}
			last := i == len(ps)-1
			if (pg.flags&flagContinued != 0) != (i > 0) || (pg.flags&flagEOS != 0) != last ||
				(pg.granule == noGranule) == last {
				t.Errorf("%d bytes: page %d flags %#x granule %d", tc.size, i, pg.flags, pg.granule)
			}
		}
		r, err := NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, g, err := r.ReadPacket()
		if err != nil || !bytes.Equal(got, p) || g != 960 {
			t.Fatalf("%d bytes: read %d bytes granule %d, %v", tc.size, len(got), g, err)
		}
		if _, _, err := r.ReadPacket(); err != io.EOF {
			t.Fatalf("%d bytes: then %v, want io.EOF", tc.size, err)
		}
	}
}

func TestPacketAcrossPages(t *testing.T) {
	// A 1000-byte packet laced over three pages (255 | 255 255 | 235),
	// followed by a small packet on the last of them.
	p := opus20(1000, 7)
	small := opus20(10, 8)
	var buf bytes.Buffer
	w := rawStream(&buf, 99)
	headers(w)
	w.writePage([]byte{255}, p[:255], 0, noGranule)
	w.writePage([]byte{255, 255}, p[255:765], flagContinued, noGranule)
	w.writePage([]byte{235, 10}, append(bytes.Clone(p[765:]), small...), flagContinued|flagEOS, 1920)
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	pkts, granules, err := readAll(r)
	if err != io.EOF || len(pkts) != 2 || !bytes.Equal(pkts[0], p) || !bytes.Equal(pkts[1], small) {
		t.Fatalf("read %d packets, %v", len(pkts), err)
	}
	if granules[0] != 960 || granules[1] != 1920 {
		t.Errorf("granules %v, want [960 1920]", granules)
	}
}

func TestOversizePacket(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, 2, 0, 0)
	for _, n := range []int{0, MaxPacketSize + 1, 70_000} {
		if err := w.WritePacket(make([]byte, n), 960); !errors.Is(err, ErrInvalid) {
			t.Errorf("WritePacket(%d bytes): %v, want ErrInvalid", n, err)
		}
	}

	// A 70 kB packet written page by page: the Reader refuses it once it
	// outgrows the limit, without waiting for its end.
	buf.Reset()
	w = rawStream(&buf, 5)
	headers(w)
	w.writePacket(opus20(100, 1), 960, 0)
	w.writePacket(make([]byte, 70_000), 1920, flagEOS)
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	pkts, _, err := readAll(r)
	if !errors.Is(err, ErrInvalid) || len(pkts) != 1 {
		t.Fatalf("read %d packets then %v; want 1 then ErrInvalid", len(pkts), err)
	}
}

func TestGranules(t *testing.T) {
	p20 := opus20(5, 1)       // 960 samples
	p10 := []byte{0xf4, 1}    // CELT FB 10 ms: 480
	p60 := []byte{0x18, 2, 3} // SILK NB 60 ms: 2880
	bad := []byte{0xff}       // code 3 without count: 0
	body := func(ps ...[]byte) ([]byte, []byte) {
		var lacing, b []byte
		for _, p := range ps {
			lacing = append(lacing, byte(len(p)))
			b = append(b, p...)
		}
		return lacing, b
	}
	var buf bytes.Buffer
	w := rawStream(&buf, 1)
	headers(w)
	// Starts mid-stream: counted back from 100000.
	l, b := body(p20, p10, p60)
	w.writePage(l, b, 0, 100000)
	// No position on the page (not valid, but readable): counted on.
	l, b = body(p20)
	w.writePage(l, b, 0, noGranule)
	l, b = body(bad, p20)
	w.writePage(l, b, 0, 102000)
	// The last page trims the end: 102000+960+960 would be 103920.
	l, b = body(p20, p20)
	w.writePage(l, b, flagEOS, 103500)

	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	_, granules, err := readAll(r)
	want := []uint64{100000 - 2880 - 480, 100000 - 2880, 100000, 100960, 102000 - 960, 102000, 102960, 103500}
	if err != io.EOF || !equal(granules, want) {
		t.Fatalf("granules %v, %v; want %v", granules, err, want)
	}

	// A first page that is also the last: counted from 0, then trimmed.
	buf.Reset()
	w = rawStream(&buf, 1)
	headers(w)
	l, b = body(p20, p20, p20)
	w.writePage(l, b, flagEOS, 2000)
	r, _ = NewReader(&buf)
	_, granules, _ = readAll(r)
	if want := []uint64{960, 1920, 2000}; !equal(granules, want) {
		t.Fatalf("granules %v, want %v", granules, want)
	}

	// A page position smaller than its packets: clamped at 0.
	buf.Reset()
	w = rawStream(&buf, 1)
	headers(w)
	l, b = body(p20, p20)
	w.writePage(l, b, 0, 500)
	r, _ = NewReader(&buf)
	_, granules, _ = readAll(r)
	if want := []uint64{0, 500}; !equal(granules, want) {
		t.Fatalf("granules %v, want %v", granules, want)
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHeaders(t *testing.T) {
	head := func(version, channels, family byte, rest ...byte) []byte {
		b := []byte(headMagic)
		b = append(b, version, channels, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0x00, 0xff, family)
		return append(b, rest...)
	}
	tags := func(vendor string, comments ...string) []byte {
		b := binary.LittleEndian.AppendUint32([]byte(tagsMagic), uint32(len(vendor)))
		b = append(b, vendor...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(comments)))
		for _, c := range comments {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(c)))
			b = append(b, c...)
		}
		return b
	}
	goodTags := tags("x")
	tests := []struct {
		name    string
		head    []byte
		tags    []byte
		wantErr error
	}{
		{"stereo", head(1, 2, 0), goodTags, nil},
		{"mono", head(1, 1, 0), goodTags, nil},
		{"minor version 15", head(15, 1, 0), goodTags, nil},
		{"trailing bytes in head", head(1, 1, 0, 1, 2, 3), goodTags, nil},
		{"version 0", head(0, 1, 0), goodTags, ErrInvalid},
		{"version 16", head(16, 1, 0), goodTags, ErrUnsupported},
		{"no channels", head(1, 0, 0), goodTags, ErrInvalid},
		{"family 0, 3 channels", head(1, 3, 0), goodTags, ErrInvalid},
		{"short head", head(1, 2, 0)[:18], goodTags, ErrInvalid},
		{"family 1, 5.1", head(1, 6, 1, 4, 2, 0, 4, 1, 2, 3, 5), goodTags, nil},
		{"family 1, silent channel", head(1, 2, 1, 1, 0, 0, 255), goodTags, nil},
		{"family 1, 9 channels", head(1, 9, 1, 9, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8), goodTags, ErrInvalid},
		{"family 1, no table", head(1, 2, 1, 1, 1), goodTags, ErrInvalid},
		{"family 1, no streams", head(1, 1, 1, 0, 0, 0), goodTags, ErrInvalid},
		{"family 1, coupled > streams", head(1, 2, 1, 1, 2, 0, 1), goodTags, ErrInvalid},
		{"family 1, streams+coupled > 255", head(1, 1, 1, 255, 255, 0), goodTags, ErrInvalid},
		{"family 1, mapping out of range", head(1, 2, 1, 1, 0, 0, 1), goodTags, ErrInvalid},
		{"family 2", head(1, 4, 2, 1, 1, 0, 1, 0, 1), goodTags, ErrUnsupported},
		{"family 255", head(1, 4, 255, 1, 1, 0, 1, 0, 1), goodTags, ErrUnsupported},
		{"not OpusTags", head(1, 2, 0), []byte("OpusTagz\x00\x00\x00\x00\x00\x00\x00\x00"), ErrInvalid},
		{"tags: comments", head(1, 2, 0), tags("v", "TITLE=a", "ARTIST=b"), nil},
		{"tags: trailing data", head(1, 2, 0), append(tags("v", "A=b"), 1, 2, 3), nil},
		{"tags: vendor too long", head(1, 2, 0), tags("v")[:9], ErrInvalid},
		{"tags: no count", head(1, 2, 0), tags("v")[:13], ErrInvalid},
		{"tags: count too large", head(1, 2, 0), binary.LittleEndian.AppendUint32(tags("v")[:13], 1<<31), ErrInvalid},
		{"tags: comment truncated", head(1, 2, 0), tags("v", "TITLE=abc")[:25], ErrInvalid},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		w := rawStream(&buf, 3)
		w.writePacket(tc.head, 0, flagBOS)
		w.writePacket(tc.tags, 0, 0)
		w.writePacket(opus20(20, 1), 960, flagEOS)
		r, err := NewReader(&buf)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		h := r.Head()
		if h.PreSkip != 312 || h.InputSampleRate != 48000 || h.OutputGain != -256 || int(tc.head[9]) != h.Channels {
			t.Errorf("%s: head %+v", tc.name, h)
		}
		if _, _, err := readAll(r); err != io.EOF {
			t.Errorf("%s: read %v", tc.name, err)
		}
	}

	// The parsed fields of family 1 and of comments.
	var buf bytes.Buffer
	w := rawStream(&buf, 3)
	w.writePacket(head(1, 6, 1, 4, 2, 0, 4, 1, 2, 3, 5), 0, flagBOS)
	w.writePacket(tags("enc", "TITLE=a", "ARTIST=b"), 0, flagEOS)
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Head(); h.MappingFamily != 1 || h.StreamCount != 4 || h.CoupledCount != 2 ||
		!bytes.Equal(h.ChannelMapping, []byte{0, 4, 1, 2, 3, 5}) {
		t.Errorf("head %+v", h)
	}
	if tg := r.Tags(); tg.Vendor != "enc" || strings.Join(tg.Comments, ",") != "TITLE=a,ARTIST=b" {
		t.Errorf("tags %+v", tg)
	}
	if _, _, err := r.ReadPacket(); err != io.EOF {
		t.Errorf("stream without audio: %v, want io.EOF", err)
	}
}

func TestHeaderPlacement(t *testing.T) {
	h := appendHead(nil, 2, 0, 0)
	tg := appendTags(nil, "v")
	a := opus20(30, 1)
	tests := []struct {
		name  string
		build func(w *Writer)
		ok    bool
	}{
		{"empty input", func(w *Writer) {}, false},
		{"head without BOS", func(w *Writer) {
			w.writePacket(h, 0, 0)
			w.writePacket(tg, 0, 0)
		}, false},
		{"head and tags on one page", func(w *Writer) {
			w.writePage([]byte{byte(len(h)), byte(len(tg))}, append(bytes.Clone(h), tg...), flagBOS, 0)
		}, false},
		{"tags with audio on its page", func(w *Writer) {
			w.writePacket(h, 0, flagBOS)
			w.writePage([]byte{byte(len(tg)), byte(len(a))}, append(bytes.Clone(tg), a...), 0, 960)
		}, false},
		{"no tags", func(w *Writer) {
			w.writePacket(h, 0, flagBOS)
			w.writePacket(a, 960, flagEOS)
		}, false},
		{"stream ends after head", func(w *Writer) {
			w.writePacket(h, 0, flagBOS|flagEOS)
		}, false},
		{"input ends after head", func(w *Writer) {
			w.writePacket(h, 0, flagBOS)
		}, false},
		{"tags across two pages", func(w *Writer) {
			w.writePacket(h, 0, flagBOS)
			w.writePage([]byte{255}, bytes.Repeat(tg[:1], 255), 0, noGranule)
		}, false},
		{"BOS again mid-stream", func(w *Writer) {
			w.writePacket(h, 0, flagBOS)
			w.writePacket(tg, 0, 0)
			w.writePacket(a, 960, flagBOS)
		}, false},
		{"continued page without a packet to continue", func(w *Writer) {
			w.writePacket(h, 0, flagBOS)
			w.writePacket(tg, 0, 0)
			w.writePage([]byte{30}, a, flagContinued, 960)
		}, false},
		{"unfinished packet not continued", func(w *Writer) {
			w.writePacket(h, 0, flagBOS)
			w.writePacket(tg, 0, 0)
			w.writePage([]byte{255}, bytes.Repeat(a[:1], 255), 0, noGranule)
			w.writePage([]byte{30}, a, 0, 960)
		}, false},
		{"ok", func(w *Writer) {
			w.writePacket(h, 0, flagBOS)
			w.writePacket(tg, 0, 0)
			w.writePacket(a, 960, flagEOS)
		}, true},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		tc.build(rawStream(&buf, 1))
		r, err := NewReader(&buf)
		if err == nil {
			_, _, err = readAll(r)
			if err == io.EOF {
				err = nil
			}
		}
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, ErrInvalid) && err != io.ErrUnexpectedEOF {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestMultiplexed(t *testing.T) {
	// Another logical stream's BOS page comes first and its pages are
	// interleaved; the Reader follows the Opus stream only.
	var buf bytes.Buffer
	other := rawStream(&buf, 7)
	op := rawStream(&buf, 8)
	other.writePacket([]byte("\x80theora-ish header"), 0, flagBOS)
	headers(op)
	other.writePacket([]byte("more of the other"), 0, 0)
	op.writePacket(opus20(40, 1), 960, 0)
	other.writePacket(make([]byte, 300), 5, flagEOS)
	op.writePacket(opus20(50, 2), 1920, flagEOS)
	// Data after the Opus stream's end is not read.
	buf.WriteString("garbage")

	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	pkts, granules, err := readAll(r)
	if err != io.EOF || len(pkts) != 2 || len(pkts[0]) != 40 || len(pkts[1]) != 50 || granules[1] != 1920 {
		t.Fatalf("read %d packets, granules %v, %v", len(pkts), granules, err)
	}
}

func TestLargeTags(t *testing.T) {
	// A comment header with 200 kB of cover art spans four pages; the
	// Reader keeps the first 64 KiB and plays the audio.
	art := "METADATA_BLOCK_PICTURE=" + strings.Repeat("A", 200_000)
	tg := binary.LittleEndian.AppendUint32([]byte(tagsMagic), 3)
	tg = append(tg, "enc"...)
	tg = binary.LittleEndian.AppendUint32(tg, 2)
	tg = binary.LittleEndian.AppendUint32(tg, 7)
	tg = append(tg, "TITLE=x"...)
	tg = binary.LittleEndian.AppendUint32(tg, uint32(len(art)))
	tg = append(tg, art...)

	var buf bytes.Buffer
	w := rawStream(&buf, 1)
	w.writePacket(appendHead(nil, 1, 0, 0), 0, flagBOS)
	w.writePacket(tg, 0, 0)
	w.writePacket(opus20(10, 1), 960, flagEOS)
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Tags(); !got.Truncated || got.Vendor != "enc" || len(got.Comments) != 1 || got.Comments[0] != "TITLE=x" {
		t.Errorf("tags: truncated=%v vendor %q comments %d", got.Truncated, got.Vendor, len(got.Comments))
	}
	if pkts, _, err := readAll(r); err != io.EOF || len(pkts) != 1 {
		t.Fatalf("read %d packets, %v", len(pkts), err)
	}
}

func TestWriter(t *testing.T) {
	for _, ch := range []int{0, 3, 8, -1} {
		if _, err := NewWriter(io.Discard, ch, 0, 0); !errors.Is(err, ErrUnsupported) {
			t.Errorf("NewWriter(%d channels): %v, want ErrUnsupported", ch, err)
		}
	}

	var buf bytes.Buffer
	w, _ := NewWriter(&buf, 1, 0, 0)
	if err := w.WritePacket(opus20(3, 0), 960); err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(opus20(3, 0), 959); !errors.Is(err, ErrInvalid) {
		t.Errorf("decreasing granule: %v, want ErrInvalid", err)
	}
	if err := w.WritePacket(opus20(3, 0), 1<<63); !errors.Is(err, ErrInvalid) {
		t.Errorf("granule 2^63: %v, want ErrInvalid", err)
	}
	if err := w.WritePacket(opus20(3, 0), 960); err != nil {
		t.Errorf("equal granule: %v", err)
	}

	// No packet: Close writes an empty EOS page.
	buf.Reset()
	w, _ = NewWriter(&buf, 2, 0, 0)
	w.Close()
	ps := pages(t, buf.Bytes())
	if len(ps) != 3 || ps[2].flags != flagEOS || len(ps[2].lacing) != 0 {
		t.Fatalf("pages %+v", ps)
	}
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.ReadPacket(); err != io.EOF {
		t.Fatalf("ReadPacket: %v, want io.EOF", err)
	}

	// Write errors are sticky.
	fw := &failWriter{after: 2}
	w, err = NewWriter(fw, 2, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WritePacket(opus20(3, 0), 960)
	if err := w.WritePacket(opus20(3, 0), 1920); err != errFail {
		t.Fatalf("WritePacket: %v, want errFail", err)
	}
	if err := w.WritePacket(opus20(3, 0), 2880); err != errFail {
		t.Fatalf("WritePacket again: %v, want errFail", err)
	}
	if err := w.Close(); err != errFail {
		t.Fatalf("Close: %v, want errFail", err)
	}
	if _, err := NewWriter(&failWriter{after: 1}, 2, 0, 0); err != errFail {
		t.Fatalf("NewWriter: %v, want errFail", err)
	}
}

var errFail = errors.New("write failed")

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after == 0 {
		return 0, errFail
	}
	f.after--
	return len(p), nil
}

// TestClip reads a file from ffmpeg/libopus (testdata/opus/README.txt),
// writes its packets back with the Writer and reads them again.
func TestClip(t *testing.T) {
	data, err := os.ReadFile("../../testdata/opus/clip.ogg")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	h := r.Head()
	if h.Channels != 2 || h.MappingFamily != 0 || h.InputSampleRate != 48000 {
		t.Errorf("head %+v", h)
	}
	pkts, granules, err := readAll(r)
	if err != io.EOF {
		t.Fatalf("read: %v", err)
	}
	var total time.Duration
	for i, p := range pkts {
		d, err := opus.PacketDuration(p)
		if err != nil || d != 20*time.Millisecond {
			t.Fatalf("packet %d: %v, %v; want 20ms", i, d, err)
		}
		total += d
		if i > 0 && i < len(pkts)-1 && granules[i] != granules[i-1]+960 {
			t.Errorf("granule %d: %d after %d", i, granules[i], granules[i-1])
		}
	}
	// 2 s of audio plus the encoder's pre-skip, in whole 20 ms packets.
	if len(pkts) < 100 || len(pkts) > 102 || total < 2*time.Second || total > 2*time.Second+60*time.Millisecond {
		t.Errorf("%d packets, %v", len(pkts), total)
	}
	last := granules[len(granules)-1]
	if playable := last - uint64(h.PreSkip); playable != 96000 {
		t.Errorf("last granule %d, pre-skip %d: %d samples playable, want 96000", last, h.PreSkip, playable)
	}
	t.Logf("%d packets, %v, pre-skip %d, last granule %d, vendor %q", len(pkts), total, h.PreSkip, last, r.Tags().Vendor)

	var buf bytes.Buffer
	w, err := NewWriter(&buf, h.Channels, h.PreSkip, h.InputSampleRate)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		if err := w.WritePacket(p, granules[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r2, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if h2 := r2.Head(); h2.Channels != h.Channels || h2.PreSkip != h.PreSkip || h2.InputSampleRate != h.InputSampleRate {
		t.Errorf("head written back %+v, read %+v", h2, h)
	}
	pkts2, granules2, err := readAll(r2)
	if err != io.EOF || len(pkts2) != len(pkts) {
		t.Fatalf("read back %d packets, %v; want %d", len(pkts2), err, len(pkts))
	}
	for i := range pkts {
		if !bytes.Equal(pkts[i], pkts2[i]) || granules[i] != granules2[i] {
			t.Fatalf("packet %d differs after the round trip", i)
		}
	}
}

func FuzzOggReader(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, 2, 312, 48000)
	w.WritePacket(opus20(30, 1), 960)
	w.WritePacket(opus20(600, 2), 1920)
	w.Close()
	f.Add(buf.Bytes(), false)
	f.Add(buf.Bytes()[:100], true)
	// With fixCRC, page checksums are recomputed before reading, so that
	// mutations reach the page and packet logic behind the CRC check.
	f.Fuzz(func(t *testing.T, data []byte, fixCRC bool) {
		if fixCRC {
			data = fixCRCs(bytes.Clone(data))
		}
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			if r != nil {
				t.Fatal("reader and error")
			}
			return
		}
		h := r.Head()
		if h.Channels < 1 || h.StreamCount < 1 || h.MappingFamily > 1 {
			t.Fatalf("head %+v", h)
		}
		// Every byte returned came from a distinct byte of input: memory
		// stays proportional to the input.
		total := len(r.Tags().Vendor)
		for _, c := range r.Tags().Comments {
			total += len(c)
		}
		var pkts [][]byte
		var granules []uint64
		for {
			p, g, err := r.ReadPacket()
			if err != nil {
				if _, _, err2 := r.ReadPacket(); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				break
			}
			if len(p) > MaxPacketSize {
				t.Fatalf("packet of %d bytes", len(p))
			}
			total += len(p)
			pkts = append(pkts, p)
			granules = append(granules, g)
		}
		if total > len(data) {
			t.Fatalf("%d bytes out of %d in", total, len(data))
		}

		// What was read can be written back and read again identically,
		// unless the Writer refuses it.
		var out bytes.Buffer
		if h.MappingFamily != 0 {
			return
		}
		w, err := NewWriter(&out, h.Channels, h.PreSkip, h.InputSampleRate)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, p := range pkts {
			if w.WritePacket(p, granules[i]) != nil {
				break
			}
			n++
		}
		w.Close()
		r2, err := NewReader(&out)
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		pkts2, granules2, err := readAll(r2)
		if err != io.EOF || len(pkts2) != n {
			t.Fatalf("read back %d packets, %v; want %d", len(pkts2), err, n)
		}
		for i := range n {
			if !bytes.Equal(pkts[i], pkts2[i]) || granules[i] != granules2[i] {
				t.Fatalf("packet %d differs", i)
			}
		}
	})
}

// fixCRCs sets the checksum of every page it can find in b.
func fixCRCs(b []byte) []byte {
	for off := 0; off+headerSize <= len(b); {
		h := b[off:]
		n := int(h[26])
		if len(h) < headerSize+n {
			break
		}
		size := headerSize + n
		for _, l := range h[headerSize : headerSize+n] {
			size += int(l)
		}
		if len(h) < size {
			break
		}
		clear(h[22:26])
		binary.LittleEndian.PutUint32(h[22:], crcUpdate(0, h[:size]))
		off += size
	}
	return b
}

func BenchmarkWritePacket(b *testing.B) {
	w, _ := NewWriter(io.Discard, 2, 312, 48000)
	p := opus20(160, 1)
	g := uint64(0)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		g += 960
		if err := w.WritePacket(p, g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadPacket(b *testing.B) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, 2, 312, 48000)
	for i := range 1000 {
		w.WritePacket(opus20(160, byte(i)), uint64(960*(i+1)))
	}
	w.Close()
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(160 * 1000)
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := readAll(r); err != io.EOF {
			b.Fatal(err)
		}
	}
}
