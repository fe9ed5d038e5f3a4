// Package uuid makes the random (version 4) UUIDs Flint uses for request
// ids and revision ids, in the form Lambda gives them:
// "1b3c2f4e-9a0d-4c1e-8f2a-3d5e6b7c8d9e".
package uuid

import "math/rand/v2"

// New returns a random (version 4, RFC 9562 variant) UUID in its 36-byte
// text form. math/rand/v2's generator is seeded from the OS and safe for
// concurrent use; ids need to be unique, not secret.
func New() string {
	const hexdigits = "0123456789abcdef"
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (8 * i))
		b[8+i] = byte(lo >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10
	var s [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hexdigits[c>>4], hexdigits[c&0xf]
		j += 2
	}
	return string(s[:])
}
