package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
)

// jsonRaw embeds a stored JSON document in a response.
func jsonRaw(b []byte) json.RawMessage { return json.RawMessage(b) }

// flintAPI serves Flint's own API under /flint/v1/: what Lambda has no API
// for. Every call needs an admin's key.
func (g *Gateway) flintAPI(c *call, path string) error {
	if err := c.requireAdmin(); err != nil {
		return err
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	ctx := c.ctx
	method := string(ctx.Method())
	switch {
	case segs[0] == "roles":
		return g.serveRoles(c, segs[1:])
	case segs[0] == "usage" && len(segs) == 1 && method == http.MethodGet:
		writeJSON(ctx, http.StatusOK, map[string]any{"Usage": g.eng.Usage()})
		return nil
	case segs[0] == "dead-letters":
		return g.serveDeadLetters(c, segs[1:])
	case segs[0] == "functions" && len(segs) == 3 && segs[2] == "logs" && method == http.MethodGet:
		return g.serveLogs(c, segs[1])
	case segs[0] == "functions" && len(segs) == 3 && segs[2] == "code" && method == http.MethodGet:
		return g.serveCode(c, segs[1])
	}
	return unknownOp(c)
}

func (g *Gateway) serveDeadLetters(c *call, rest []string) error {
	ctx := c.ctx
	method := string(ctx.Method())
	switch {
	case len(rest) == 0 && method == http.MethodGet:
		limit, err := queryInt(ctx, "limit", 50, 1, 1000)
		if err != nil {
			return err
		}
		dls, more, err := g.eng.DeadLetters(ctx, query(ctx, "after"), limit)
		if err != nil {
			return err
		}
		out := map[string]any{"DeadLetters": dls}
		if more && len(dls) > 0 {
			out["NextAfter"] = dls[len(dls)-1].Key
		}
		writeJSON(ctx, http.StatusOK, out)
		return nil
	case len(rest) == 1 && method == http.MethodGet:
		dl, err := g.eng.DeadLetter(ctx, rest[0])
		if err != nil {
			return deadLetterErr(err)
		}
		writeJSON(ctx, http.StatusOK, dl)
		return nil
	case len(rest) == 1 && method == http.MethodDelete:
		if err := g.eng.DeleteDeadLetter(ctx, rest[0]); err != nil {
			return deadLetterErr(err)
		}
		ctx.SetStatusCode(http.StatusNoContent)
		return nil
	case len(rest) == 2 && rest[1] == "redrive" && method == http.MethodPost:
		id, err := g.eng.Redrive(ctx, rest[0])
		if err != nil {
			return deadLetterErr(err)
		}
		writeJSON(ctx, http.StatusAccepted, map[string]string{"RequestId": id})
		return nil
	}
	return unknownOp(c)
}

func deadLetterErr(err error) error {
	if strings.Contains(err.Error(), "not found") {
		return apiErr("ResourceNotFoundException", "%v", err)
	}
	return err
}

// serveLogs writes a function's kept log records, and with follow=1 keeps
// the response open, streaming new ones until the client goes away or the
// server shuts down.
func (g *Gateway) serveLogs(c *call, name string) error {
	ctx := c.ctx
	since := uint64(0)
	if s := query(ctx, "since"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return invalidParam("since %q: a sequence number", s)
		}
		since = n
	}
	records, err := g.eng.Logs(name, since)
	if err != nil {
		return err
	}
	ctx.SetContentType("text/plain; charset=utf-8")
	if query(ctx, "follow") != "1" {
		for _, r := range records {
			ctx.Write(r.Text)
		}
		return nil
	}
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		for _, r := range records {
			w.Write(r.Text)
		}
		if w.Flush() != nil {
			return
		}
		fctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tick := time.NewTicker(15 * time.Second)
		defer tick.Stop()
		go func() {
			// Stop following on shutdown, and notice a client that left by
			// a failed heartbeat.
			for {
				select {
				case <-fctx.Done():
					return
				case <-tick.C:
					if g.draining.Load() {
						cancel()
						return
					}
				}
			}
		}()
		_ = g.eng.FollowLogs(fctx, name, func(r engine.LogRecord) bool {
			if _, err := w.Write(r.Text); err != nil {
				return false
			}
			return w.Flush() == nil
		})
	})
	return nil
}

func (g *Gateway) serveCode(c *call, name string) error {
	q := query(c.ctx, "qualifier")
	target := name
	if q != "" && q != engine.LatestVersion {
		target += ":" + q
	}
	info, err := g.eng.Function(target)
	if err != nil {
		return err
	}
	code, err := g.cfg.Store.Blobs().Get(c.ctx, info.CodeSHA256)
	if err != nil {
		return err
	}
	c.ctx.SetContentType("application/wasm")
	c.ctx.SetBody(code)
	return nil
}
