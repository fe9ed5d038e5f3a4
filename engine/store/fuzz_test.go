package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzCheckDigest checks that a digest Blobs accepts names a file inside
// the blob directory and nowhere else.
func FuzzCheckDigest(f *testing.F) {
	for _, d := range hostileDigests() {
		f.Add(d)
	}
	f.Add(digestOf(nil))
	f.Fuzz(func(t *testing.T, digest string) {
		err := CheckDigest(digest)
		if err != nil {
			if !errors.Is(err, ErrInvalidDigest) {
				t.Fatalf("CheckDigest(%q) = %v, not ErrInvalidDigest", digest, err)
			}
			return
		}
		root := filepath.Join("data", "blobs", "sha256")
		path := (&dirBlobs{root: root}).path(digest)
		rel, err := filepath.Rel(root, path)
		if err != nil || rel != filepath.Join(digest[:2], digest) || strings.Contains(rel, "..") {
			t.Fatalf("digest %q leads to %q", digest, path)
		}
	})
}

// FuzzCheckName checks the name rule: accepted names are 1 to MaxNameBytes
// bytes of [A-Za-z0-9_.-/].
func FuzzCheckName(f *testing.F) {
	for _, n := range []string{"functions", "kv/tenant-1/fn_a.v2", "", "has space", "é", "a\x00"} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := CheckName(name)
		ok := name != "" && len(name) <= MaxNameBytes && strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") == ""
		if ok != (err == nil) {
			t.Fatalf("CheckName(%q) = %v", name, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidName) {
			t.Fatalf("CheckName(%q) = %v, not ErrInvalidName", name, err)
		}
	})
}

// FuzzParseID checks that only IDs FormatID makes are parsed, and parsed
// back to their sequence number.
func FuzzParseID(f *testing.F) {
	for _, id := range []string{"0000000000000001", "ffffffffffffffff", "", "0000000000000000", "FFFFFFFFFFFFFFFF", "+000000000000001", "../../etc/passwd"} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		seq, err := ParseID(id)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("ParseID(%q) = %v, not ErrNotFound", id, err)
			}
			return
		}
		if got := FormatID(seq); got != id {
			t.Fatalf("ParseID(%q) = %d, which formats as %q", id, seq, got)
		}
	})
}

// FuzzDecodeMeta checks that a message record from disk is decoded without
// a panic, refused as ErrCorrupt, or encoded back to the same bytes.
func FuzzDecodeMeta(f *testing.F) {
	f.Add(encodeMeta(meta{rev: 1, at: 1700000000000000000, enqueued: 1700000000000000000}))
	f.Add(encodeMeta(meta{rev: 9, at: -1, enqueued: 5, deliveries: 3, leased: true}))
	f.Add([]byte{})
	f.Add([]byte("junk"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decodeMeta(%x) = %v, not ErrCorrupt", b, err)
			}
			return
		}
		if again := encodeMeta(m); !bytes.Equal(again, b) {
			t.Fatalf("decodeMeta(%x) = %+v, which encodes as %x", b, m, again)
		}
	})
}

// FuzzList checks Bucket.List of both Stores against a sorted slice, for
// keys, a prefix, an after and a limit from the fuzzer. keys is split on
// "|" into the bucket's keys.
func FuzzList(f *testing.F) {
	f.Add("a|a/1|a/2|a/3|ab|b|b/1|\xff", "a/", "", 2)
	f.Add("a|a/1|a/2|a/3|ab|b|b/1", "a", "a", 10)
	f.Add("x|y|z", "", "y", 1)
	f.Add("k\x00|k|k\x01", "k", "k", 1)
	ctx := context.Background()
	mem := NewMemory()
	f.Cleanup(func() { _ = mem.Close() })
	durable, err := Open(f.TempDir(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = durable.Close() })
	n := 0
	f.Fuzz(func(t *testing.T, keys, prefix, after string, limit int) {
		n++
		var want []string
		for k := range strings.SplitSeq(keys, "|") {
			if CheckKey(k) == nil {
				want = append(want, k)
			}
		}
		if len(want) > 50 {
			want = want[:50]
		}
		slices.Sort(want)
		want = slices.Compact(want)

		lim, err := CheckList(prefix, after, limit)
		var page []string
		more := false
		if err == nil {
			for _, k := range want {
				if strings.HasPrefix(k, prefix) && k > after {
					if len(page) == lim {
						more = true
						break
					}
					page = append(page, k)
				}
			}
		}
		for name, s := range map[string]Store{"memory": mem, "bbolt": durable} {
			// A fresh bucket per input (the durable Store's outlive inputs).
			b, berr := s.Bucket("fuzz-" + strings.Repeat("x", n%3) + "-" + FormatID(uint64(n)))
			if berr != nil {
				t.Fatal(berr)
			}
			for _, k := range want {
				if err := b.Put(ctx, k, nil); err != nil {
					t.Fatal(err)
				}
			}
			got, gotMore, gotErr := b.List(ctx, prefix, after, limit)
			if (err == nil) != (gotErr == nil) {
				t.Fatalf("%s: List(%q, %q, %d) error %v, want %v", name, prefix, after, limit, gotErr, err)
			}
			if !slices.Equal(page, got) || more != gotMore {
				t.Fatalf("%s: List(%q, %q, %d) over %q = %q, %v; want %q, %v", name, prefix, after, limit, want, got, gotMore, page, more)
			}
		}
	})
}
