package egress_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/flintfaas/flint/engine/internal/egress"
)

// A function's request for the cloud metadata service is refused before
// any connection is made.
func Example() {
	c := egress.New(egress.Config{})
	defer c.Close(context.Background())

	req, _ := http.NewRequest(http.MethodGet, "http://169.254.169.254/latest/meta-data/", nil)
	_, err := c.Do(context.Background(), req, egress.Options{
		// The engine checks each URL against the function's policy.
		Allow: func(u *url.URL) error { return nil },
	})
	var blocked *egress.BlockedError
	fmt.Println(errors.Is(err, egress.ErrBlockedAddress), errors.As(err, &blocked))
	fmt.Println(blocked.Reason)
	// Output:
	// true true
	// a link-local address (cloud metadata services listen there)
}

// PrivateOK lets a host the caller approved reach a non-public address,
// here a server on loopback.
func ExampleOptions_privateOK() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello from the private network")
	}))
	defer srv.Close()
	c := egress.New(egress.Config{})
	defer c.Close(context.Background())

	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := c.Do(context.Background(), req, egress.Options{
		PrivateOK: func(host string) bool { return host == "127.0.0.1" },
	})
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.ContentLength, strings.TrimSpace(string(body)))
	// Output:
	// 200 30 hello from the private network
}
