// Command hostile is a Flint function that tries everything a function
// with an empty execution policy must not be able to do, and reports what
// happened instead of failing: a test deploys it with
//
//	{"Version": "2026-11-01", "Statement": []}
//
// and asserts that no attempt says "ALLOWED". Any payload is ignored; the
// response is always (status 0, never a crash):
//
//	{"attempts":[
//	  {"what":"kv:Get counters/hits","result":"denied"},
//	  {"what":"fs:Read /etc/passwd","result":"error: open /etc/passwd: ..."},
//	  ...]}
//
// Each result is one of:
//
//	denied      refused as a policy denial (a *guest.DeniedError, or a file
//	            error that is fs.ErrPermission)
//	error: ...  failed another way (invalid argument, no such file, refused
//	            by the SDK, out of bounds), with the error's message
//	ALLOWED     it worked: a hole in the sandbox. "detail" says what came
//	            back.
//
// The attempts: kv Get, Put, Delete and List on the stores counters,
// sessions and secrets, the store "*", a store name with a slash
// (counters/x, key y: the resource kv:counters/x/y), an empty store name
// and a key over the size limit; http fetches of cloud metadata
// (169.254.169.254, also as a decimal number), loopback (127.0.0.1:8080,
// localhost, [::1]), 0.0.0.0, https://example.com/ and a file: URL, and a
// request whose Host differs from its URL; invocations of "hello",
// "hello:$LATEST", the function itself and ""; the config values
// "db-password", "*" and ""; the host application's capabilities
// "orders.Get", "no.such.capability", "bad/name", "" and a 4 KiB name;
// reading /etc/passwd, /data/../../etc/passwd
// and ../../etc/passwd, writing /data/x (a mount the policy does not let
// it write) and /x, creating a directory outside /tmp (the instance's own,
// which needs no policy), listing "/"
// and ".", stat of "/"; and raw ABI calls: result_read with nothing
// pending, kv_get and http_fetch with out-of-bounds pointers, fn_invoke and
// app_call with ranges that wrap past 2^32, app_call with an out-of-bounds
// payload, and a log line at the host's own level
// (FLINT). The kv:Get of counters/hits is also tried during init, where
// capabilities are allowed too; it is reported first, as "init: ...".
package main

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/fetch"
	"github.com/flintfaas/flint/abi/guest/kv"
)

func main() {}

// Attempt is one thing tried and what happened.
type Attempt struct {
	What   string `json:"what"`
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
}

// Report is hostile's response.
type Report struct {
	Attempts []Attempt `json:"attempts"`
}

// initAttempts are the attempts made during init, reported with the first
// invocation's and every later one's.
var initAttempts []Attempt

func init() {
	guest.OnInit(func() error {
		initAttempts = append(initAttempts, try("init: kv:Get counters/hits", func() (string, error) {
			v, err := kv.Open("counters").Get("hits")
			return string(v), err
		}))
		return nil
	})
	guest.Handle(func(ctx guest.Context, _ []byte) ([]byte, error) {
		report := Report{Attempts: append(append([]Attempt(nil), initAttempts...), attempts(ctx)...)}
		return json.Marshal(report)
	})
}

// try runs f and sorts its outcome; a panic is an error, not a crash.
func try(what string, f func() (detail string, err error)) (a Attempt) {
	a.What = what
	defer func() {
		if r := recover(); r != nil {
			a.Result, a.Detail = "error: panic: "+describe(r), ""
		}
	}()
	detail, err := f()
	switch {
	case err == nil:
		a.Result = "ALLOWED"
		a.Detail = clip(detail)
	case errors.Is(err, guest.ErrDenied), errors.Is(err, fs.ErrPermission):
		a.Result = "denied"
	default:
		a.Result = "error: " + err.Error()
	}
	return a
}

