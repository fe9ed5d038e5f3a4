package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway/console"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignIn(t *testing.T) {
	s := startServer(t, serverOptions{})
	tests := []struct {
		name       string
		id, secret string
		token      func(string) string // the token the form sends, given the right one
		wantStatus int
		wantBody   string
	}{
		{name: "admin key", id: adminKey.AccessKeyID, secret: adminKey.SecretAccessKey, wantStatus: http.StatusSeeOther},
		{name: "invoke-only key", id: invokerKey.AccessKeyID, secret: invokerKey.SecretAccessKey, wantStatus: http.StatusSeeOther},
		{name: "wrong secret", id: adminKey.AccessKeyID, secret: invokerKey.SecretAccessKey, wantStatus: http.StatusUnauthorized,
			wantBody: "do not match a key of this server"},
		{name: "unknown key", id: "AKIAFLINTNOBODY00001", secret: adminKey.SecretAccessKey, wantStatus: http.StatusUnauthorized,
			wantBody: "do not match a key of this server"},
		{name: "no form token", id: adminKey.AccessKeyID, secret: adminKey.SecretAccessKey, token: func(string) string { return "" },
			wantStatus: http.StatusForbidden, wantBody: "came from elsewhere"},
		{name: "another form's token", id: adminKey.AccessKeyID, secret: adminKey.SecretAccessKey,
			token: func(string) string { return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, wantStatus: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.client(t)
			p := c.get("/console/functions")
			require.Equal(t, http.StatusSeeOther, p.Status, "not signed in: sent to sign-in")
			require.Equal(t, "/console/signin?next=%2Fconsole%2Ffunctions", p.Location)
			p = c.get(p.Location)
			require.Equal(t, http.StatusOK, p.Status)
			tok := tokenField.FindStringSubmatch(p.Body)[1]
			if tt.token != nil {
				tok = tt.token(tok)
			}
			p = c.post("/console/signin", url.Values{"token": {tok}, "access_key": {tt.id}, "secret_key": {tt.secret},
				"next": {"/console/usage"}}, false)
			assert.Equal(t, tt.wantStatus, p.Status)
			assert.Contains(t, p.Body, tt.wantBody)
			assert.NotContains(t, p.Body, tt.secret, "a secret is never echoed")
			if tt.wantStatus != http.StatusSeeOther {
				assert.Equal(t, http.StatusSeeOther, c.get("/console/functions").Status, "still not signed in")
				return
			}
			assert.Equal(t, "/console/usage", p.Location, "back to the page asked for")
			var ck string
			for _, v := range p.Header.Values("Set-Cookie") {
				if strings.HasPrefix(v, "flint_console=") {
					ck = v
				}
			}
			for _, attr := range []string{"flint_console=", "HttpOnly", "SameSite=Strict", "path=/console", "max-age="} {
				assert.Contains(t, strings.ToLower(ck), strings.ToLower(attr))
			}
			assert.NotContains(t, strings.ToLower(ck), "secure", "not over TLS")
			p = c.get("/console/functions")
			assert.Equal(t, http.StatusOK, p.Status)
			assert.Contains(t, p.Body, tt.id)
		})
	}
}

