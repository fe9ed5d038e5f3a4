// Command memcounter is the Flint function of the engine's snapshot tests
// (snapshot_test.go): it keeps state in package variables, so a test can
// see where an instance started from and whether two instances share
// anything.
//
// Package init sets base to 1000 (the state a snapshot captures);
// flint_init (guest.OnInit) counts its runs in inits and draws initNonce
// from the clock and the random source, so it differs in every instance
// whose flint_init ran on its own. Every invocation increments count and
// returns
//
//	{"count":N,"base":1000,"inits":1,"nonce":"...","file":"...","kv":"..."}
//
// The payload picks what else happens: {"op":"panic"} panics (a trap),
// {"op":"spin"} loops until stopped, {"op":"grow","mb":N} allocates and
// keeps N MiB (the memory grows), {"op":"hold","ms":N} spins N
// milliseconds before answering, {"op":"sleep"} sleeps until stopped (both
// hold an instance busy).
//
// With INIT_KV set, package init reads key "k" of store "s" (a capability
// call during init); with INIT_FILE set, it reads that file; what they got
// is returned as "kv" and "file".
package main

import (
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/kv"
)

func main() {}

var (
	base      int
	count     int
	inits     int
	initNonce string
	fromKV    string
	fromFile  string
	hoard     [][]byte
)

// Event is memcounter's input.
type Event struct {
	Op string `json:"op"`
	MB int    `json:"mb"`
	MS int    `json:"ms"`
}

// Response is memcounter's output.
type Response struct {
	Count int    `json:"count"`
	Base  int    `json:"base"`
	Inits int    `json:"inits"`
	Nonce string `json:"nonce"`
	File  string `json:"file,omitempty"`
	KV    string `json:"kv,omitempty"`
}

var sink int

func init() {
	base = 1000
	if os.Getenv("INIT_KV") != "" {
		v, err := kv.Open("s").Get("k")
		switch {
		case err != nil:
			fromKV = "error: " + err.Error()
		default:
			fromKV = string(v)
		}
	}
	if name := os.Getenv("INIT_FILE"); name != "" {
		b, err := os.ReadFile(name)
		if err != nil {
			fromFile = "error: " + err.Error()
		} else {
			fromFile = string(b)
		}
	}
	guest.OnInit(func() error {
		inits++
		initNonce = strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatUint(rand.Uint64(), 36)
		guest.Log(guest.LevelInfo, "flint_init ran")
		return nil
	})
	guest.HandleJSON(func(_ guest.Context, ev Event) (Response, error) {
		count++
		switch ev.Op {
		case "panic":
			panic("memcounter panics")
		case "spin":
			for {
				sink++
			}
		case "grow":
			for range ev.MB {
				chunk := make([]byte, 1<<20)
				for j := range chunk {
					chunk[j] = byte(j)
				}
				hoard = append(hoard, chunk)
			}
		case "sleep":
			time.Sleep(time.Hour)
		case "hold":
			start := time.Now()
			for time.Since(start) < time.Duration(ev.MS)*time.Millisecond {
				sink++
			}
		case "", "count":
		default:
			return Response{}, errors.New("unknown op " + ev.Op)
		}
		return Response{Count: count, Base: base, Inits: inits, Nonce: initNonce, File: fromFile, KV: fromKV}, nil
	})
}
