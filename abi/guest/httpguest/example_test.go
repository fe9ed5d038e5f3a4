package httpguest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/flintfaas/flint/abi/guest/httpguest"
)

// A function that serves an http.ServeMux.
func ExampleHandle() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "item "+r.PathValue("id"))
	})
	httpguest.Handle(mux)
}

// Testing a handler on the host with an event, as the gateway sends it.
func ExampleServe() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "seen", Value: "1"})
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"message":"Hello, %s!"}`, r.PathValue("name"))
	})
	event := `{"version":"2.0","rawPath":"/hello/ana","rawQueryString":"","requestContext":{"http":{"method":"GET"}}}`
	out, err := httpguest.Serve(context.Background(), mux, []byte(event))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output:
	// {"statusCode":200,"headers":{"Content-Type":"application/json"},"cookies":["seen=1"],"body":"{\"message\":\"Hello, ana!\"}","isBase64Encoded":false}
}

// Testing a handler on the host with an HTTP/1.1 request message, as a
// buffered function URL sends it to a module built with httpguest.
func ExampleServeMessage() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "seen", Value: "1"})
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"message":"Hello, %s!"}`, r.PathValue("name"))
	})
	msg := "GET /hello/ana HTTP/1.1\r\nHost: example.com\r\nFlint-Source-Ip: 203.0.113.7\r\n\r\n"
	out, err := httpguest.ServeMessage(context.Background(), mux, []byte(msg))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", out)
	// Output:
	// "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: seen=1\r\nContent-Length: 25\r\n\r\n{\"message\":\"Hello, ana!\"}"
}
