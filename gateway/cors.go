package gateway

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/flintfaas/flint/engine"
	"github.com/valyala/fasthttp"
)

// Function URL CORS, as Lambda applies a URL's Cors configuration:
//
//   - A preflight request (OPTIONS with Origin and
//     Access-Control-Request-Method) is answered by the gateway, without
//     invoking the function or checking the URL's auth type (a browser
//     cannot sign a preflight): 200 with Access-Control-Allow-Origin,
//     -Allow-Methods, -Allow-Headers, -Max-Age and -Allow-Credentials from the
//     configuration, when the origin and the method are allowed; without
//     any of them when not, which the browser takes as a refusal.
//   - Any other request from an allowed origin gets
//     Access-Control-Allow-Origin, -Expose-Headers and -Allow-Credentials on
//     its response, whatever the status. Access-Control-* headers the
//     function sets itself are replaced by the configuration's (or
//     removed, for an origin the configuration does not allow).
//   - A URL without Cors passes every request, OPTIONS included, to the
//     function, and adds nothing.
//
// An origin matches an entry of AllowOrigins that is "*" or equal to it,
// ignoring case. Access-Control-Allow-Origin is "*" when "*" is allowed and
// credentials are not, else the request's origin (with Vary: Origin).
// AllowMethods "*" allows every method; AllowHeaders lists what
// Access-Control-Allow-Headers sends ("*" included), and the browser
// checks the request's headers against it.

// isPreflight reports whether a request is a CORS preflight.
func isPreflight(ctx *fasthttp.RequestCtx) bool {
	return string(ctx.Method()) == http.MethodOptions && len(ctx.Request.Header.Peek("Origin")) > 0 &&
		len(ctx.Request.Header.Peek("Access-Control-Request-Method")) > 0
}

// allowedOrigin returns the Access-Control-Allow-Origin value for origin,
// or false when the configuration does not allow it.
func allowedOrigin(c *engine.CORS, origin string) (string, bool) {
	if origin == "" {
		return "", false
	}
	for _, o := range c.AllowOrigins {
		switch {
		case o == "*" && !c.AllowCredentials:
			return "*", true
		case o == "*" || strings.EqualFold(o, origin):
			return origin, true
		}
	}
	return "", false
}

// allowsMethod reports whether the configuration allows method.
func allowsMethod(c *engine.CORS, method string) bool {
	for _, m := range c.AllowMethods {
		if m == "*" || strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

// answerPreflight answers a preflight request for a URL with CORS.
func answerPreflight(ctx *fasthttp.RequestCtx, c *engine.CORS) {
	ctx.SetStatusCode(http.StatusOK)
	h := &ctx.Response.Header
	h.Add("Vary", "Origin")
	allow, ok := allowedOrigin(c, string(ctx.Request.Header.Peek("Origin")))
	if !ok || !allowsMethod(c, string(ctx.Request.Header.Peek("Access-Control-Request-Method"))) {
		return
	}
	h.Set("Access-Control-Allow-Origin", allow)
	h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
	if len(c.AllowHeaders) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// corsHeaders are the response headers CORS decides.
var corsHeaders = [...]string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
	"Access-Control-Allow-Credentials", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
}

// applyCORS sets the CORS headers of a response to a request that is not a
// preflight, for a URL with CORS.
func applyCORS(ctx *fasthttp.RequestCtx, c *engine.CORS) {
	h := &ctx.Response.Header
	for _, name := range corsHeaders {
		h.Del(name)
	}
	allow, ok := allowedOrigin(c, string(ctx.Request.Header.Peek("Origin")))
	if !ok {
		return
	}
	h.Set("Access-Control-Allow-Origin", allow)
	if allow != "*" {
		h.Add("Vary", "Origin")
	}
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// checkCORS refuses a Cors configuration Lambda refuses: at most 100
// entries in each list, origins of at most 253 bytes ("*" or
// scheme://host[:port]), methods that are tokens of at most 6 bytes or "*",
// headers that are tokens of at most 1024 bytes.
func checkCORS(c *corsJSON) error {
	if c == nil {
		return nil
	}
	if c.MaxAge < 0 || c.MaxAge > 86400 {
		return invalidParam("Cors.MaxAge %d: must be between 0 and 86400 seconds", c.MaxAge)
	}
	for _, l := range []struct {
		name   string
		values []string
		max    int
		ok     func(string) bool
	}{
		{"AllowOrigins", c.AllowOrigins, 253, validOrigin},
		{"AllowMethods", c.AllowMethods, 6, func(s string) bool { return s == "*" || validToken(s) }},
		{"AllowHeaders", c.AllowHeaders, 1024, func(s string) bool { return s == "*" || validToken(s) }},
		{"ExposeHeaders", c.ExposeHeaders, 1024, func(s string) bool { return s == "*" || validToken(s) }},
	} {
		if len(l.values) > 100 {
			return invalidParam("Cors.%s: at most 100 entries", l.name)
		}
		for _, v := range l.values {
			if v == "" || len(v) > l.max || !l.ok(v) {
				return invalidParam("Cors.%s %q: not a valid entry", l.name, truncate(v, 80))
			}
		}
	}
	return nil
}

// validOrigin reports whether s is "*" or an origin: scheme://host[:port],
// no path.
func validOrigin(s string) bool {
	if s == "*" {
		return true
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || rest == "" || strings.ContainsAny(rest, "/?# ") || !validToken(scheme) {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// validToken reports whether s is an HTTP token (RFC 9110).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
