package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway/urlevent"
	"github.com/valyala/fasthttp"
)

// urlConfig is a function URL's configuration, per qualifier ("" for the
// unqualified function).
type urlConfig struct {
	AuthType     string          `json:"authType"`
	Cors         json.RawMessage `json:"cors,omitempty"`
	InvokeMode   string          `json:"invokeMode,omitempty"`
	Created      time.Time       `json:"created"`
	LastModified time.Time       `json:"lastModified"`
}

type urlInput struct {
	AuthType   string          `json:"AuthType"`
	Cors       json.RawMessage `json:"Cors"`
	InvokeMode string          `json:"InvokeMode"`
}

// functionURL is where a function's URL serves.
func (g *Gateway) functionURL(ctx *fasthttp.RequestCtx, f fnRef) string {
	return g.baseURL(ctx) + "/fn/" + f.target() + "/"
}

func (g *Gateway) urlOutput(ctx *fasthttp.RequestCtx, f fnRef, u urlConfig) map[string]any {
	out := map[string]any{
		"FunctionUrl":      g.functionURL(ctx, f),
		"FunctionArn":      g.functionArn(f.name, f.qualifier),
		"AuthType":         u.AuthType,
		"CreationTime":     lastModified(u.Created),
		"LastModifiedTime": lastModified(u.LastModified),
		"InvokeMode":       "BUFFERED",
	}
	if len(u.Cors) > 0 {
		out["Cors"] = u.Cors
	}
	return out
}

func (g *Gateway) updateURLs(c *call, f fnRef, change func(map[string]urlConfig) error) error {
	g.urlMu.Lock()
	defer g.urlMu.Unlock()
	urls, err := g.urls.get(g.eng, f.name, extURLs)
	if err != nil {
		return err
	}
	urls = maps.Clone(urls)
	if urls == nil {
		urls = map[string]urlConfig{}
	}
	if err := change(urls); err != nil {
		return err
	}
	var raw json.RawMessage
	if len(urls) > 0 {
		if raw, err = json.Marshal(urls); err != nil {
			return err
		}
	}
	return g.eng.SetExtension(c.ctx, f.name, extURLs, raw)
}

func checkURLInput(in urlInput) error {
	if in.AuthType != "NONE" && in.AuthType != "AWS_IAM" {
		return invalidParam("AuthType %q: use NONE or AWS_IAM", in.AuthType)
	}
	if in.InvokeMode != "" && in.InvokeMode != "BUFFERED" {
		return invalidParam("InvokeMode %q: only BUFFERED is available", in.InvokeMode)
	}
	return nil
}

func (g *Gateway) createURL(c *call, f fnRef) error {
	var in urlInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if err := checkURLInput(in); err != nil {
		return err
	}
	if f.qualifier != "" && !isAliasName(f.qualifier) {
		return invalidParam("a function URL's qualifier must be an alias or $LATEST, not version %s", f.qualifier)
	}
	if _, err := g.eng.Function(f.target()); err != nil {
		return err
	}
	now := time.Now().UTC()
	u := urlConfig{AuthType: in.AuthType, Cors: in.Cors, Created: now, LastModified: now}
	err := g.updateURLs(c, f, func(urls map[string]urlConfig) error {
		if _, ok := urls[f.qualifier]; ok {
			return apiErr("ResourceConflictException", "Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", g.functionArn(f.name, f.qualifier))
		}
		urls[f.qualifier] = u
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusCreated, g.urlOutput(c.ctx, f, u))
	return nil
}

func isAliasName(q string) bool {
	if q == engine.LatestVersion {
		return true
	}
	for _, r := range q {
		if r < '0' || r > '9' {
			return true
		}
	}
	return false
}

func (g *Gateway) lookupURL(f fnRef) (urlConfig, error) {
	urls, err := g.urls.get(g.eng, f.name, extURLs)
	if err != nil {
		return urlConfig{}, err
	}
	u, ok := urls[f.qualifier]
	if !ok {
		return urlConfig{}, errNoURL
	}
	return u, nil
}

func (g *Gateway) getURL(c *call, f fnRef) error {
	u, err := g.lookupURL(f)
	if errors.Is(err, errNoURL) {
		return apiErr("ResourceNotFoundException", "The resource you requested does not exist.")
	}
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, g.urlOutput(c.ctx, f, u))
	return nil
}

