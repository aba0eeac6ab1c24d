// Package dcep encodes and decodes the messages of the Data Channel
// Establishment Protocol (RFC 8832), which opens WebRTC data channels
// in-band on an SCTP stream. It is pure code: no I/O, no goroutines.
package dcep

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// PPID is the SCTP payload protocol identifier of DCEP messages (RFC 8832 §8.1).
const PPID uint32 = 50

// Payload protocol identifiers of user data (RFC 8831 §8). The "Empty"
// variants carry a single dummy byte, because SCTP cannot send an empty
// user message (RFC 8831 §6.6).
const (
	PPIDString      uint32 = 51
	PPIDBinary      uint32 = 53
	PPIDStringEmpty uint32 = 56
	PPIDBinaryEmpty uint32 = 57
)

// Message types (RFC 8832 §8.2.1).
const (
	typeAck  byte = 0x02
	typeOpen byte = 0x03
)

// openHeaderLen is the fixed part of DATA_CHANNEL_OPEN before label and
// protocol (RFC 8832 §5.1).
const openHeaderLen = 12

// MaxLen is the longest Label or Protocol, in bytes, that DATA_CHANNEL_OPEN
// can carry: both lengths are 16-bit fields (RFC 8832 §5.1). Callers must
// reject longer values before building an Open (W3C createDataChannel
// throws a TypeError for them).
const MaxLen = 0xFFFF

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("dcep: invalid message")

// ErrBothLimits is returned by TypeFor when both partial-reliability limits
// are set; the W3C API forbids it and DCEP has no channel type for it.
var ErrBothLimits = errors.New("dcep: MaxRetransmits and MaxPacketLifeTime are mutually exclusive")

// ChannelType is the Channel Type field of DATA_CHANNEL_OPEN (RFC 8832 §5.1).
// The high bit (0x80) selects unordered delivery; the low bits select the
// reliability policy.
type ChannelType byte

// Channel types (RFC 8832 §5.1, §8.2.2).
const (
	ChannelReliable                       ChannelType = 0x00
	ChannelReliableUnordered              ChannelType = 0x80
	ChannelPartialReliableRexmit          ChannelType = 0x01
	ChannelPartialReliableRexmitUnordered ChannelType = 0x81
	ChannelPartialReliableTimed           ChannelType = 0x02
	ChannelPartialReliableTimedUnordered  ChannelType = 0x82
)

const unorderedBit ChannelType = 0x80

// Unordered reports whether messages may be delivered out of order.
func (t ChannelType) Unordered() bool { return t&unorderedBit != 0 }

// Valid reports whether t is one of the six channel types RFC 8832 defines.
func (t ChannelType) Valid() bool {
	switch t &^ unorderedBit {
	case ChannelReliable, ChannelPartialReliableRexmit, ChannelPartialReliableTimed:
		return true
	}
	return false
}

// Open is DATA_CHANNEL_OPEN (message type 0x03, RFC 8832 §5.1).
type Open struct {
	ChannelType ChannelType
	Priority    uint16
	// ReliabilityParameter is the retransmission count for the Rexmit
	// types, the lifetime in milliseconds for the Timed types, and ignored
	// for reliable channels (RFC 8832 §5.1).
	ReliabilityParameter uint32
	Label                string
	Protocol             string
}

// Ack is DATA_CHANNEL_ACK (message type 0x02, RFC 8832 §5.2). It has no fields.
type Ack struct{}

// Marshal encodes o. Label and Protocol longer than MaxLen are truncated to
// MaxLen bytes, since the wire format cannot express more; callers validate
// lengths beforehand.
func (o Open) Marshal() []byte {
	label, proto := clip(o.Label), clip(o.Protocol)
	b := make([]byte, openHeaderLen, openHeaderLen+len(label)+len(proto))
	b[0] = typeOpen
	b[1] = byte(o.ChannelType)
	binary.BigEndian.PutUint16(b[2:], o.Priority)
	binary.BigEndian.PutUint32(b[4:], o.ReliabilityParameter)
	binary.BigEndian.PutUint16(b[8:], uint16(len(label)))
	binary.BigEndian.PutUint16(b[10:], uint16(len(proto)))
	b = append(b, label...)
	return append(b, proto...)
}

func clip(s string) string {
	if len(s) > MaxLen {
		return s[:MaxLen]
	}
	return s
}

// MarshalAck encodes DATA_CHANNEL_ACK, which is the message type byte alone
// (RFC 8832 §5.2).
func MarshalAck() []byte { return []byte{typeAck} }

// Parse decodes one DCEP message (one SCTP user message with PPID 50). It
// returns *Open or Ack. Every error wraps ErrInvalid; RFC 8832 §6 leaves the
// reaction to the caller (typically: ignore the message or reset the stream).
func Parse(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrInvalid)
	}
	switch b[0] {
	case typeAck:
		// The ACK has no body; anything after the type byte is not a
		// message we understand, so reject rather than guess.
		if len(b) != 1 {
			return nil, fmt.Errorf("%w: ack has %d trailing bytes", ErrInvalid, len(b)-1)
		}
		return Ack{}, nil
	case typeOpen:
		o, err := parseOpen(b)
		if err != nil {
			// Return an untyped nil: a nil *Open in an interface is non-nil.
			return nil, err
		}
		return o, nil
	default:
		return nil, fmt.Errorf("%w: unknown message type 0x%02x", ErrInvalid, b[0])
	}
}

func parseOpen(b []byte) (*Open, error) {
	if len(b) < openHeaderLen {
		return nil, fmt.Errorf("%w: open is %d bytes, header needs %d", ErrInvalid, len(b), openHeaderLen)
	}
	t := ChannelType(b[1])
	if !t.Valid() {
		return nil, fmt.Errorf("%w: unknown channel type 0x%02x", ErrInvalid, byte(t))
	}
	labelLen := int(binary.BigEndian.Uint16(b[8:]))
	protoLen := int(binary.BigEndian.Uint16(b[10:]))
	// Lengths are 16-bit, so this sum cannot overflow int.
	if want := openHeaderLen + labelLen + protoLen; len(b) != want {
		return nil, fmt.Errorf("%w: open is %d bytes, lengths declare %d", ErrInvalid, len(b), want)
	}
	body := b[openHeaderLen:]
	return &Open{
		ChannelType:          t,
		Priority:             binary.BigEndian.Uint16(b[2:]),
		ReliabilityParameter: binary.BigEndian.Uint32(b[4:]),
		Label:                string(body[:labelLen]),
		Protocol:             string(body[labelLen:]),
	}, nil
}

// TypeFor maps the W3C RTCDataChannelInit options (ordered, maxRetransmits,
// maxPacketLifeTime in ms) to a channel type and reliability parameter
// (RFC 8832 §5.1; RFC 8831 §6.1 for the semantics).
func TypeFor(ordered bool, maxRetransmits, maxPacketLifeTime *uint16) (ChannelType, uint32, error) {
	var t ChannelType
	var param uint32
	switch {
	case maxRetransmits != nil && maxPacketLifeTime != nil:
		return 0, 0, ErrBothLimits
	case maxRetransmits != nil:
		t, param = ChannelPartialReliableRexmit, uint32(*maxRetransmits)
	case maxPacketLifeTime != nil:
		t, param = ChannelPartialReliableTimed, uint32(*maxPacketLifeTime)
	default:
		t = ChannelReliable
	}
	if !ordered {
		t |= unorderedBit
	}
	return t, param, nil
}