func attempts(ctx guest.Context) []Attempt {
	var out []Attempt
	add := func(what string, f func() (string, error)) { out = append(out, try(what, f)) }

	// Key-value stores.
	for _, store := range []string{"counters", "sessions", "secrets", "*"} {
		s := kv.Open(store)
		add("kv:Get "+store+"/hits", func() (string, error) { v, err := s.Get("hits"); return string(v), err })
		add("kv:Put "+store+"/hits", func() (string, error) { return "", s.Put("hits", []byte("999")) })
		add("kv:Delete "+store+"/hits", func() (string, error) { return "", s.Delete("hits") })
		add("kv:List "+store+"/", func() (string, error) {
			keys, _, err := s.List("", "", 0)
			return strings.Join(keys, ","), err
		})
	}
	add("kv:Get counters/x + key y (store name with a slash)", func() (string, error) {
		v, err := kv.Open("counters/x").Get("y")
		return string(v), err
	})
	add("kv:Get with an empty store name", func() (string, error) { v, err := kv.Open("").Get("hits"); return string(v), err })
	add("kv:Put counters/<2 KiB key>", func() (string, error) {
		return "", kv.Open("counters").Put(strings.Repeat("k", 2048), []byte("1"))
	})
	add("kv:List every key of secrets (Keys)", func() (string, error) {
		var keys []string
		for k, err := range kv.Open("secrets").Keys("") {
			if err != nil {
				return "", err
			}
			keys = append(keys, k)
		}
		return strings.Join(keys, ","), nil
	})

	// Outbound HTTP.
	client := fetch.Client()
	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://2852039166/latest/meta-data/", // 169.254.169.254 as one number
		"http://127.0.0.1:8080/",
		"http://localhost/",
		"http://[::1]/",
		"http://0.0.0.0/",
		"https://example.com/",
		"file:///etc/passwd",
	} {
		add("http:Fetch "+u, func() (string, error) { return get(client, u) })
	}
	add("http:Fetch https://example.com/ with Host: 169.254.169.254", func() (string, error) {
		req, err := http.NewRequest("GET", "https://example.com/", nil)
		if err != nil {
			return "", err
		}
		req.Host = "169.254.169.254"
		return do(client, req)
	})

	// Other functions.
	for _, target := range []string{"hello", "hello:$LATEST", ctx.FunctionName(), ""} {
		add("fn:Invoke "+name(target), func() (string, error) {
			out, err := guest.Invoke(ctx, target, []byte(`{}`))
			return string(out), err
		})
	}

	// Configuration and secrets.
	for _, cfg := range []string{"db-password", "*", ""} {
		add("config:Get "+name(cfg), func() (string, error) { return guest.Config(cfg) })
	}

	// The host application's own capabilities.
	for _, c := range []string{"orders.Get", "no.such.capability", "bad/name", "", strings.Repeat("a", 4096)} {
		what := "app:" + name(c)
		if len(c) > 64 {
			what = "app:<4 KiB name>"
		}
		add(what, func() (string, error) {
			out, err := guest.Call(c, []byte(`{"id":"o-1"}`))
			return string(out), err
		})
	}

	// Files.
	for _, p := range []string{"/etc/passwd", "/data/../../etc/passwd", "../../etc/passwd"} {
		add("fs:Read "+p, func() (string, error) { b, err := os.ReadFile(p); return string(b), err })
	}
	add("fs:Write /data/x", func() (string, error) { return "", os.WriteFile("/data/x", []byte("pwned"), 0o644) })
	add("fs:Write /x", func() (string, error) { return "", os.WriteFile("/x", []byte("pwned"), 0o644) })
	add("fs:Write mkdir /hostile", func() (string, error) { return "", os.Mkdir("/hostile", 0o755) })
	for _, dir := range []string{"/", "."} {
		add("fs:Read list "+dir, func() (string, error) {
			entries, err := os.ReadDir(dir)
			names := make([]string, len(entries))
			for i, e := range entries {
				names[i] = e.Name()
			}
			return strconv.Itoa(len(entries)) + " entries: " + strings.Join(names, ","), err
		})
	}
	add("fs:Read stat /", func() (string, error) {
		fi, err := os.Stat("/")
		if err != nil {
			return "", err
		}
		return fi.Mode().String(), nil
	})

	// The ABI itself.
	out = append(out, rawAttempts()...)
	return out
}

func get(client *http.Client, u string) (string, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return "", err
	}
	return do(client, req)
}

func do(client *http.Client, req *http.Request) (string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	return resp.Status + ": " + string(body), nil
}

// name shows an empty name as "".
func name(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// clip keeps a detail short.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		return strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}

// describe describes a recovered panic value without fmt.
func describe(r any) string {
	switch v := r.(type) {
	case string:
		return v
	case error:
		return v.Error()
	}
	return "a non-string value"
}
