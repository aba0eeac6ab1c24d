//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"bytes"
	"testing"
)

func TestDataChannelEcho(t *testing.T) {
	checkLeaks(t)
	offerer, answerer := newTestPC(t), newTestPC(t)

	answerer.OnDataChannel(func(dc *DataChannel) {
		dc.OnMessage(func(m DataChannelMessage) {
			if m.IsString {
				_ = dc.SendText(string(m.Data))
			} else {
				_ = dc.Send(m.Data)
			}
		})
	})
	dc, err := offerer.CreateDataChannel("echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	got := make(chan DataChannelMessage, 10)
	dc.OnMessage(func(m DataChannelMessage) { got <- m })

	signalNonTrickle(t, offerer, answerer)
	recv(t, opened, "open")

	if err := dc.SendText("hello"); err != nil {
		t.Fatal(err)
	}
	if err := dc.Send([]byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := dc.SendText(""); err != nil {
		t.Fatal(err)
	}
	m := recv(t, got, "text echo")
	if !m.IsString || string(m.Data) != "hello" {
		t.Fatalf("got %+v", m)
	}
	m = recv(t, got, "binary echo")
	if m.IsString || !bytes.Equal(m.Data, []byte{1, 2, 3}) {
		t.Fatalf("got %+v", m)
	}
	m = recv(t, got, "empty echo")
	if !m.IsString || len(m.Data) != 0 {
		t.Fatalf("got %+v", m)
	}
	if s := offerer.ConnectionState(); s != PeerConnectionStateConnected {
		t.Fatalf("connection state %s", s)
	}
	offerer.Close()
	answerer.Close()
}
