package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/smithy-go/eventstream"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway/urlevent"
	"github.com/valyala/fasthttp"
)

// Streamed responses: InvokeWithResponseStream (the Lambda API's event
// stream) and function URLs whose InvokeMode is RESPONSE_STREAM (chunked
// HTTP). The invocation runs on its own goroutine and writes what the
// function flushes into a pipe, which fasthttp reads and sends as chunks
// once the handler has returned with the response's status and headers.

// streamGrace is how long past a function's timeout a streamed response
// may stay blocked on a slow client before the gateway gives up on it.
const streamGrace = 5 * time.Second

// errStreamTimeUp fails the writes of a stream whose client is too slow.
var errStreamTimeUp = errors.New("gateway: the client did not read the streamed response in time")

// pipe carries a streamed response from the invocation to fasthttp. Writes
// fail once fasthttp has closed the reader (the client went away) or the
// function's time (plus streamGrace) is up, so a stalled client cannot hold
// an instance past its timeout.
type pipe struct {
	r     *io.PipeReader
	w     *io.PipeWriter
	timer *time.Timer
}

func newPipe(limit time.Duration) *pipe {
	r, w := io.Pipe()
	p := &pipe{r: r, w: w}
	p.timer = time.AfterFunc(limit+streamGrace, func() { _ = r.CloseWithError(errStreamTimeUp) })
	return p
}

// end closes the writing side: err nil ends the response normally, else
// fasthttp drops the connection before the terminating chunk, so the
// client sees an incomplete response rather than a short one.
func (p *pipe) end(err error) {
	p.timer.Stop()
	if err != nil {
		_ = p.w.CloseWithError(err)
		return
	}
	_ = p.w.Close()
}

// streamed is the outcome of a streamed invocation.
type streamed struct {
	res *engine.Result
	err error
}

// startStream runs the invocation of f on payload in the background with
// w as its response stream, counted in the gateway's requests in flight
// (Shutdown waits for it). done receives its outcome; then finish runs.
func (g *Gateway) startStream(f fnRef, payload []byte, id string, w io.Writer, finish func(streamed)) {
	g.inflight.Add(1)
	go func() {
		defer g.inflight.Done()
		// Not the request's context: the response outlives the handler.
		res, err := g.eng.Invoke(context.Background(), f.target(), payload, engine.WithRequestID(id), engine.WithResponseStream(w))
		finish(streamed{res: res, err: err})
	}()
}

// ---- InvokeWithResponseStream ----

// eventStream is the response stream of InvokeWithResponseStream: each
// write is a PayloadChunk event of the AWS event stream encoding.
type eventStream struct {
	pipe    *pipe
	enc     *eventstream.Encoder
	started chan string // the version, when the handler is about to run
}

var _ engine.StreamStarter = (*eventStream)(nil)

func (s *eventStream) StartStream(version string) {
	select {
	case s.started <- version:
	default:
	}
}

