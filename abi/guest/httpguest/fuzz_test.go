package httpguest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/flintfaas/flint/abi/guest"
)

// Whatever the event holds, Serve returns an InvalidEvent error or a
// response that decodes, and never panics.
func FuzzServe(f *testing.F) {
	f.Add([]byte(getEvent))
	f.Add([]byte(`{"version":"2.0","rawPath":"/a%zz","requestContext":{"http":{"method":"GET"}}}`))
	f.Add([]byte(`{"version":"2.0","rawPath":"/","cookies":["a=1"],"headers":{"X\r\n":"\u0000"},"requestContext":{"http":{"method":"POST","sourceIp":"::1"}},"body":"/w==","isBase64Encoded":true}`))
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for name, values := range r.Header {
			w.Header()[name] = values
		}
		for _, c := range r.Cookies() {
			http.SetCookie(w, c)
		}
		io.Copy(w, r.Body)
	})
	f.Fuzz(func(t *testing.T, event []byte) {
		out, err := Serve(context.Background(), echo, event)
		if err != nil {
			var ge *guest.Error
			if !errors.As(err, &ge) || ge.Type != "InvalidEvent" {
				t.Fatalf("Serve error %T %v is not an InvalidEvent", err, err)
			}
			return
		}
		var d decoded
		if err := json.Unmarshal(out, &d); err != nil {
			t.Fatalf("response %s does not decode: %v", out, err)
		}
		if d.StatusCode != 200 && d.StatusCode != 400 {
			t.Fatalf("status %d", d.StatusCode)
		}
		for name, v := range d.Headers {
			if !validToken(name) || cleanValue(v) != v {
				t.Fatalf("header %q: %q", name, v)
			}
		}
	})
}
