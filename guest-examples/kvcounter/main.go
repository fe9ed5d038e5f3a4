// Command kvcounter is a Flint function that counts: it increments a
// counter in the key-value store "counters" and returns its new value.
//
//	{"key":"x"} -> {"key":"x","count":1}, then {"key":"x","count":2}, ...
//	{}          -> {"key":"hits","count":N}   (the key defaults to "hits")
//
// The count is stored as decimal text under the key ("7"). A stored value
// that is not a count is a handled error of type "CorruptCounter"; a key
// over 1024 bytes one of type "Error" ("flint: kv_get: too large: ..."); a
// payload that is not JSON one of type "InvalidEvent". The read and
// the write are separate calls, so concurrent invocations on different
// instances can lose increments: the store has no compare-and-swap.
//
// It needs this execution policy:
//
//	{"Version": "2026-11-01", "Statement": [
//	  {"Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": ["kv:counters/*"]}]}
//
// Without it the invocation fails with a handled error of type "Denied":
// "flint: kv:Get on kv:counters/hits denied by the function's execution
// policy".
package main

import (
	"errors"
	"strconv"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/kv"
)

func main() {}

// Event is kvcounter's input.
type Event struct {
	Key string `json:"key"`
}

// Response is kvcounter's output.
type Response struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

func init() {
	counters := kv.Open("counters")
	guest.HandleJSON(func(_ guest.Context, ev Event) (Response, error) {
		key := ev.Key
		if key == "" {
			key = "hits"
		}
		var count int64
		switch v, err := counters.Get(key); {
		case errors.Is(err, guest.ErrNotFound):
			// A new counter starts at zero.
		case err != nil:
			return Response{}, err
		default:
			if count, err = strconv.ParseInt(string(v), 10, 64); err != nil {
				return Response{}, &guest.Error{Type: "CorruptCounter", Message: "counter " + strconv.Quote(key) + " holds " + strconv.Quote(string(v)) + ", not a count"}
			}
		}
		count++
		if err := counters.Put(key, strconv.AppendInt(nil, count, 10)); err != nil {
			return Response{}, err
		}
		return Response{Key: key, Count: count}, nil
	})
}
