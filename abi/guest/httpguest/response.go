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

// recorder is the http.ResponseWriter a handler writes to: it keeps the
// response in memory for result.
type recorder struct {
	header http.Header // what the handler changes
	sent   http.Header // a copy of header taken at WriteHeader
	status int         // 0 until WriteHeader
	body   bytes.Buffer
	head   bool // a HEAD request: the body is discarded
}

var (
	_ http.ResponseWriter = (*recorder)(nil)
	_ http.Flusher        = (*recorder)(nil)
)

func newRecorder(method string) *recorder {
	return &recorder{header: make(http.Header), head: method == http.MethodHead}
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
	return w.body.Write(p)
}

// Flush does nothing: the response is sent when the handler returns.
func (w *recorder) Flush() {}

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

// result returns the function URL response for what was written.
func (w *recorder) result() ([]byte, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	body := w.body.Bytes()
	if _, typed := w.sent["Content-Type"]; !typed && len(body) > 0 {
		w.sent.Set("Content-Type", http.DetectContentType(body))
	}
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
	if len(body) == 0 || mediatype.IsText(w.sent.Get("Content-Type"), body) {
		r.Body = string(body)
	} else {
		r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}

	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // "<" stays "<": HTML bodies would grow sixfold
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
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
