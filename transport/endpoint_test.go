package transport

import (
	"bytes"
	"net"
	"testing"
)

// record builds a DTLS 1.2 record of the given content type.
func record(contentType byte, payload ...byte) []byte {
	r := []byte{contentType, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 7, byte(len(payload) >> 8), byte(len(payload))}
	return append(r, payload...)
}

func TestOnlyAppData(t *testing.T) {
	app := record(23, 1, 2, 3)
	for _, tc := range []struct {
		name string
		d    []byte
		want bool
	}{
		{"one record", app, true},
		{"two records", append(append([]byte{}, app...), record(23, 9)...), true},
		{"handshake", record(22, 1), false},
		{"app then alert", append(append([]byte{}, app...), record(21, 2, 0)...), false},
		{"truncated", app[:len(app)-1], false},
		{"trailing bytes", append(append([]byte{}, app...), 23), false},
		{"not DTLS", []byte{23, 3, 3, 0, 0}, false},
		{"connection id record", record(25, 1), false},
	} {
		if got := onlyAppData(tc.d); got != tc.want {
			t.Errorf("%s: onlyAppData = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestEndpointReadCoalescesApplicationData(t *testing.T) {
	ep := newEndpoint(16, nil, func() net.Addr { return nil }, func() net.Addr { return nil })
	defer ep.Close()
	a, b, c := record(23, 1), record(23, 2, 2), record(23, 3, 3, 3)
	hs := record(22, 4)
	big := record(23, make([]byte, 100)...)
	for _, p := range [][]byte{a, b, hs, c, big, a} {
		q := getPacket(len(p))
		copy(q, p)
		ep.deliver(q, nil)
	}
	buf := make([]byte, 64)
	for i, want := range [][]byte{
		bytes.Join([][]byte{a, b}, nil), // stops before the handshake record
		hs,                              // alone
		c,                               // big does not fit behind it
		big[:64],                        // cut by the short buffer, as a datagram would be
		a,
	} {
		n, _, err := ep.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:n], want) {
			t.Fatalf("read %d: got %x, want %x", i, buf[:n], want)
		}
	}
}
