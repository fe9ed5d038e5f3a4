package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/flintfaas/flint/cluster"
	"github.com/flintfaas/flint/engine"
)

// jsonRaw embeds a stored JSON document in a response.
func jsonRaw(b []byte) json.RawMessage { return json.RawMessage(b) }

// usage serves Flint's usage meter: requests and GB-seconds per function.
// On a cluster's node it sums every node's, and says how many answered.
func (g *Gateway) usage(c *call) error {
	if g.cfg.Cluster == nil {
		writeJSON(c.ctx, http.StatusOK, map[string]any{"Usage": g.eng.Usage()})
		return nil
	}
	u, nodes, err := g.cfg.Cluster.Usage(c.ctx)
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, map[string]any{"Usage": u, "Nodes": nodes})
	return nil
}

// clusterStatus serves the cluster's nodes and the health of the
// JetStream they share.
func (g *Gateway) clusterStatus(c *call) error {
	if g.cfg.Cluster == nil {
		return apiErr("ResourceNotFoundException", "this server runs alone, not in a cluster (flint serve --cluster-name or --nats make one)")
	}
	writeJSON(c.ctx, http.StatusOK, g.cfg.Cluster.Status(c.ctx))
	return nil
}

// deadLetterJSON is a dead letter as /flint/v1/dead-letters shows it.
type deadLetterJSON struct {
	Key           string
	ID            string
	Function      string
	Payload       []byte
	Record        json.RawMessage
	Condition     string
	Attempts      int
	FirstEnqueued time.Time
	LastError     struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	Time time.Time
}

func deadLetterOut(d engine.DeadLetter) deadLetterJSON {
	out := deadLetterJSON{Key: d.Key, ID: d.ID, Function: d.Function, Payload: d.Payload, Record: d.Record,
		Condition: d.Condition, Attempts: d.Attempts, FirstEnqueued: d.FirstEnqueued, Time: d.Time}
	out.LastError.Type, out.LastError.Message = d.LastErrorType, d.LastErrorMessage
	return out
}

func (g *Gateway) listDeadLetters(c *call) error {
	ctx := c.ctx
	limit, err := queryInt(ctx, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	dls, more, err := g.eng.DeadLetters(ctx, query(ctx, "after"), limit)
	if err != nil {
		return err
	}
	page := make([]deadLetterJSON, len(dls))
	for i, d := range dls {
		page[i] = deadLetterOut(d)
	}
	out := map[string]any{"DeadLetters": page}
	if more && len(dls) > 0 {
		out["NextAfter"] = dls[len(dls)-1].Key
	}
	writeJSON(ctx, http.StatusOK, out)
	return nil
}

func (g *Gateway) getDeadLetter(c *call) error {
	dl, err := g.eng.DeadLetter(c.ctx, c.params.get("id"))
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, deadLetterOut(dl))
	return nil
}

func (g *Gateway) deleteDeadLetter(c *call) error {
	if err := g.eng.DeleteDeadLetter(c.ctx, c.params.get("id")); err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

func (g *Gateway) redriveDeadLetter(c *call) error {
	id, err := g.eng.Redrive(c.ctx, c.params.get("id"))
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusAccepted, map[string]string{"RequestId": id})
	return nil
}

