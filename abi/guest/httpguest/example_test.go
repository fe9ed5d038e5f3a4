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