func (g *Gateway) updateURL(c *call, f fnRef) error {
	var in urlInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	var u urlConfig
	err := g.updateURLs(c, f, func(urls map[string]urlConfig) error {
		cur, ok := urls[f.qualifier]
		if !ok {
			return apiErr("ResourceNotFoundException", "The resource you requested does not exist.")
		}
		if in.AuthType == "" {
			in.AuthType = cur.AuthType
		}
		if err := checkURLInput(in); err != nil {
			return err
		}
		cur.AuthType = in.AuthType
		if in.Cors != nil {
			cur.Cors = in.Cors
		}
		cur.LastModified = time.Now().UTC()
		urls[f.qualifier], u = cur, cur
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, g.urlOutput(c.ctx, f, u))
	return nil
}

func (g *Gateway) deleteURL(c *call, f fnRef) error {
	err := g.updateURLs(c, f, func(urls map[string]urlConfig) error {
		if _, ok := urls[f.qualifier]; !ok {
			return apiErr("ResourceNotFoundException", "The resource you requested does not exist.")
		}
		delete(urls, f.qualifier)
		return nil
	})
	if err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// urlError answers a function URL request as Lambda's URLs do: a status
// and {"Message": ...}.
func urlError(ctx *fasthttp.RequestCtx, status int, msg string) {
	writeJSON(ctx, status, map[string]string{"Message": msg})
}

// serveFunctionURL serves /fn/{name}[:{qualifier}]/{path...}.
func (g *Gateway) serveFunctionURL(c *call, path string) {
	ctx := c.ctx
	rest := strings.TrimPrefix(path, "/fn/")
	target, _, _ := strings.Cut(rest, "/")
	name, qualifier, err := parseFunctionName(target)
	if err != nil {
		urlError(ctx, http.StatusNotFound, "Not Found")
		return
	}
	f := fnRef{name: name, qualifier: qualifier}
	u, err := g.lookupURL(f)
	if err != nil {
		urlError(ctx, http.StatusNotFound, "Not Found")
		return
	}
	var caller *urlevent.IAMCaller
	account := "" // "anonymous" for NONE, as Lambda sends it
	switch u.AuthType {
	case "NONE":
		if !g.permits(f, "", actionInvokeURL, "NONE") {
			urlError(ctx, http.StatusForbidden, "Forbidden")
			return
		}
	case "AWS_IAM":
		if err := g.authenticate(c); err != nil {
			urlError(ctx, http.StatusForbidden, "Forbidden")
			return
		}
		if !c.key.Admin && !g.permits(f, c.key.AccessKeyID, actionInvokeURL, "AWS_IAM") {
			urlError(ctx, http.StatusForbidden, "Forbidden")
			return
		}
		caller = &urlevent.IAMCaller{AccessKey: c.key.AccessKeyID, AccountID: g.cfg.AccountID}
		account = g.cfg.AccountID
	}

	// The path after /fn/{target}, as sent (escaped).
	raw := string(ctx.Request.URI().PathOriginal())
	urlPath := "/"
	if i := strings.Index(raw, "/fn/"); i >= 0 {
		if j := strings.IndexByte(raw[i+len("/fn/"):], '/'); j >= 0 {
			urlPath = raw[i+len("/fn/")+j:]
		}
	}
	ev, err := urlevent.Event(urlevent.Request{
		Method:    string(ctx.Method()),
		RawPath:   urlPath,
		RawQuery:  string(ctx.URI().QueryString()),
		Host:      string(ctx.Host()),
		SourceIP:  ctx.RemoteIP().String(),
		UserAgent: string(ctx.UserAgent()),
		Protocol:  string(ctx.Request.Header.Protocol()),
		Headers:   headersOf(ctx),
		Body:      ctx.PostBody(),
		RequestID: c.requestID(),
		Time:      c.start,
		URLID:     f.name,
		AccountID: account,
		IAM:       caller,
	})
	if err != nil {
		urlError(ctx, http.StatusBadRequest, "Bad Request: "+err.Error())
		return
	}
	res, err := g.eng.Invoke(engine.WithRequestID(context.Background(), c.id), f.target(), ev)
	if err != nil {
		ae := fromEngine(err)
		msg := http.StatusText(ae.Status)
		if ae.Status == http.StatusTooManyRequests {
			msg = "Rate Exceeded."
		}
		urlError(ctx, ae.Status, msg)
		return
	}
	if res.FunctionError != nil {
		urlError(ctx, http.StatusBadGateway, "Internal Server Error")
		return
	}
	resp, err := urlevent.ParseResponse(res.Payload)
	if err != nil {
		g.cfg.Logger.Warn("function URL response", "function", f.target(), "err", err)
		urlError(ctx, http.StatusBadGateway, "Internal Server Error")
		return
	}
	ctx.SetStatusCode(resp.Status)
	for _, h := range resp.Headers {
		switch strings.ToLower(h.Name) {
		case "content-length", "transfer-encoding", "connection":
			continue // framing is the server's
		}
		ctx.Response.Header.Set(h.Name, h.Value)
	}
	for _, ck := range resp.Cookies {
		ctx.Response.Header.Add("Set-Cookie", ck)
	}
	ctx.SetBody(resp.Body)
}

// headersOf lists a request's header fields in order.
func headersOf(ctx *fasthttp.RequestCtx) []urlevent.Header {
	hs := make([]urlevent.Header, 0, ctx.Request.Header.Len())
	for k, v := range ctx.Request.Header.All() {
		hs = append(hs, urlevent.Header{Name: string(k), Value: string(v)})
	}
	return hs
}