// serveLogs writes a function's kept log records, and with follow=1 keeps
// the response open, streaming new ones until the client goes away or
// Shutdown starts.
func (g *Gateway) serveLogs(c *call) error {
	ctx, name := c.ctx, c.fn.name
	since := uint64(0)
	if s := query(ctx, "since"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return invalidParam("since %q: a sequence number", s)
		}
		since = n
	}
	// format=json: one JSON object per record and line, with its sequence
	// number (what since takes), time, request id and version.
	write := func(w io.Writer, r engine.LogRecord) error { _, err := w.Write(r.Text); return err }
	contentType := "text/plain; charset=utf-8"
	switch f := query(ctx, "format"); f {
	case "", "text":
	case "json":
		contentType, write = "application/x-ndjson", writeLogRecord
	default:
		return invalidParam("format %q: use text or json", f)
	}
	if g.cfg.Cluster != nil {
		return g.serveClusterLogs(c, contentType, write)
	}
	records, err := g.eng.Logs(name, since)
	if err != nil {
		return err
	}
	ctx.SetContentType(contentType)
	if query(ctx, "follow") != "1" {
		for _, r := range records {
			_ = write(ctx, r)
		}
		return nil
	}
	// The stream ends the connection, and starts with the headers: a quiet
	// function may log nothing for a while.
	ctx.SetConnectionClose()
	ctx.Response.ImmediateHeaderFlush = true
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		for _, r := range records {
			_ = write(w, r)
		}
		if w.Flush() != nil {
			return
		}
		g.streamUntil(ctx, w, func(sctx context.Context, w *bufio.Writer) {
			_ = g.eng.FollowLogs(sctx, name, func(r engine.LogRecord) bool {
				if err := write(w, r); err != nil {
					return false
				}
				return w.Flush() == nil
			})
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
	u := g.baseURL(c) + "/flint/v1/functions/" + name + "/code?qualifier=" + url.QueryEscape(version)
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

func (g *Gateway) serveCode(c *call) error {
	target := c.fn.name
	if q := query(c.ctx, "qualifier"); q != "" && q != engine.LatestVersion {
		target += ":" + q
	}
	code, err := g.eng.Code(c.ctx, target)
	if err != nil {
		return err
	}
	c.ctx.SetContentType("application/wasm")
	c.ctx.SetBody(code)
	return nil
}

// serveClusterLogs is serveLogs on a cluster's node: the records of every
// node, the kept ones ordered by time, then, with follow=1, the new ones
// as they arrive from any node, each as write writes it (text, or a line of
// JSON with format=json). since (a node's own sequence numbers) does not
// apply.
func (g *Gateway) serveClusterLogs(c *call, contentType string, write func(io.Writer, engine.LogRecord) error) error {
	ctx, name := c.ctx, c.fn.name
	if _, err := g.eng.Function(name); err != nil {
		return err
	}
	cl := g.cfg.Cluster
	follow := query(ctx, "follow") == "1"
	// Following starts first, so that a record logged while the kept ones
	// are gathered is not missed; one seen in both is written once.
	var live chan cluster.LogRecord
	var stopFollowing context.CancelFunc = func() {}
	if follow {
		fctx, cancel := context.WithCancel(context.Background())
		stopFollowing = cancel
		live = make(chan cluster.LogRecord, 1024)
		go func() {
			defer close(live)
			_ = cl.FollowLogs(fctx, name, func(r cluster.LogRecord) bool {
				select {
				case live <- r:
				default: // a reader this slow loses records, as engine.FollowLogs's do
				}
				return true
			})
		}()
	}
	records, err := cl.Logs(ctx, name)
	if err != nil {
		stopFollowing()
		return err
	}
	ctx.SetContentType(contentType)
	if !follow {
		for _, r := range records {
			_ = write(ctx, r.LogRecord)
		}
		return nil
	}
	type key struct {
		node string
		seq  uint64
	}
	kept := make(map[key]bool, len(records))
	for _, r := range records {
		kept[key{r.Node, r.Seq}] = true
	}
	ctx.SetConnectionClose()
	ctx.Response.ImmediateHeaderFlush = true
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer stopFollowing()
		for _, r := range records {
			_ = write(w, r.LogRecord)
		}
		if w.Flush() != nil {
			return
		}
		g.streamUntil(ctx, w, func(sctx context.Context, w *bufio.Writer) {
			for {
				select {
				case <-sctx.Done():
					return
				case r, ok := <-live:
					if !ok {
						return
					}
					if kept[key{r.Node, r.Seq}] {
						continue
					}
					if write(w, r.LogRecord) != nil || w.Flush() != nil {
						return
					}
				}
			}
		})
	})
	return nil
}

// logRecordJSON is a log record as format=json sends it.
type logRecordJSON struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	RequestID string    `json:"requestId,omitempty"`
	Version   string    `json:"version,omitempty"`
	Failed    bool      `json:"failed"`
	Text      string    `json:"text"`
}

// writeLogRecord writes one record as a line of JSON.
func writeLogRecord(w io.Writer, r engine.LogRecord) error {
	b, err := json.Marshal(logRecordJSON{Seq: r.Seq, Time: r.Time.UTC(), RequestID: r.RequestID, Version: r.Version, Failed: r.Failed, Text: string(r.Text)})
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
