package gateway

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// tlsKey marks, in a request's user values, a request that came over TLS
// through ServeHTTP (fasthttp cannot tell: its connection is not the
// client's).
type tlsKey struct{}

// doneKey holds, in a request's user values, a channel closed when the
// client of a ServeHTTP request has gone away.
type doneKey struct{}

// ServeHTTP serves the gateway to a net/http server, so that a Go program
// can mount Flint's API in its own mux:
//
//	mux.Handle("/", gw)
//
// Routes are the gateway's own paths (/2015-03-31/..., /fn/..., /flint/v1/...),
// which the AWS SDKs expect at the root of their endpoint: mount it at "/",
// or strip a prefix first (http.StripPrefix). The request is copied into a
// fasthttp request, its body read up to Config.MaxBodyBytes, and the
// response copied back; streamed responses (logs?follow=1) are flushed as
// they are written. Serve, the gateway's own fasthttp server, is the faster
// path.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req fasthttp.Request
	req.Header.SetMethod(r.Method)
	req.SetRequestURI(r.URL.RequestURI())
	req.Header.SetHost(r.Host)
	req.Header.SetProtocol(r.Proto)
	for name, values := range r.Header {
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(g.cfg.MaxBodyBytes)+1))
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, remoteAddr(r.RemoteAddr), fasthttpLogger{g.cfg.Logger})
	if r.TLS != nil {
		ctx.SetUserValue(tlsKey{}, true)
	}
	ctx.SetUserValue(doneKey{}, r.Context().Done())
	switch {
	case err != nil:
		g.readError(&ctx, err)
	case len(body) > g.cfg.MaxBodyBytes:
		g.readError(&ctx, fasthttp.ErrBodyTooLarge)
	default:
		ctx.Request.SetBodyRaw(body)
		g.serve(&ctx)
	}
	writeResponse(w, &ctx.Response)
}

// remoteAddr parses a net/http RemoteAddr ("ip:port").
func remoteAddr(s string) net.Addr {
	addr, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		return &net.TCPAddr{}
	}
	return addr
}

// writeResponse copies a fasthttp response to w: a streamed body is copied
// as it is produced, flushing after every write.
func writeResponse(w http.ResponseWriter, resp *fasthttp.Response) {
	h := w.Header()
	for name, value := range resp.Header.All() {
		switch n := string(name); {
		case strings.EqualFold(n, "Content-Length"), strings.EqualFold(n, "Connection"),
			strings.EqualFold(n, "Transfer-Encoding"), strings.EqualFold(n, "Server"), strings.EqualFold(n, "Date"):
		default:
			h.Add(n, string(value))
		}
	}
	if ct := resp.Header.ContentType(); len(ct) > 0 && h.Get("Content-Type") == "" {
		h.Set("Content-Type", string(ct))
	}
	w.WriteHeader(resp.StatusCode())
	if !resp.IsBodyStream() {
		_, _ = w.Write(resp.Body())
		return
	}
	stream := resp.BodyStream()
	defer resp.CloseBodyStream()
	fw := flushWriter{w: w}
	if f, ok := w.(http.Flusher); ok {
		fw.f = f
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := stream.Read(buf)
		if n > 0 {
			if _, werr := fw.Write(buf[:n]); werr != nil {
				return // the client went away
			}
		}
		switch {
		case err == io.EOF:
			return
		case err != nil:
			// The body failed halfway (a function that failed after
			// its response had started): abort, so that the client
			// sees an incomplete response rather than a short one.
			panic(http.ErrAbortHandler)
		}
	}
}

// flushWriter flushes after every write: a streamed body reaches the client
// as the handler writes it.
type flushWriter struct {
	w io.Writer
	f http.Flusher
}

func (fw flushWriter) Write(p []byte) (int, error) {
	n, err := fw.w.Write(p)
	if fw.f != nil {
		fw.f.Flush()
	}
	return n, err
}

// clientGone returns a channel closed when the client of a streamed
// response goes away.
func clientGone(ctx *fasthttp.RequestCtx) <-chan struct{} {
	if done, ok := ctx.UserValue(doneKey{}).(<-chan struct{}); ok {
		return done
	}
	gone := make(chan struct{})
	conn := ctx.Conn()
	if conn == nil {
		return gone
	}
	// Nothing is read after the request, so a read ending says the client
	// went away (as net/http notices it). The request's read deadline
	// would end the stream.
	_ = conn.SetReadDeadline(time.Time{})
	go func() {
		var b [1]byte
		for {
			if _, err := conn.Read(b[:]); err != nil {
				close(gone)
				return
			}
		}
	}()
	return gone
}

// streamUntil runs fn with a context that ends when the client goes away,
// Shutdown starts, or fn returns.
func (g *Gateway) streamUntil(ctx *fasthttp.RequestCtx, w *bufio.Writer, fn func(context.Context, *bufio.Writer)) {
	gone := clientGone(ctx)
	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-sctx.Done():
		case <-g.stopping:
		case <-gone:
		}
		cancel()
	}()
	fn(sctx, w)
}