func TestSignInNextStaysInTheConsole(t *testing.T) {
	s := startServer(t, serverOptions{})
	for _, next := range []string{"https://evil.example/", "//evil.example/console/", "/console/../x", "/fn/x", "/console/signin", "javascript:alert(1)"} {
		t.Run(next, func(t *testing.T) {
			c := s.client(t)
			p := c.get("/console/signin?next=" + url.QueryEscape(next))
			tok := tokenField.FindStringSubmatch(p.Body)[1]
			p = c.post("/console/signin", url.Values{"token": {tok}, "access_key": {adminKey.AccessKeyID},
				"secret_key": {adminKey.SecretAccessKey}, "next": {next}}, false)
			require.Equal(t, http.StatusSeeOther, p.Status)
			if next == "/console/../x" {
				assert.Equal(t, next, p.Location, "a path in the console, which the server resolves itself")
				return
			}
			assert.Equal(t, "/console/functions", p.Location)
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := startServer(t, serverOptions{})
	c := s.client(t)
	c.signIn(adminKey)
	for _, path := range []string{"/console/signin", "/console/functions", "/console/nope", "/console/static/console.css"} {
		t.Run(path, func(t *testing.T) {
			p := c.get(path)
			csp := p.Header.Get("Content-Security-Policy")
			assert.Contains(t, csp, "default-src 'none'")
			assert.Contains(t, csp, "script-src 'self'")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.Equal(t, "nosniff", p.Header.Get("X-Content-Type-Options"))
			assert.Equal(t, "DENY", p.Header.Get("X-Frame-Options"))
		})
	}
}

// TestCSRF: a state-changing POST without the session's CSRF token, or
// with another session's, is refused, and changes nothing.
func TestCSRF(t *testing.T) {
	s := startServer(t, serverOptions{})
	s.deploy(t, "fn", func(f *engine.Function) { f.Timeout = 3 * time.Second })
	alice, bob := s.client(t), s.client(t)
	alice.signIn(adminKey)
	bob.signIn(adminKey)
	alice.get("/console/functions/fn")
	bob.get("/console/functions/fn")
	require.NotEqual(t, alice.csrf, bob.csrf, "each session has its own token")
	form := func() url.Values {
		return url.Values{"timeout": {"9"}, "memory": {"128"}, "env_count": {"0"}}
	}
	tests := []struct {
		name   string
		send   func() page
		status int
	}{
		{name: "no token", send: func() page { return alice.post("/console/functions/fn/configuration", form(), false) }, status: http.StatusForbidden},
		{name: "empty token", send: func() page {
			f := form()
			f.Set("csrf", "")
			return alice.post("/console/functions/fn/configuration", f, false)
		}, status: http.StatusForbidden},
		{name: "another session's token", send: func() page {
			f := form()
			f.Set("csrf", bob.csrf)
			return alice.post("/console/functions/fn/configuration", f, false)
		}, status: http.StatusForbidden},
		{name: "right token from another site", send: func() page {
			f := form()
			f.Set("csrf", alice.csrf)
			req, err := http.NewRequest("POST", s.URL+"/console/functions/fn/configuration", strings.NewReader(f.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://evil.example")
			return alice.do(req)
		}, status: http.StatusForbidden},
		{name: "sign-out without a token", send: func() page { return alice.post("/console/signout", url.Values{}, false) }, status: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.send()
			assert.Equal(t, tt.status, p.Status)
			info, err := s.Engine.Function("fn")
			require.NoError(t, err)
			assert.Equal(t, 3*time.Second, info.Timeout, "nothing changed")
		})
	}
	t.Run("with the token", func(t *testing.T) {
		alice.get("/console/functions/fn")
		p := alice.post("/console/functions/fn/configuration", form(), true)
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		info, err := s.Engine.Function("fn")
		require.NoError(t, err)
		assert.Equal(t, 9*time.Second, info.Timeout)
	})
}

// TestExpiredSession: a session past its TTL is sent to sign-in, for a
// page and for a change, and the change is not made.
func TestExpiredSession(t *testing.T) {
	clk := &clock{}
	s := startServer(t, serverOptions{console: console.Options{SessionTTL: time.Hour, Now: clk.Now}})
	s.deploy(t, "fn")
	c := s.client(t)
	c.signIn(adminKey)
	p := c.get("/console/functions/fn")
	require.Equal(t, http.StatusOK, p.Status)
	clk.Advance(time.Hour + time.Second)
	tests := []struct {
		name string
		send func() page
		next string
	}{
		{name: "a page", send: func() page { return c.get("/console/functions/fn?done=config") }, next: "/console/functions/fn?done=config"},
		{name: "a change", send: func() page {
			return c.post("/console/functions/fn/configuration", url.Values{"timeout": {"7"}, "env_count": {"0"}}, true)
		}, next: "/console/functions"},
		{name: "the live log", send: func() page { return c.get("/console/functions/fn/logs/stream") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.send()
			if tt.next == "" {
				assert.Equal(t, http.StatusUnauthorized, p.Status)
				return
			}
			require.Equal(t, http.StatusSeeOther, p.Status)
			assert.Equal(t, "/console/signin?next="+url.QueryEscape(tt.next)+"&expired=1", p.Location)
			assert.Contains(t, c.get(p.Location).Body, "Your session has ended")
		})
	}
	info, err := s.Engine.Function("fn")
	require.NoError(t, err)
	assert.NotEqual(t, 7*time.Second, info.Timeout)
}

// TestNonAdmin: a key that is not an admin's sees the functions and the
// figures, invokes what its invoke policy grants, and changes nothing.
func TestNonAdmin(t *testing.T) {
	s := startServer(t, serverOptions{})
	s.deploy(t, "granted", func(f *engine.Function) { f.Timeout = 3 * time.Second })
	s.deploy(t, "private")
	_, err := s.Engine.UpdateSettings(context.Background(), "granted", func(st *engine.Settings) error {
		st.InvokePolicy = engine.InvokePolicy{{Sid: "invoker", Action: engine.ActionInvokeFunction, Principal: invokerKey.AccessKeyID}}
		return nil
	})
	require.NoError(t, err)
	c := s.client(t)
	c.signIn(invokerKey)
	p := c.get("/console/functions")
	assert.Contains(t, p.Body, `href="/console/functions/granted/test"`)
	assert.NotContains(t, p.Body, `href="/console/functions/private/test"`)
	assert.NotContains(t, p.Body, `href="/console/functions/granted"`, "no configuration link")

	tests := []struct {
		name   string
		send   func() page
		status int
		body   string
	}{
		{name: "configuration page", send: func() page { return c.get("/console/functions/granted") }, status: http.StatusForbidden, body: "needs an admin key"},
		{name: "change configuration", send: func() page {
			return c.post("/console/functions/granted/configuration", url.Values{"timeout": {"30"}, "env_count": {"0"}}, true)
		}, status: http.StatusForbidden, body: "needs an admin key"},
		{name: "change an alias", send: func() page {
			return c.post("/console/functions/granted/aliases/live", url.Values{"version": {"1"}}, true)
		}, status: http.StatusForbidden},
		{name: "deploy", send: func() page { return c.post("/console/deploy", url.Values{"name": {"x"}}, true) }, status: http.StatusForbidden},
		{name: "redrive", send: func() page { return c.post("/console/async/dead-letters/x/redrive", url.Values{}, true) }, status: http.StatusForbidden},
		{name: "live log", send: func() page { return c.get("/console/functions/granted/logs") }, status: http.StatusForbidden},
		{name: "usage", send: func() page { return c.get("/console/usage") }, status: http.StatusForbidden},
		{name: "save a test event", send: func() page {
			return c.post("/console/functions/granted/test", url.Values{"action": {"save"}, "event": {"e"}, "payload": {"{}"}}, true)
		}, status: http.StatusForbidden},
		{name: "test page of a function that does not grant it", send: func() page { return c.get("/console/functions/private/test") }, status: http.StatusForbidden},
		{name: "invoke a function that does not grant it", send: func() page {
			return c.post("/console/functions/private/test", url.Values{"payload": {`{"a":1}`}}, true)
		}, status: http.StatusBadRequest, body: "AccessDeniedException"},
		{name: "invoke a function that grants it", send: func() page {
			return c.post("/console/functions/granted/test", url.Values{"payload": {`{"a":1}`}}, true)
		}, status: http.StatusOK, body: "REPORT RequestId"},
		{name: "monitoring", send: func() page { return c.get("/console/functions/granted/monitoring") }, status: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.get("/console/functions")
			p := tt.send()
			assert.Equal(t, tt.status, p.Status)
			assert.Contains(t, p.Body, tt.body)
		})
	}
	info, err := s.Engine.Function("granted")
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, info.Timeout, "the configuration did not change")
}

// TestValidationMessagesAreTheAPIs: a change the API refuses shows the
// API's own error type and message beside the form.
func TestValidationMessagesAreTheAPIs(t *testing.T) {
	s := startServer(t, serverOptions{})
	s.deploy(t, "fn")
	_, err := s.Engine.PublishVersion(context.Background(), "fn", "")
	require.NoError(t, err)
	_, err = s.Engine.SetAlias(context.Background(), "fn", engine.Alias{Name: "live", FunctionVersion: "1"})
	require.NoError(t, err)
	c := s.client(t)
	c.signIn(adminKey)
	tests := []struct {
		name string
		path string
		form url.Values
		want string
	}{
		{name: "timeout 0", path: "/console/functions/fn/configuration", form: url.Values{"timeout": {"0"}, "env_count": {"0"}},
			want: "InvalidParameterValueException: Timeout 0: must be between 1 and 900 seconds"},
		{name: "memory too large", path: "/console/functions/fn/configuration", form: url.Values{"memory": {"999999"}, "env_count": {"0"}},
			want: "InvalidParameterValueException: MemorySize 999999: must be between 1 and"},
		{name: "timeout not a number", path: "/console/functions/fn/configuration", form: url.Values{"timeout": {"ten"}, "env_count": {"0"}},
			want: `Timeout &#34;ten&#34;: enter a whole number`},
		{name: "bad environment name", path: "/console/functions/fn/configuration",
			form: url.Values{"env_count": {"1"}, "env_name_0": {"AWS_REGION"}, "env_value_0": {"x"}}, want: "InvalidParameterValueException"},
		{name: "stale revision", path: "/console/functions/fn/configuration", form: url.Values{"revision": {"old"}, "env_count": {"0"}},
			want: "PreconditionFailedException: The Revision Id provided does not match"},
		{name: "alias weight over 100%", path: "/console/functions/fn/aliases/live",
			form: url.Values{"version": {"1"}, "additional": {"1"}, "weight": {"150"}}, want: "InvalidParameterValueException"},
		{name: "alias weight not a number", path: "/console/functions/fn/aliases/live",
			form: url.Values{"version": {"1"}, "additional": {"1"}, "weight": {"half"}}, want: "weight &#34;half&#34;"},
		{name: "alias to a missing version", path: "/console/functions/fn/aliases/live", form: url.Values{"version": {"7"}},
			want: "Exception"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.get("/console/functions/fn")
			p := c.post(tt.path, tt.form, true)
			assert.Equal(t, http.StatusBadRequest, p.Status)
			assert.Contains(t, p.Body, tt.want)
		})
	}
}

// TestOpenMode: without keys every browser is an admin, as every API
// request is, but only on a loopback Host, and changes still need the
// session's token.
func TestOpenMode(t *testing.T) {
	s := startServer(t, serverOptions{open: true})
	s.deploy(t, "fn")
	c := s.client(t)
	p := c.get("/console/functions")
	require.Equal(t, http.StatusOK, p.Status)
	assert.Contains(t, p.Body, "open mode")
	assert.Contains(t, p.Header.Get("Set-Cookie"), "flint_console=")
	assert.Equal(t, http.StatusForbidden, c.post("/console/functions/fn/configuration", url.Values{"timeout": {"5"}, "env_count": {"0"}}, false).Status)
	c.get("/console/functions/fn")
	assert.Equal(t, http.StatusSeeOther, c.post("/console/functions/fn/configuration", url.Values{"timeout": {"5"}, "env_count": {"0"}}, true).Status)

	for _, host := range []string{"evil.example", "evil.example:8080", "10.0.0.1"} {
		t.Run("Host "+host, func(t *testing.T) {
			req, err := http.NewRequest("GET", s.URL+"/console/functions", nil)
			require.NoError(t, err)
			req.Host = host
			p := c.do(req)
			assert.Equal(t, http.StatusForbidden, p.Status, "a DNS-rebinding page cannot read the console")
		})
	}
	for _, host := range []string{"localhost", "127.0.0.1:8080", "[::1]:80"} {
		t.Run("Host "+host, func(t *testing.T) {
			req, err := http.NewRequest("GET", s.URL+"/console/functions", nil)
			require.NoError(t, err)
			req.Host = host
			assert.Equal(t, http.StatusOK, c.do(req).Status)
		})
	}
}

func TestNotFound(t *testing.T) {
	s := startServer(t, serverOptions{})
	c := s.client(t)
	c.signIn(adminKey)
	tests := []struct {
		path   string
		status int
	}{
		{"/console/nope", http.StatusNotFound},
		{"/console/functions/missing", http.StatusNotFound},
		{"/console/functions/missing/test", http.StatusNotFound},
		{"/console/functions/missing/monitoring", http.StatusNotFound},
		{"/console/functions/missing/logs", http.StatusNotFound},
		{"/console/static/nope.js", http.StatusNotFound},
		{"/console/event-sources", http.StatusNotFound},
		{"/console/signout", http.StatusMethodNotAllowed},
		{"/console/", http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.status, c.get(tt.path).Status)
		})
	}
}
