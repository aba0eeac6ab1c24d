//go:build !chanrtc_nodatachannel

package chanrtc_test

import (
	"fmt"

	"github.com/chanrtc/chanrtc"
)

// Two PeerConnections in one process, connected over loopback UDP, with
// complete (non-trickle) descriptions.
func Example() {
	cfg := chanrtc.Config{LoopbackOnly: true, MDNS: chanrtc.MDNSDisabled}
	offerer, _ := chanrtc.NewPeerConnection(cfg)
	defer offerer.Close()
	answerer, _ := chanrtc.NewPeerConnection(cfg)
	defer answerer.Close()

	// The answerer echoes what it receives.
	answerer.OnDataChannel(func(dc *chanrtc.DataChannel) {
		dc.OnMessage(func(m chanrtc.DataChannelMessage) { _ = dc.SendText(string(m.Data)) })
	})

	dc, _ := offerer.CreateDataChannel("chat", nil)
	echoed := make(chan string, 1)
	dc.OnOpen(func() { _ = dc.SendText("hello") })
	dc.OnMessage(func(m chanrtc.DataChannelMessage) { echoed <- string(m.Data) })

	offer, _ := offerer.CreateOffer()
	_ = offerer.SetLocalDescription(offer)
	<-offerer.GatheringComplete()
	_ = answerer.SetRemoteDescription(*offerer.LocalDescription())
	answer, _ := answerer.CreateAnswer()
	_ = answerer.SetLocalDescription(answer)
	<-answerer.GatheringComplete()
	_ = offerer.SetRemoteDescription(*answerer.LocalDescription())

	fmt.Println(<-echoed)
	// Output: hello
}
