// Package httpguest runs an ordinary net/http handler as a Flint function
// behind a function URL: each request becomes an *http.Request, and what
// the handler writes becomes the function's response. A request arrives in
// one of two forms (see "Two ways in" below): as an HTTP/1.1 message, on a
// buffered function URL, or as an API Gateway HTTP API payload format 2.0
// event, from everywhere else.
//
//	package main
//
//	import (
//		"net/http"
//
//		"github.com/flintfaas/flint/abi/guest/httpguest"
//	)
//
//	func main() {}
//
//	func init() {
//		mux := http.NewServeMux()
//		mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
//			w.Write([]byte("item " + r.PathValue("id")))
//		})
//		httpguest.Handle(mux)
//	}
//
// A request to /fn/NAME/items/7 on the gateway reaches the handler as GET
// /items/7: the path is what follows the function URL's prefix.
//
// # Why a package of its own
//
// The feature was asked for as guest.HandleHTTP. It lives here instead
// because it needs net/http, and package guest is linked by every
// function. Importing net/http links its package-level variables and init
// functions into the module whether or not anything is called: with Go
// 1.26, a guest that echoes its event is 2.4 MB, and 4.8 MB once it also
// imports net/http without using it (guest-examples/httpapp, which uses
// it, is 11 MB). A bigger module takes longer to compile at deploy, and
// every instance pays again at its cold start, instantiating and
// initializing it. Here only functions that serve HTTP pay, as only
// functions that fetch pay for package fetch.
//
// # Two ways in
//
// Linking this package adds the export flint_http_handle to the module
// (abi/SPEC.md, "HTTP requests as messages"). Through it a buffered
// function URL hands the request over as an HTTP/1.1 message and takes the
// response back as one, so that no JSON is built by the host or parsed
// here, which inside WebAssembly is most of what a small handler costs
// (ServeMessage is that path, testable off WebAssembly). Everything else
// still sends a payload format 2.0 event to the function's handler, which
// Handle registers too, and gets the structured response back (Serve):
// a URL whose InvokeMode is RESPONSE_STREAM, the Lambda API's Invoke and
// InvokeWithResponseStream, another function's fn_invoke, a host older
// than the export. A module that links this package but registers its
// handler with guest.Handle declines messages, and gets events.
//
// The handler sees the same request both ways, with two differences that
// make the message path the more faithful: a header the client repeated
// arrives as several values (the event joins them into one with ","), and
// several Cookie headers stay several. Its response reaches the client the
// same: status, headers (a header of several values as several fields
// rather than one joined with ", "), every Set-Cookie, and the body,
// binary or not (never base64 on the message path). A Flush does nothing
// on the message path: a buffered URL sends the response whole anyway.
//
// # The request
//
// The handler gets what net/http's server would give it: Method; URL with
// Path, RawPath and RawQuery from rawPath and rawQueryString (RequestURI
// too); Header from headers (canonical names; a value the event joined
// from several with "," stays one value), with the event's cookies joined
// into one Cookie header; Host from the host header, else the URL's
// domain name; RemoteAddr from the source IP, with port 0 ("203.0.113.7:0")
// since the event has none; Proto from the protocol; Body from the body,
// base64-decoded when the event says so, and ContentLength its length. Its
// context is the invocation's (a guest.Context when run by Handle), so its
// deadline is the invocation's. An event that is not a format 2.0 event is
// a handled error of type "InvalidEvent"; a path with a malformed escape is
// answered 400 without calling the handler, as net/http's server does.
//
// From a message, the same: the request line's method, target (path and
// query as sent) and protocol; Header from the header fields (canonical
// names, a repeated one with all its values, Content-Length included),
// Host from the Host field, RemoteAddr from the Flint-Source-Ip field
// (neither among the headers); Body and ContentLength from the body. A
// message that is not one (the host never sends such) is a handled error
// of type "InvalidRequest".
//
// # The response
//
// The ResponseWriter keeps everything in memory and the response is sent
// when the handler returns, unless the handler flushes (http.Flusher): the
// response then streams, when the invocation streams it (a function URL
// whose InvokeMode is RESPONSE_STREAM): the first Flush sends the status,
// headers and cookies with the body so far, and every later Flush what was
// written since, so a client reads them as they come (server-sent events,
// progress, a large download). Headers changed after the first Flush are
// not sent. Under a buffered function URL a flushed response arrives whole,
// the same. Otherwise the ResponseWriter behaves as net/http's does: the status defaults to 200; the first WriteHeader wins and 1xx
// codes are ignored; headers changed after it are not sent; a body with no
// Content-Type gets one from http.DetectContentType; HEAD responses and
// 204 and 304 have no body. Set-Cookie headers become the response's
// cookies, other headers its headers (several values of a name joined with
// ", "). As net/http does, headers with invalid names are dropped and
// control characters in values (CR, LF and the others the gateway refuses)
// become spaces. The body is a JSON string when its Content-Type is text
// and it is valid UTF-8 (the rule the gateway applies to requests:
// text/*, application/json, application/xml, application/javascript,
// application/x-www-form-urlencoded, +json and +xml types and a few more),
// and base64 with isBase64Encoded otherwise.
//
// A panic in the handler is not recovered: as with guest.Handle, the
// invocation fails with a Runtime.Panic error and the instance is retired.
package httpguest

import (
	"bytes"
	"context"
	"net/http"

	"github.com/flintfaas/flint/abi/guest"
)

// Handle registers h as the function's handler: every invocation is served
// as Serve serves it, the response written as the invocation's (streamed
// when h flushes and the invocation streams). Call it from an init
// function, instead of guest.Handle.
func Handle(h http.Handler) {
	registered.handler = h
	guest.HandleStream(func(ctx guest.Context, event []byte, w *guest.ResponseWriter) error {
		return serveTo(ctx, h, event, w)
	})
}

// registered holds the handler Handle registered, which the
// flint_http_handle export serves: the guest program's registration, as
// package guest keeps its handler (a module is one program, and the host
// calls its exports with no other way to find it).
var registered struct{ handler http.Handler }

// Serve runs h on the request that event, a function URL event, describes,
// and returns the function URL response for what h wrote: a structured
// response, or, when h flushed (http.Flusher), a streamed one (a JSON
// prelude with the status, headers and cookies, eight zero bytes, the
// body). ctx is the request's context (nil: context.Background()). The
// error is a *guest.Error of type "InvalidEvent" when event is not a
// payload format 2.0 event.
//
// Serve is what Handle runs on each invocation; it runs on any platform,
// so a handler can be tested with events without a host.
func Serve(ctx context.Context, h http.Handler, event []byte) ([]byte, error) {
	var buf buffer
	if err := serveTo(ctx, h, event, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buffer is an output that keeps everything: flushing changes nothing.
type buffer struct{ bytes.Buffer }

func (*buffer) Flush() error { return nil }

func serveTo(ctx context.Context, h http.Handler, event []byte, out output) error {
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := newRequest(ctx, event)
	bad, isBad := badPath(err)
	switch {
	case isBad:
		w := newRecorder(bad.method, out)
		http.Error(w, "400 Bad Request: "+bad.Error(), http.StatusBadRequest)
		return w.finish()
	case err != nil:
		return err
	}
	w := newRecorder(req.Method, out)
	h.ServeHTTP(w, req)
	return w.finish()
}
