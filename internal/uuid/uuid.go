// Package uuid makes the UUIDs Flint uses for request ids and revision
// ids, in the form Lambda gives them: "1b3c2f4e-9a0d-4c1e-8f2a-3d5e6b7c8d9e".
// New makes random ones (version 4); Derived makes the same one from the
// same name (version 8, from SHA-256), for ids that must be stable, such as
// a schedule's fire.
package uuid

import (
	"crypto/sha256"
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
	return format(&b)
}

// Derived returns the UUID that name stands for: the first 16 bytes of its
// SHA-256 digest, marked as version 8 (RFC 9562's custom version, since
// version 5 would mean SHA-1 and a namespace) and the RFC 9562 variant.
// The same name always gives the same UUID; different names give
// different ones, barring a 122-bit collision.
func Derived(name string) string {
	sum := sha256.Sum256([]byte(name))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // variant 10
	return format(&b)
}

// format writes a UUID in its 36-byte text form.
func format(b *[16]byte) string {
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
