package httpguest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/flintfaas/flint/internal/mediatype"
)

// output is where a response goes: the invocation's response (a
// *guest.ResponseWriter), or a buffer for Serve.
type output interface {
	Write(p []byte) (int, error)
	Flush() error
}

// recorder is the http.ResponseWriter a handler writes to: it keeps the
// response in memory until the handler returns, and writes it to out then
// as a structured response. Once the handler flushes it streams instead:
// the prelude (status, headers, cookies), the delimiter and the body so
// far go to out, later writes go straight to it, and every Flush flushes
// out.
type recorder struct {
	header    http.Header // what the handler changes
	sent      http.Header // a copy of header taken at WriteHeader
	status    int         // 0 until WriteHeader
	body      bytes.Buffer
	head      bool // a HEAD request: the body is discarded
	out       output
	streaming bool  // the prelude has gone to out
	message   bool  // the response is an HTTP/1.1 message, sent whole at the end
	err       error // out's first failure

	// A message's head (status line and fields) is written at WriteHeader
	// instead of keeping a copy of the header, and a small head and body
	// live in the recorder: allocations cost ten times more inside
	// WebAssembly than natively.
	msgHead []byte
	typed   bool // the header had a Content-Type at WriteHeader
	headBuf [256]byte
	bodyBuf [512]byte
}

var (
	_ http.ResponseWriter = (*recorder)(nil)
	_ http.Flusher        = (*recorder)(nil)
)

func newRecorder(method string, out output) *recorder {
	w := &recorder{header: make(http.Header), head: method == http.MethodHead, out: out}
	w.body = *bytes.NewBuffer(w.bodyBuf[:0])
	return w
}

// newMessageRecorder returns a recorder whose response is an HTTP/1.1
// message.
func newMessageRecorder(method string, out output) *recorder {
	w := newRecorder(method, out)
	w.message = true
	return w
}

// Header returns the header map the handler sets before WriteHeader.
func (w *recorder) Header() http.Header { return w.header }

// WriteHeader records the status; later calls are ignored, and so are 1xx
// informational codes, as net/http's server treats them. A code outside
// 100-999 panics, as it does in net/http.
func (w *recorder) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	if w.status != 0 || code < 200 {
		return
	}
	w.status = code
	if w.message {
		_, w.typed = w.header["Content-Type"]
		w.msgHead = w.appendHead(w.headBuf[:0])
		return
	}
	w.sent = w.header.Clone()
	if w.sent == nil {
		w.sent = http.Header{}
	}
}

// Write appends to the body, sending a 200 first if no status was; the
// statuses that have no body refuse it with http.ErrBodyNotAllowed.
func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.head {
		return len(p), nil
	}
	if w.streaming {
		if w.err != nil {
			return 0, w.err
		}
		n, err := w.out.Write(p)
		if err != nil {
			w.err = err
		}
		return n, err
	}
	return w.body.Write(p)
}

// Flush sends the response so far: the first Flush sends the status,
// headers and cookies (the prelude of a streamed response) and the body
// written until then, later ones what was written since. When the
// invocation does not stream its response, the caller still receives it
// whole when the handler returns. Once the caller has gone away, writes
// fail (with an error matching guest.ErrUnavailable).
func (w *recorder) Flush() {
	if w.err != nil || w.message {
		return
	}
	if !w.streaming {
		if w.status == 0 {
			w.WriteHeader(http.StatusOK)
		}
		w.streaming = true
		body := w.body.Bytes()
		prelude, err := w.prelude(body)
		if err == nil {
			_, err = w.out.Write(prelude)
		}
		if err == nil && len(body) > 0 && !w.head && bodyAllowed(w.status) {
			_, err = w.out.Write(body)
		}
		w.body = bytes.Buffer{}
		if err != nil {
			w.err = err
			return
		}
	}
	w.err = w.out.Flush()
}

// prelude is a streamed response's start: the JSON object of its status,
// headers and cookies, and the delimiter.
func (w *recorder) prelude(body []byte) ([]byte, error) {
	w.detectType(body)
	r := w.meta()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(preludeJSON{StatusCode: r.StatusCode, Headers: r.Headers, Cookies: r.Cookies}); err != nil {
		return nil, err
	}
	return append(bytes.TrimSuffix(out.Bytes(), []byte("\n")), delimiter...), nil
}

// delimiter ends a streamed response's prelude: eight zero bytes, as the
// gateway (and Lambda's HttpResponseStream) frames it.
const delimiter = "\x00\x00\x00\x00\x00\x00\x00\x00"

// preludeJSON is a streamed response's prelude.
type preludeJSON struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers,omitempty"`
	Cookies    []string          `json:"cookies,omitempty"`
}

func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified
}

// response is a function URL response.
type response struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	Cookies         []string          `json:"cookies,omitempty"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// finish writes what is left of the response to out when the handler has
// returned: the structured response, or, once streaming, nothing more
// (what the handler wrote since the last Flush has gone to out already,
// and a caller that went away is not the function's failure).
func (w *recorder) finish() error {
	if w.streaming {
		return nil
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	body := w.body.Bytes()
	if w.message {
		return w.writeMessage(body)
	}
	w.detectType(body)
	r := w.meta()
	if len(body) == 0 || mediatype.IsText(w.sent.Get("Content-Type"), body) {
		r.Body = string(body)
	} else {
		r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}

	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // "<" stays "<": HTML bodies would grow sixfold
	if err := enc.Encode(r); err != nil {
		return err
	}
	_, err := w.out.Write(bytes.TrimSuffix(out.Bytes(), []byte("\n")))
	return err
}

// detectType gives a response with a body and no Content-Type one, as
// net/http's server does from the first bytes.
func (w *recorder) detectType(body []byte) {
	if _, typed := w.sent["Content-Type"]; !typed && len(body) > 0 {
		w.sent.Set("Content-Type", http.DetectContentType(body))
	}
}

// meta is the response's status, headers and cookies, as sent.
func (w *recorder) meta() response {
	r := response{StatusCode: w.status}
	for name, values := range w.sent {
		if len(values) == 0 || !validToken(name) {
			continue
		}
		if http.CanonicalHeaderKey(name) == "Set-Cookie" {
			for _, v := range values {
				r.Cookies = append(r.Cookies, cleanValue(v))
			}
			continue
		}
		if r.Headers == nil {
			r.Headers = make(map[string]string, len(w.sent))
		}
		r.Headers[name] = cleanValue(strings.Join(values, ", "))
	}
	return r
}

// cleanValue replaces the bytes a header value may not hold (control
// characters but HTAB, and DEL) with spaces. net/http's server replaces CR
// and LF so; the gateway refuses the others, so they go too.
func cleanValue(v string) string {
	clean := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return v
	}
	b := []byte(v)
	for i, c := range b {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			b[i] = ' '
		}
	}
	return string(b)
}
