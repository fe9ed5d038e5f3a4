// Package uuid makes the random (version 4) UUIDs Flint uses for request
// ids and revision ids, in the form Lambda gives them:
// "1b3c2f4e-9a0d-4c1e-8f2a-3d5e6b7c8d9e".
package uuid

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
)

// New returns a random (version 4, RFC 9562 variant) UUID in its 36-byte
// text form. math/rand/v2's generator is seeded from the OS and safe for
// concurrent use; ids need to be unique, not secret.
func New() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}
