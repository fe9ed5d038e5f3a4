// Command httpapp is a Flint function that is an ordinary net/http app: an
// http.ServeMux served by httpguest.Handle, reached through a function URL.
//
//	GET  /              a small HTML page; counts your visits in a cookie
//	GET  /hello/{name}  {"message":"Hello, NAME!"}
//	POST /echo          the request body, with its Content-Type
//	GET  /headers       the request's headers, as JSON
//	ANY  /request       what the handler sees of the request (method, URL,
//	                    host, remote address, headers, cookies, body), as
//	                    JSON, with two cookies and a header of two values
//	anything else       404 (405 for a known path with another method)
//
// Build it, serve it, and give it a function URL (the AWS CLI talks to
// Flint's Lambda API; the code is a zip holding the module, as the AWS CLI
// insists on a zip):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o httpapp.wasm ./guest-examples/httpapp
//	zip -jq httpapp.zip httpapp.wasm
//	flint serve &
//	aws --endpoint-url http://127.0.0.1:8080 lambda create-function \
//	    --function-name httpapp --zip-file fileb://httpapp.zip \
//	    --runtime provided.al2023 --handler handle --role arn:aws:iam::000000000000:role/httpapp
//	aws --endpoint-url http://127.0.0.1:8080 lambda create-function-url-config \
//	    --function-name httpapp --auth-type NONE
//	aws --endpoint-url http://127.0.0.1:8080 lambda add-permission \
//	    --function-name httpapp --statement-id public --principal '*' \
//	    --action lambda:InvokeFunctionUrl --function-url-auth-type NONE
//
// Its URL is /fn/httpapp/ on the gateway (/fn/httpapp:ALIAS/ for an alias),
// and the app sees the path after it:
//
//	curl http://127.0.0.1:8080/fn/httpapp/hello/ana
//	curl -d '{"a":1}' -H 'Content-Type: application/json' http://127.0.0.1:8080/fn/httpapp/echo
//
// The same handler runs unchanged under net/http's own server, which is
// how to develop it: http.ListenAndServe(":8080", newMux()).
package main

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"strconv"

	"github.com/flintfaas/flint/abi/guest/httpguest"
)

func main() {}

func init() {
	httpguest.Handle(newMux())
}

// maxEcho bounds the body POST /echo reads.
const maxEcho = 1 << 20

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>httpapp on Flint</title></head>
<body>
<h1>Hello from a WebAssembly function</h1>
<p>This page is served by an ordinary <code>net/http</code> handler running in Flint.
You have been here {{.}} time{{if ne . 1}}s{{end}}.</p>
<ul>
<li><a href="hello/world">hello/world</a></li>
<li><a href="headers">headers</a></li>
</ul>
</body>
</html>
`))

// newMux returns the app's routes.
func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", home)
	mux.HandleFunc("GET /hello/{name}", hello)
	mux.HandleFunc("POST /echo", echo)
	mux.HandleFunc("GET /headers", headers)
	mux.HandleFunc("/request", request)
	return mux
}

// home shows the page and counts visits in a cookie.
func home(w http.ResponseWriter, r *http.Request) {
	visits := 1
	if c, err := r.Cookie("visits"); err == nil {
		if n, err := strconv.Atoi(c.Value); err == nil && n > 0 {
			visits = n + 1
		}
	}
	http.SetCookie(w, &http.Cookie{Name: "visits", Value: strconv.Itoa(visits), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	page.Execute(w, visits)
}

// hello greets by name.
func hello(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"message": "Hello, " + r.PathValue("name") + "!"})
}

// echo sends the body back with its content type.
func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEcho))
	if err != nil {
		http.Error(w, "the body is over 1 MiB", http.StatusRequestEntityTooLarge)
		return
	}
	contentType := r.Header.Get("Content-Type")
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	w.Header().Set("Content-Type", contentType)
	w.Write(body)
}

// headers lists the request's headers.
func headers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, r.Header)
}

// request describes the request as the handler sees it, and answers with
// two cookies and a header of two values.
func request(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEcho))
	if err != nil {
		http.Error(w, "the body is over 1 MiB", http.StatusRequestEntityTooLarge)
		return
	}
	cookies := map[string]string{}
	for _, c := range r.Cookies() {
		cookies[c.Name] = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
	http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", Path: "/"})
	w.Header().Add("X-Multi", "one")
	w.Header().Add("X-Multi", "two")
	writeJSON(w, http.StatusOK, map[string]any{
		"method": r.Method, "path": r.URL.Path, "rawPath": r.URL.RawPath, "rawQuery": r.URL.RawQuery,
		"requestURI": r.RequestURI, "host": r.Host, "remoteAddr": r.RemoteAddr, "proto": r.Proto,
		"contentLength": r.ContentLength, "header": r.Header, "cookies": cookies, "body": body,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
