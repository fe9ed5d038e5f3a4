// Package kv reads and writes Flint's named key-value stores from a
// function.
//
//	counters := kv.Open("counters")
//	v, err := counters.Get("hits")
//	if errors.Is(err, guest.ErrNotFound) { ... }
//	err = counters.Put("hits", []byte("1"))
//
// Stores are shared by every function whose execution policy names them: a
// store belongs to no function. Each call is checked against the policy as
// the action kv:Get, kv:Put, kv:Delete or kv:List on the resource
// kv:STORE/KEY (kv:STORE/PREFIX for List); a denied call returns a
// *guest.DeniedError. Keys are at most 1024 bytes and values at most the
// engine's limit (1 MiB by default); larger ones fail with an error
// matching guest.ErrTooLarge.
//
// There is no compare-and-swap: two instances that read, change and write
// the same key concurrently can lose an update.
package kv

import (
	"encoding/binary"
	"errors"
	"iter"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/internal/host"
)

// MaxListLimit is the most keys one List call returns.
const MaxListLimit = 1000

// Store is a named key-value store. Its zero value names no store; its
// calls fail with an invalid-argument *guest.HostError.
type Store struct {
	name string
}

// Open returns the store called name. Use 1-64 characters of
// A-Z a-z 0-9 _ . -, the store names a policy can name (abi/POLICY.md).
// Opening checks nothing and costs nothing; the host checks the name and
// the policy on every call.
func Open(name string) Store { return Store{name: name} }

// Name returns the store's name.
func (s Store) Name() string { return s.name }

// Get returns the value of key. A missing key is an error matching
// guest.ErrNotFound.
func (s Store) Get(key string) ([]byte, error) {
	r := host.KVGet(host.String(s.name), uint32(len(s.name)), host.String(key), uint32(len(key)))
	v, errno := host.Result(r)
	if errno != 0 {
		return nil, s.error("kv_get", errno, "kv:Get", key)
	}
	return v, nil
}

// Put sets key to value.
func (s Store) Put(key string, value []byte) error {
	r := host.KVPut(host.String(s.name), uint32(len(s.name)), host.String(key), uint32(len(key)),
		host.Bytes(value), uint32(len(value)))
	if r < 0 {
		return s.error("kv_put", -r, "kv:Put", key)
	}
	return nil
}

// Delete removes key. Deleting a missing key is not an error.
func (s Store) Delete(key string) error {
	r := host.KVDelete(host.String(s.name), uint32(len(s.name)), host.String(key), uint32(len(key)))
	if r < 0 {
		return s.error("kv_delete", -r, "kv:Delete", key)
	}
	return nil
}

// List returns, in ascending byte order, up to limit keys that start with
// prefix and sort after after ("" lists from the first key), and whether
// more follow: pass the last key as after to continue. A limit below 1 or
// above MaxListLimit means MaxListLimit. The policy is checked on
// kv:STORE/PREFIX, so listing a whole store needs kv:List on kv:STORE/ (or
// kv:STORE/*).
func (s Store) List(prefix, after string, limit int) (keys []string, more bool, err error) {
	if limit < 1 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	r := host.KVList(host.String(s.name), uint32(len(s.name)), host.String(prefix), uint32(len(prefix)),
		host.String(after), uint32(len(after)), uint32(limit))
	b, errno := host.Result(r)
	if errno != 0 {
		return nil, false, s.error("kv_list", errno, "kv:List", prefix)
	}
	keys, more, err = decodeKeys(b)
	if err != nil {
		return nil, false, err
	}
	return keys, more, nil
}

// Keys iterates over every key that starts with prefix, in ascending byte
// order, listing MaxListLimit keys per host call. It yields ("", err) and
// stops when a call fails.
//
//	for key, err := range store.Keys("user-") {
//		if err != nil {
//			return err
//		}
//		...
//	}
func (s Store) Keys(prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		after := ""
		for {
			keys, more, err := s.List(prefix, after, MaxListLimit)
			if err != nil {
				yield("", err)
				return
			}
			for _, k := range keys {
				if !yield(k, nil) {
					return
				}
			}
			// A host that claims more but returns nothing would loop forever.
			if !more || len(keys) == 0 {
				return
			}
			after = keys[len(keys)-1]
		}
	}
}

// error is the error of a call on key (or, for List, prefix) that failed
// with errno.
func (s Store) error(call string, errno int32, action, key string) error {
	if errno == host.Denied {
		return &guest.DeniedError{Action: action, Resource: resource(s.name, key)}
	}
	return &guest.HostError{Call: call, Errno: errno}
}

// resource is the resource the host checks a call on store and key (or
// prefix) against: kv:STORE/KEY.
func resource(store, key string) string { return "kv:" + store + "/" + key }

// errBadList reports a kv_list result that does not follow the encoding.
var errBadList = errors.New("kv: the host's list result is malformed")

// decodeKeys decodes kv_list's result: a little-endian u32 count, a byte
// that is 1 when more keys follow, then per key a little-endian u32
// length and the key's bytes. It trusts nothing in b.
func decodeKeys(b []byte) (keys []string, more bool, err error) {
	if len(b) < 5 || b[4] > 1 {
		return nil, false, errBadList
	}
	count := binary.LittleEndian.Uint32(b)
	more = b[4] == 1
	b = b[5:]
	// Each key takes at least 4 bytes, which bounds the allocation by
	// the result's size whatever count claims.
	if uint64(count) > uint64(len(b))/4 {
		return nil, false, errBadList
	}
	keys = make([]string, 0, count)
	for range count {
		if len(b) < 4 {
			return nil, false, errBadList
		}
		n := binary.LittleEndian.Uint32(b)
		b = b[4:]
		if uint64(n) > uint64(len(b)) {
			return nil, false, errBadList
		}
		keys = append(keys, string(b[:n]))
		b = b[n:]
	}
	if len(b) != 0 {
		return nil, false, errBadList
	}
	return keys, more, nil
}
