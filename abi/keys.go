package abi

import "encoding/binary"

// EncodeKeys encodes a kv_list result as SPEC.md describes it: the key
// count (u32, little-endian), a "more" flag byte, then each key as its
// length (u32, little-endian) and its bytes.
func EncodeKeys(keys []string, more bool) []byte {
	n := 5
	for _, k := range keys {
		n += 4 + len(k)
	}
	b := make([]byte, 0, n)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(keys)))
	if more {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	for _, k := range keys {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
	}
	return b
}