func (s *eventStream) Write(p []byte) (int, error) {
	msg := eventstream.Message{Payload: p}
	msg.Headers.Set(eventstream.EventTypeHeader, eventstream.StringValue("PayloadChunk"))
	msg.Headers.Set(eventstream.ContentTypeHeader, eventstream.StringValue("application/octet-stream"))
	msg.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(eventstream.EventMessageType))
	if err := s.enc.Encode(s.pipe.w, msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

// complete writes the InvokeComplete event that ends the stream: the
// function's error, if any, and the log tail when asked for.
func (s *eventStream) complete(res *engine.Result, tail bool) error {
	var body struct {
		ErrorCode    string `json:",omitempty"`
		ErrorDetails string `json:",omitempty"`
		LogResult    string `json:",omitempty"`
	}
	if fe := res.FunctionError; fe != nil {
		body.ErrorCode, body.ErrorDetails = fe.Type, fe.Message
	}
	if tail {
		body.LogResult = logTail(res.Log())
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	msg := eventstream.Message{Payload: payload}
	msg.Headers.Set(eventstream.EventTypeHeader, eventstream.StringValue("InvokeComplete"))
	msg.Headers.Set(eventstream.ContentTypeHeader, eventstream.StringValue("application/json"))
	msg.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(eventstream.EventMessageType))
	return s.enc.Encode(s.pipe.w, msg)
}

// invokeStream serves InvokeWithResponseStream: the function's response as
// an event stream of PayloadChunk events, one per flush, and a final
// InvokeComplete event carrying its error, if it failed, and the log tail.
func (g *Gateway) invokeStream(c *call) error {
	f := c.fn
	ctx := c.ctx
	if !c.key.Admin && !g.permits(f, c.key.AccessKeyID, engine.ActionInvokeFunction, "") {
		return apiErr("AccessDeniedException", "User: %s is not authorized to perform: lambda:InvokeFunction on resource: %s because no resource-based policy allows it",
			c.key.AccessKeyID, g.functionArn(f.name, f.qualifier))
	}
	payload := ctx.PostBody()
	if len(payload) > 0 && !json.Valid(payload) {
		return apiErr("InvalidRequestContentException", "Could not parse request body into json: the payload must be JSON")
	}
	tail := false
	switch lt := string(ctx.Request.Header.Peek("X-Amz-Log-Type")); lt {
	case "", "None":
	case "Tail":
		tail = true
	default:
		return invalidParam("X-Amz-Log-Type %q: use None or Tail", lt)
	}
	info, err := g.eng.Function(f.target())
	if err != nil {
		return err
	}
	switch typ := string(ctx.Request.Header.Peek("X-Amz-Invocation-Type")); typ {
	case "", "RequestResponse":
	case "DryRun":
		ctx.SetStatusCode(http.StatusNoContent)
		return nil
	default:
		return invalidParam("X-Amz-Invocation-Type %q: use RequestResponse or DryRun", typ)
	}

	// A copy: the request's body is fasthttp's, reused once the handler
	// returns, and the invocation outlives it.
	payload = bytes.Clone(payload)
	s := &eventStream{pipe: newPipe(info.Timeout), enc: eventstream.NewEncoder(), started: make(chan string, 1)}
	done := make(chan streamed, 1)
	id := c.requestID()
	g.startStream(f, payload, id, s, func(out streamed) {
		if out.err == nil {
			if err := s.complete(out.res, tail); err != nil {
				out.err = err
			}
		}
		done <- out
		s.pipe.end(out.err)
	})

	var version string
	select {
	case version = <-s.started:
	case out := <-done:
		if out.err != nil {
			// Nothing was sent: the error is an ordinary API error.
			return out.err
		}
		version = out.res.Version // no instance could be made: InvokeComplete says why
	}
	ctx.SetStatusCode(http.StatusOK)
	ctx.Response.Header.Set("X-Amz-Executed-Version", version)
	ctx.SetContentType("application/vnd.amazon.eventstream")
	ctx.Response.ImmediateHeaderFlush = true
	ctx.Response.SetBodyStream(s.pipe.r, -1)
	return nil
}

// ---- function URLs in RESPONSE_STREAM mode ----

// urlStream is the response stream of a function URL in RESPONSE_STREAM
// mode. It holds the response's first bytes until they show whether it
// starts with a prelude (status, headers and cookies, then the delimiter)
// and then hands the handler the head, after which bytes go straight to
// the pipe.
type urlStream struct {
	pipe *pipe
	max  int // the most bytes held while the head is unknown

	mu   sync.Mutex
	buf  []byte
	head chan urlHead // receives the head once decided
	sent bool
}

// urlHead is how a streamed URL response starts.
type urlHead struct {
	resp urlevent.Response // status, headers, cookies; Body unused
	raw  bool              // no prelude: 200, application/octet-stream
	err  error             // a prelude that is not valid
}

func (s *urlStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	if s.sent {
		s.mu.Unlock()
		return s.pipe.w.Write(p)
	}
	s.buf = append(s.buf, p...)
	found, n := urlevent.FindPrelude(s.buf)
	if found == urlevent.PreludeUnknown && len(s.buf) <= s.max {
		s.mu.Unlock()
		return len(p), nil
	}
	var h urlHead
	body := s.buf
	switch found {
	case urlevent.PreludeFound:
		h.resp, h.err = urlevent.ParsePrelude(s.buf[:n-len(urlevent.Delimiter)])
		body = s.buf[n:]
	default:
		h.raw = true
	}
	s.sent, s.buf = true, nil
	s.mu.Unlock()
	s.head <- h
	if h.err != nil {
		return 0, h.err
	}
	if len(body) > 0 {
		if _, err := s.pipe.w.Write(body); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// held returns the bytes held while the head was unknown, and whether the
// head was sent.
func (s *urlStream) held() ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf, s.sent
}

// streamURL serves a function URL whose InvokeMode is RESPONSE_STREAM: the
// function's response reaches the client as chunked HTTP, each flush a
// chunk. A response that starts with a prelude gets its status, headers and
// cookies; one that does not is sent as a 200 application/octet-stream
// body, as Lambda sends it; one that never flushed and is a structured
// response (a buffered function) is answered as in BUFFERED mode. A
// function that fails after its response has started ends it without the
// terminating chunk, so the client sees it incomplete.
func (g *Gateway) streamURL(c *call, f fnRef, ev []byte) {
	ctx := c.ctx
	info, err := g.eng.Function(f.target())
	if err != nil {
		g.urlInvokeError(ctx, err)
		return
	}
	s := &urlStream{pipe: newPipe(info.Timeout), max: g.maxHeld(), head: make(chan urlHead, 1)}
	done := make(chan streamed, 1)
	g.startStream(f, ev, c.id, s, func(out streamed) {
		done <- out
		switch {
		case out.err != nil:
			s.pipe.end(out.err)
		case out.res.FunctionError != nil:
			s.pipe.end(out.res.FunctionError)
		default:
			s.pipe.end(nil)
		}
	})

	select {
	case h := <-s.head:
		if h.err != nil {
			g.cfg.Logger.Warn("function URL response", "function", f.target(), "err", h.err)
			urlError(ctx, http.StatusBadGateway, "Internal Server Error")
			return
		}
		if h.raw {
			ctx.SetStatusCode(http.StatusOK)
			ctx.SetContentType("application/octet-stream")
		} else {
			writeURLHead(ctx, h.resp)
		}
		ctx.Response.ImmediateHeaderFlush = true
		ctx.Response.SetBodyStream(s.pipe.r, -1)
	case out := <-done:
		// Over before it was known how the response starts: answer with
		// what the function wrote, as a buffered URL would.
		if _, sent := s.held(); sent {
			// The head came with the last write: take it.
			h := <-s.head
			if h.err != nil || out.err != nil || out.res.FunctionError != nil {
				_ = s.pipe.r.Close()
				urlError(ctx, http.StatusBadGateway, "Internal Server Error")
				return
			}
			if h.raw {
				ctx.SetStatusCode(http.StatusOK)
				ctx.SetContentType("application/octet-stream")
			} else {
				writeURLHead(ctx, h.resp)
			}
			ctx.Response.SetBodyStream(s.pipe.r, -1)
			return
		}
		_ = s.pipe.r.Close()
		if out.err != nil {
			g.urlInvokeError(ctx, out.err)
			return
		}
		if out.res.FunctionError != nil {
			urlError(ctx, http.StatusBadGateway, "Internal Server Error")
			return
		}
		held, _ := s.held()
		g.writeURLResponse(ctx, f, held)
	}
}

// maxHeld is the most of a streamed response held back while it is not
// known whether it starts with a prelude: a structured response is at most
// the engine's response limit.
func (g *Gateway) maxHeld() int { return engine.DefaultMaxResponseBytes }

// writeURLHead sets a function URL response's status, headers and cookies.
func writeURLHead(ctx *fasthttp.RequestCtx, resp urlevent.Response) {
	ctx.SetStatusCode(resp.Status)
	for _, h := range resp.Headers {
		switch name := h.Name; {
		case equalFold(name, "content-length"), equalFold(name, "transfer-encoding"), equalFold(name, "connection"):
			continue // framing is the server's
		}
		ctx.Response.Header.Set(h.Name, h.Value)
	}
	for _, ck := range resp.Cookies {
		ctx.Response.Header.Add("Set-Cookie", ck)
	}
}

func equalFold(a, b string) bool { return len(a) == len(b) && bytes.EqualFold([]byte(a), []byte(b)) }

// urlInvokeError answers a function URL request whose invocation could not
// run, as Lambda's URLs do.
func (g *Gateway) urlInvokeError(ctx *fasthttp.RequestCtx, err error) {
	ae := fromEngine(err)
	msg := http.StatusText(ae.Status)
	if ae.Status == http.StatusTooManyRequests {
		msg = "Rate Exceeded."
	}
	urlError(ctx, ae.Status, msg)
}

// writeURLResponse answers with a function's whole response: structured,
// inferred, or framed as a streamed one.
func (g *Gateway) writeURLResponse(ctx *fasthttp.RequestCtx, f fnRef, payload []byte) {
	resp, err := urlevent.ParseAny(payload)
	if err != nil {
		g.cfg.Logger.Warn("function URL response", "function", f.target(), "err", err)
		urlError(ctx, http.StatusBadGateway, "Internal Server Error")
		return
	}
	writeURLHead(ctx, resp)
	ctx.SetBody(resp.Body)
}

// writeURLMessage answers with a function's HTTP/1.1 response message
// (urlevent.ParseMessage): every header field as the function sent it, a
// repeated name repeated; a message that is not valid is a 502.
func (g *Gateway) writeURLMessage(ctx *fasthttp.RequestCtx, f fnRef, msg []byte) {
	resp, err := urlevent.ParseMessage(msg)
	if err != nil {
		g.cfg.Logger.Warn("function URL response", "function", f.target(), "err", err)
		urlError(ctx, http.StatusBadGateway, "Internal Server Error")
		return
	}
	ctx.SetStatusCode(resp.Status)
	for _, h := range resp.Headers {
		switch name := h.Name; {
		case equalFold(name, "connection"):
			continue // the server's
		case equalFold(name, "content-type"), equalFold(name, "server"), equalFold(name, "date"):
			ctx.Response.Header.Set(h.Name, h.Value) // one value: fasthttp keeps these apart
		default:
			ctx.Response.Header.Add(h.Name, h.Value)
		}
	}
	for _, ck := range resp.Cookies {
		ctx.Response.Header.Add("Set-Cookie", ck)
	}
	ctx.SetBody(resp.Body)
}
