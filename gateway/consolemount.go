package gateway

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/gateway/console"
	"github.com/valyala/fasthttp"
)

// newConsole makes the web console the route table mounts at /console/
// (gateway/console): it signs in with the gateway's keys, reads the
// engine, and makes its changes through the gateway's own operations.
func (g *Gateway) newConsole(opts console.Options) (*console.Console, error) {
	opts.Sources = g.consoleSources()
	var keys auth.Keys
	if g.verifier != nil {
		keys = g.verifier.Keys
	}
	return console.New(console.Config{
		Options: opts, Engine: g.eng, Store: g.cfg.Store, Keys: keys, AccountID: g.cfg.AccountID,
		PublicURL: g.cfg.PublicURL, API: g.consoleAPI, Stream: g.streamUntil, Logger: g.cfg.Logger,
	})
}

// serveConsole hands a request under /console to the console, which
// checks its own sessions.
func (g *Gateway) serveConsole(c *call) error {
	secure := c.ctx.IsTLS() || c.ctx.UserValue(tlsKey{}) != nil || strings.HasPrefix(g.cfg.PublicURL, "https://")
	g.console.Serve(c.ctx, secure)
	return nil
}

// consoleAPI runs one API operation in-process for the console, as key:
// the route table's access rule and the operation's own validation apply
// as they do to a signed request (the console has checked the key's
// secret at sign-in). It returns the operation's JSON answer, or a
// *console.APIError with the error the API would have sent.
func (g *Gateway) consoleAPI(_ context.Context, key auth.Key, method, path string, body []byte) ([]byte, error) {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(path)
	if len(body) > 0 {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, nil, fasthttpLogger{g.cfg.Logger})
	c := &call{ctx: &ctx, start: time.Now(), key: key}
	rt, status := g.router.match(method, string(ctx.Path()), &c.params)
	c.route = rt
	var err error
	if rt != nil && rt.access == public {
		err = unknownOp(c) // the console has no business with public routes
	} else {
		err = g.dispatch(c, status)
	}
	if err != nil {
		g.fail(c, err)
	}
	resp := &ctx.Response
	if code := resp.StatusCode(); code >= 300 {
		var msg struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(resp.Body(), &msg)
		return nil, &console.APIError{Status: code, Type: string(resp.Header.Peek("X-Amzn-Errortype")), Message: msg.Message}
	}
	return append([]byte(nil), resp.Body()...), nil
}
