package abi

import (
	"encoding/binary"
	"iter"
)

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

// EncodeMetadata encodes an invocation's metadata as context_get's field
// FieldMetadata returns it (SPEC.md): the pair count (u32, little-endian),
// then each key and its value as a length (u32, little-endian) and bytes,
// in the order pairs yields them (the engine's is by key).
func EncodeMetadata(pairs iter.Seq2[string, string]) []byte {
	b := make([]byte, 4, 64)
	n := uint32(0)
	for k, v := range pairs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
		n++
	}
	binary.LittleEndian.PutUint32(b, n)
	return b
}
