package ogg

// Ogg's page checksum (RFC 3533 §6): CRC-32 with generator polynomial
// 0x04c11db7, initial value 0, no bit reflection and no final XOR, over
// the whole page with its checksum field set to zero.

const crcPoly = 0x04c11db7

var crcTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ crcPoly
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

func crcUpdate(crc uint32, b []byte) uint32 {
	for _, x := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>24)^x]
	}
	return crc
}
