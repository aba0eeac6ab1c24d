// Command chanrtc-dc is the smallest useful chanrtc DataChannel program,
// built by the size scenario: it reads a complete SDP offer on stdin,
// prints the complete answer on stdout, and echoes every DataChannel
// message until the connection ends.
package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/chanrtc/chanrtc"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	offer, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	pc, err := chanrtc.NewPeerConnection(chanrtc.Config{})
	if err != nil {
		return err
	}
	defer pc.Close()
	done := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s chanrtc.PeerConnectionState) {
		if s == chanrtc.PeerConnectionStateFailed || s == chanrtc.PeerConnectionStateClosed {
			once.Do(func() { close(done) })
		}
	})
	pc.OnDataChannel(func(dc *chanrtc.DataChannel) {
		dc.OnMessage(func(m chanrtc.DataChannelMessage) {
			if m.IsString {
				_ = dc.SendText(string(m.Data))
			} else {
				_ = dc.Send(m.Data)
			}
		})
	})
	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
		return err
	}
	answer, err := pc.CreateAnswer()
	if err != nil {
		return err
	}
	if err := pc.SetLocalDescription(answer); err != nil {
		return err
	}
	<-pc.GatheringComplete()
	fmt.Println(pc.LocalDescription().SDP)
	<-done
	return nil
}
