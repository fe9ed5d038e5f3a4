package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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
// the response open, streaming new ones until the client goes away or
// Shutdown starts.
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
	// The stream ends the connection: nothing is read after the request,
	// so a read ending says the client went away (as net/http notices it).
	conn := ctx.Conn()
	ctx.SetConnectionClose()
	// Send the headers now: a quiet function may log nothing for a while.
	ctx.Response.ImmediateHeaderFlush = true
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		for _, r := range records {
			w.Write(r.Text)
		}
		if w.Flush() != nil {
			return
		}
		fctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-fctx.Done():
			case <-g.stopping:
				cancel()
			}
		}()
		go func() {
			if conn == nil {
				return
			}
			// The request's read deadline would end the stream.
			_ = conn.SetReadDeadline(time.Time{})
			var b [1]byte
			for {
				if _, err := conn.Read(b[:]); err != nil {
					cancel()
					return
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

// codeLocationExpiry is how long GetFunction's Code.Location can be used,
// as long as Lambda's presigned S3 URL.
const codeLocationExpiry = 10 * time.Minute

// emptySHA256 is the hex SHA-256 of an empty body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// codeLocation is the URL GetFunction gives for a version's module. Like
// Lambda's presigned S3 URL it works without credentials: with keys
// configured it is presigned (SigV4 in the query) with the caller's key.
func (g *Gateway) codeLocation(c *call, name, version string) string {
	u := g.baseURL(c.ctx) + "/flint/v1/functions/" + name + "/code?qualifier=" + url.QueryEscape(version)
	if g.open {
		return u
	}
	creds := aws.Credentials{AccessKeyID: c.key.AccessKeyID}
	for _, k := range g.cfg.Keys {
		if k.AccessKeyID == c.key.AccessKeyID {
			creds.SecretAccessKey = k.SecretAccessKey
		}
	}
	req, err := http.NewRequest(http.MethodGet, u+"&X-Amz-Expires="+strconv.Itoa(int(codeLocationExpiry/time.Second)), nil)
	if err != nil {
		return u
	}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, emptySHA256, "lambda", g.cfg.Region, time.Now())
	if err != nil {
		return u
	}
	return signed
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
