// Command chanrtc-media is the smallest useful chanrtc media program,
// built by the size scenario: it reads a complete SDP offer with an H.264
// video track on stdin, prints the complete answer on stdout, and sends
// every RTP packet it receives back on its own track until the
// connection ends.
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
	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
		return err
	}
	local, err := chanrtc.NewLocalTrack(chanrtc.CodecH264, "echo", "echo")
	if err != nil {
		return err
	}
	if _, err := pc.AddTrack(local); err != nil {
		return err
	}
	pc.OnTrack(func(remote *chanrtc.RemoteTrack, _ *chanrtc.RTPReceiver) {
		go func() {
			for {
				p, err := remote.ReadRTP()
				if err != nil {
					return
				}
				_ = local.WriteRTP(p)
			}
		}()
	})
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
