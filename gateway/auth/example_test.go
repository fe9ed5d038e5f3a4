package auth_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/flintfaas/flint/gateway/auth"
)

// A net/http handler that lets through only requests signed with one of
// its keys, answering the others the way Lambda does.
func ExampleVerifier() {
	keys, err := auth.NewKeys([]auth.Key{{
		AccessKeyID:     "AKIAFLINTALICE000001",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		Admin:           true,
	}})
	if err != nil {
		panic(err)
	}
	v := &auth.Verifier{Keys: keys}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 6<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		key, err := v.Verify(auth.FromHTTP(r, body))
		var ae *auth.Error
		if errors.As(err, &ae) {
			w.Header().Set("X-Amzn-Errortype", ae.Code)
			w.WriteHeader(ae.Status)
			fmt.Fprintf(w, "{\"message\":%q}", ae.Message)
			return
		}
		fmt.Fprintf(w, "hello %s (admin: %t)", key.AccessKeyID, key.Admin)
	})

	// An unsigned request.
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest("GET", "/2015-03-31/functions/", strings.NewReader("")))
	fmt.Println(rec.Code, rec.Header().Get("X-Amzn-Errortype"))
	// Output: 403 MissingAuthenticationTokenException
}

// The credentials file has the syntax of ~/.aws/credentials.
func ExampleLoadCredentialsFile() {
	keys, err := auth.LoadCredentialsFile("testdata/credentials")
	if err != nil {
		panic(err)
	}
	for _, k := range keys {
		fmt.Println(k) // Key's String leaves the secret out
	}
	// Output: {AccessKeyID:AKIAFLINTALICE000001 Name:alice Admin:true SecretAccessKey:REDACTED}
}
