package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	pathpkg "path"
	"strings"
	"testing"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/require"
)

// FuzzServe sends the console whatever a browser (or an attacker) could:
// any method, path, query and form, with or without a live session and
// its token. Whatever it is, the console answers with its headers and a
// page, never a crash or a 500.
func FuzzServe(f *testing.F) {
	f.Add(uint8(0), "/console/functions", "", "", true, true)
	f.Add(uint8(1), "/console/functions/fn/configuration", "", "timeout=0&memory=x&env_count=2&env_name_0=A&env_value_0=%3Cb%3E", true, true)
	f.Add(uint8(1), "/console/functions/fn/aliases/live", "", "version=1&additional=1&weight=NaN", true, true)
	f.Add(uint8(1), "/console/functions/fn/test", "", "action=save&event=..%2F..&payload=%7B%7D", true, true)
	f.Add(uint8(1), "/console/functions/fn/test", "", "qualifier=%00&payload=%22!x%22", true, true)
	f.Add(uint8(1), "/console/signin", "", "token=x&access_key=AKIA&secret_key=y&next=%2F%2Fevil", false, false)
	f.Add(uint8(0), "/console/functions/fn/logs/stream", "since=-1", "", true, false)
	f.Add(uint8(0), "/console/functions/fn/monitoring", "range=%3Cscript%3E", "", true, false)
	f.Add(uint8(0), "/console/functions/fn/test", "event=%3Cimg%3E", "", true, false)
	f.Add(uint8(2), "/console/async/dead-letters/%2e%2e/redrive", "", "", true, true)
	f.Add(uint8(0), "/console/../../etc/passwd", "", "", false, false)
	f.Add(uint8(0), "/console//functions///", "done=%0d%0a", "", true, false)

	ctx := context.Background()
	st := store.NewMemory()
	eng, err := engine.New(ctx, engine.Config{Store: st, CompilationCacheDir: testguest.CacheDir(f)})
	require.NoError(f, err)
	gw, err := gateway.New(gateway.Config{Engine: eng, Store: st, Keys: []auth.Key{adminKey, invokerKey}})
	require.NoError(f, err)
	f.Cleanup(func() {
		_ = gw.Shutdown(context.Background())
		_ = eng.Close(context.Background())
		_ = st.Close()
	})
	_, err = eng.Deploy(ctx, engine.Function{Name: "fn", Code: echolog(f)})
	require.NoError(f, err)
	// A session, signed in through the form.
	serve := func(method, target, form, cookie string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "http://127.0.0.1"+target, strings.NewReader(form))
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		return rec
	}
	page := serve("GET", "/console/signin", "", "")
	tok := tokenField.FindStringSubmatch(page.Body.String())[1]
	signin := serve("POST", "/console/signin", url.Values{"token": {tok}, "access_key": {adminKey.AccessKeyID},
		"secret_key": {adminKey.SecretAccessKey}}.Encode(), "flint_console_signin="+tok)
	require.Equal(f, http.StatusSeeOther, signin.Code)
	var session string
	for _, c := range signin.Result().Cookies() {
		if c.Name == "flint_console" {
			session = c.Name + "=" + c.Value
		}
	}
	require.NotEmpty(f, session)
	page = serve("GET", "/console/functions/fn", "", session)
	csrf := csrfField.FindStringSubmatch(page.Body.String())[1]

	methods := []string{"GET", "POST", "POST", "PUT", "DELETE", "HEAD"}
	f.Fuzz(func(t *testing.T, m uint8, path, query, form string, withSession, withCSRF bool) {
		if !strings.HasPrefix(path, "/console") || strings.ContainsAny(path, " ?#\x00\r\n") || strings.ContainsAny(query, " #\x00\r\n") {
			return // not a request line a client could send to the console
		}
		target := path
		if query != "" {
			target += "?" + query
		}
		if _, err := url.ParseRequestURI(target); err != nil {
			return
		}
		if strings.Contains(path, "/stream") && withSession {
			return // an event stream does not end by itself
		}
		if withCSRF {
			if form != "" {
				form += "&"
			}
			form += "csrf=" + url.QueryEscape(csrf)
		}
		cookie := ""
		if withSession {
			cookie = session
		}
		rec := serve(methods[int(m)%len(methods)], target, form, cookie)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d\n%s", methods[int(m)%len(methods)], target, rec.Code, rec.Body.String())
		}
		if clean := pathpkg.Clean(path); (clean == "/console" || strings.HasPrefix(clean, "/console/")) && rec.Header().Get("Content-Security-Policy") == "" {
			t.Fatalf("%s: no Content-Security-Policy", target)
		}
	})
}
