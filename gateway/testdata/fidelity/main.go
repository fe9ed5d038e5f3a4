// Command fidelity is the gateway tests' Go function for what Lambda users
// reach for after the basics: its invoked ARN, a streamed response that
// waits for the test between pieces, and its /tmp.
//
// Events (JSON):
//
//	{"op":"arn"}                         -> the invoked function ARN
//	{"op":"set","key":K}                 -> puts K in the key-value store "sync"
//	{"op":"stream","chunks":[...],"wait":K} -> writes and flushes the first
//	    chunk, waits until K is in "sync" (when K is given), then writes and
//	    flushes each other chunk
//	a function URL event for /stream/K   -> a streamed HTTP response: a
//	    prelude (200, text/plain), "chunk 1\n", flushed, then, once K is in
//	    "sync", "chunk 2\n" and "chunk 3\n", each flushed
//	a function URL event for /raw        -> "raw 1\n", flushed, then "raw 2\n":
//	    a stream without a prelude
//	a function URL event for /fail       -> a prelude and "partial\n",
//	    flushed, then a handled error
//
// It needs kv:Get and kv:Put on kv:sync/*.
package main

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/kv"
)

func main() {}

type event struct {
	Op     string   `json:"op"`
	Key    string   `json:"key"`
	Chunks []string `json:"chunks"`
	Wait   string   `json:"wait"`
	// A function URL event's path.
	RawPath string `json:"rawPath"`
}

var sync = kv.Open("sync")

// wait polls the store until key is there or the invocation's time is up.
func wait(ctx guest.Context, key string) error {
	for {
		_, err := sync.Get(key)
		if err == nil {
			return nil
		}
		if !errors.Is(err, guest.ErrNotFound) {
			return err
		}
		if ctx.RemainingTime() < 100*time.Millisecond {
			return errors.New("gave up waiting for " + key)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func init() {
	guest.HandleStream(func(ctx guest.Context, payload []byte, w *guest.ResponseWriter) error {
		var ev event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return &guest.Error{Type: "InvalidEvent", Message: err.Error()}
		}
		switch {
		case ev.RawPath == "/raw":
			w.WriteString("raw 1\n")
			if err := w.Flush(); err != nil {
				return err
			}
			_, err := w.WriteString("raw 2\n")
			return err
		case ev.RawPath == "/fail":
			w.WriteString(`{"statusCode":200}` + "\x00\x00\x00\x00\x00\x00\x00\x00" + "partial\n")
			if err := w.Flush(); err != nil {
				return err
			}
			return &guest.Error{Type: "Broken", Message: "failed halfway"}
		case ev.RawPath != "":
			key, ok := strings.CutPrefix(ev.RawPath, "/stream/")
			if !ok {
				_, err := w.WriteString(`{"statusCode":404}`)
				return err
			}
			w.WriteString(`{"statusCode":200,"headers":{"content-type":"text/plain"}}` + "\x00\x00\x00\x00\x00\x00\x00\x00")
			w.WriteString("chunk 1\n")
			if err := w.Flush(); err != nil {
				return err
			}
			if err := wait(ctx, key); err != nil {
				return err
			}
			for _, c := range []string{"chunk 2\n", "chunk 3\n"} {
				w.WriteString(c)
				if err := w.Flush(); err != nil {
					return err
				}
			}
			return nil
		case ev.Op == "arn":
			_, err := w.WriteString(`"` + ctx.InvokedFunctionARN() + `"`)
			return err
		case ev.Op == "set":
			return sync.Put(ev.Key, []byte("1"))
		case ev.Op == "stream":
			for i, c := range ev.Chunks {
				if i == 1 && ev.Wait != "" {
					if err := wait(ctx, ev.Wait); err != nil {
						return err
					}
				}
				w.WriteString(c)
				if err := w.Flush(); err != nil {
					return err
				}
			}
			return nil
		}
		return &guest.Error{Type: "UnknownOp", Message: ev.Op}
	})
}
