package main

import (
	"errors"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// pionSettings says how pion is configured: the default API (default
// codecs and default interceptors: NACK, RTCP reports, stats, TWCC) with a
// SettingEngine that only restricts candidates, as chanrtc's Config does.
const pionSettings = "webrtc.NewAPI(WithSettingEngine(se)), default codecs and interceptors; " +
	"se: SetIncludeLoopbackCandidate(true), SetIPFilter(127.0.0.1 only), SetNetworkTypes(UDP4), " +
	"SetICEMulticastDNSMode(disabled); no other tuning"

type pionStack struct{ api *webrtc.API }

func newPionStack() pionStack {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return pionStack{api: webrtc.NewAPI(webrtc.WithSettingEngine(se))}
}

type pionPeer struct {
	pc *webrtc.PeerConnection
}

func (s pionStack) NewPeer() (peer, error) {
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	return pionPeer{pc}, nil
}

func (p pionPeer) CreateDataChannel(label string, unordered bool, maxRetransmits *uint16) (channel, error) {
	var init *webrtc.DataChannelInit
	if unordered || maxRetransmits != nil {
		ordered := !unordered
		init = &webrtc.DataChannelInit{Ordered: &ordered, MaxRetransmits: maxRetransmits}
	}
	dc, err := p.pc.CreateDataChannel(label, init)
	if err != nil {
		return nil, err
	}
	return pionChannel{dc}, nil
}

func (p pionPeer) OnDataChannel(f func(channel)) {
	p.pc.OnDataChannel(func(dc *webrtc.DataChannel) { f(pionChannel{dc}) })
}

func (p pionPeer) AddVideoTrack() (rtpWriter, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264}, "video", "bench")
	if err != nil {
		return nil, err
	}
	sender, err := p.pc.AddTrack(t)
	if err != nil {
		return nil, err
	}
	// pion's interceptors (NACK responder, reports) need RTCP read from
	// the sender, as its examples do.
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	return t, nil
}

func (p pionPeer) OnTrack(f func(rtpReader)) {
	p.pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { f(pionReader{t}) })
}

func (p pionPeer) CreateOffer() (string, error) {
	o, err := p.pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	done := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(o); err != nil {
		return "", err
	}
	return p.gathered(done)
}

func (p pionPeer) Answer(offer string) (string, error) {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	a, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	done := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(a); err != nil {
		return "", err
	}
	return p.gathered(done)
}

func (p pionPeer) gathered(done <-chan struct{}) (string, error) {
	select {
	case <-done:
	case <-time.After(gatherTimeout):
		return "", errors.New("pion: gathering did not complete")
	}
	return p.pc.LocalDescription().SDP, nil
}

func (p pionPeer) SetAnswer(answer string) error {
	return p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
}

func (p pionPeer) Close() error { return p.pc.Close() }

type pionChannel struct{ *webrtc.DataChannel }

func (c pionChannel) OnMessage(f func([]byte)) {
	c.DataChannel.OnMessage(func(m webrtc.DataChannelMessage) { f(m.Data) })
}

type pionReader struct{ t *webrtc.TrackRemote }

func (r pionReader) ReadRTP() (*rtp.Packet, error) {
	p, _, err := r.t.ReadRTP()
	return p, err
}
