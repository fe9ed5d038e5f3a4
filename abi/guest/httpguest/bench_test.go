package httpguest

import (
	"context"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"runtime"
	"strings"
	"testing"
)

// These benchmarks mean most inside WebAssembly, where a function runs
// them: `make bench-guest` runs them there (in wazero) and natively.

// benchMessage is the request the gateway's loopback benchmark sends:
// POST /echo with a 14-byte body, as a fasthttp client writes it.
const benchMessage = "POST /echo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: fasthttp\r\n" +
	"Content-Type: application/json\r\nFlint-Source-Ip: 127.0.0.1\r\nContent-Length: 14\r\n\r\n{\"name\":\"ana\"}"

// BenchmarkServeMessage is the message path's guest work per request: the
// request parsed ("parse"), served by a handler that does nothing, by an
// echo handler, and by the echo handler behind a ServeMux of httpapp's
// shape (guest-examples/httpapp).
func BenchmarkServeMessage(b *testing.B) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.Write(body)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /hello/{name}", func(http.ResponseWriter, *http.Request) {})
	mux.Handle("POST /echo", echo)
	mux.HandleFunc("GET /headers", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/request", func(http.ResponseWriter, *http.Request) {})
	msg := []byte(benchMessage)
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := readMessage(context.Background(), msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, h := range []struct {
		name string
		h    http.Handler
	}{
		{"nothing", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})},
		{"echo", echo},
		{"mux-echo", mux},
	} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ServeMessage(context.Background(), h.h, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPieces times the pieces of Go a request costs, to compare
// WebAssembly with native code: an allocation, a small map, a header
// name made canonical, a URL parsed, a request given a context, and
// searches in a string.
func BenchmarkPieces(b *testing.B) {
	var keep any
	b.Run("alloc64", func(b *testing.B) {
		for b.Loop() {
			keep = make([]byte, 64)
		}
	})
	b.Run("map5", func(b *testing.B) {
		for b.Loop() {
			m := make(http.Header, 5)
			m["A"] = nil
			m["Bbbbbbb"] = nil
			m["Content-Type"] = nil
			m["User-Agent"] = nil
			m["Content-Length"] = nil
			keep = m
		}
	})
	b.Run("canonical", func(b *testing.B) {
		for b.Loop() {
			keep = textproto.CanonicalMIMEHeaderKey("content-type")
		}
	})
	b.Run("url", func(b *testing.B) {
		for b.Loop() {
			keep, _ = url.ParseRequestURI("/echo")
		}
	})
	b.Run("with-context", func(b *testing.B) {
		r := &http.Request{}
		for b.Loop() {
			keep = r.WithContext(context.Background())
		}
	})
	b.Run("index", func(b *testing.B) {
		s := strings.Repeat("x", 150) + "\r\n\r\n"
		for b.Loop() {
			keep = strings.Index(s, "\n\r\n")
		}
	})
	runtime.KeepAlive(keep)
}
