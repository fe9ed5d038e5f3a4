package engine

import "math/rand/v2"

// NewRequestID returns a random (version 4) UUID, the form of Lambda's
// request ids. math/rand/v2's generator is seeded from the OS and safe for
// concurrent use; ids need to be unique, not secret.
func NewRequestID() string { return newRequestID() }

func newRequestID() string {
	const hexdigits = "0123456789abcdef"
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (8 * i))
		b[8+i] = byte(lo >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
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
