//go:build chanrtc_nodatachannel

package chanrtc

import "context"

// Built with chanrtc_nodatachannel: no DataChannels. Offers carry no
// application section, answers reject the remote's, and DTLS carries only
// the SRTP keys.

const dataChannelsBuilt = false

type dataState struct{}

type dataHandlers struct{}

func (a *peerActor) handleData(peerMsg) bool { return false }

func (a *peerActor) prepareData() error { return nil }

func (a *peerActor) maybeStartSCTP(context.Context) error { return nil }
