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
//	{"op":"tmp-hold","path":P,"data":D,"wait":K} -> {"existed":bool,"read":...}:
//	    whether P was in /tmp, then writes D to it, waits until K is in
//	    "sync", and reads it back
//	{"op":"tmp-writeat","path":P,"offset":N,"data":D} -> writes D at N in P
//	{"op":"tmp-read","path":P}           -> {"read":...}
//	{"op":"tmp-remove","path":P}         -> removes P
//
// A failed file operation is a handled error whose type names the errno
// (ENOENT, ENOSPC, ...).
//
// It needs kv:Get and kv:Put on kv:sync/*.
package main

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
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
	Path   string   `json:"path"`
	Data   string   `json:"data"`
	Offset int64    `json:"offset"`
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

// fileError is a handled error whose type names err's errno.
func fileError(err error) error {
	typ := "Error"
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOENT:
			typ = "ENOENT"
		case syscall.ENOSPC:
			typ = "ENOSPC"
		case syscall.EACCES:
			typ = "EACCES"
		default:
			typ = "errno " + strconv.Itoa(int(errno))
		}
	}
	return &guest.Error{Type: typ, Message: err.Error()}
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
		case ev.Op == "tmp-hold":
			_, err := os.Stat(ev.Path)
			existed := err == nil
			if err := os.WriteFile(ev.Path, []byte(ev.Data), 0o600); err != nil {
				return fileError(err)
			}
			if err := wait(ctx, ev.Wait); err != nil {
				return err
			}
			b, err := os.ReadFile(ev.Path)
			if err != nil {
				return fileError(err)
			}
			return json.NewEncoder(w).Encode(map[string]any{"existed": existed, "read": string(b)})
		case ev.Op == "tmp-writeat":
			f, err := os.OpenFile(ev.Path, os.O_WRONLY|os.O_CREATE, 0o600)
			if err != nil {
				return fileError(err)
			}
			defer f.Close()
			if _, err := f.WriteAt([]byte(ev.Data), ev.Offset); err != nil {
				return fileError(err)
			}
			return nil
		case ev.Op == "tmp-remove":
			if err := os.Remove(ev.Path); err != nil {
				return fileError(err)
			}
			return nil
		case ev.Op == "tmp-read":
			b, err := os.ReadFile(ev.Path)
			if err != nil {
				return fileError(err)
			}
			return json.NewEncoder(w).Encode(map[string]any{"read": string(b)})
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
