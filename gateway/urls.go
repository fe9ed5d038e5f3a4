package gateway

import (
	"cmp"
	"context"
	"net/http"
	"strings"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway/urlevent"
	"github.com/flintfaas/flint/internal/names"
	"github.com/valyala/fasthttp"
)

// urlInput is the body of CreateFunctionUrlConfig and
// UpdateFunctionUrlConfig.
type urlInput struct {
	AuthType   string    `json:"AuthType"`
	Cors       *corsJSON `json:"Cors"`
	InvokeMode string    `json:"InvokeMode"`
}

// corsJSON is a function URL's Cors, as Lambda's API spells it.
type corsJSON struct {
	AllowCredentials bool     `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           int      `json:"MaxAge,omitempty"`
}

func (c *corsJSON) engine() *engine.CORS {
	if c == nil {
		return nil
	}
	return &engine.CORS{AllowCredentials: c.AllowCredentials, AllowHeaders: c.AllowHeaders, AllowMethods: c.AllowMethods,
		AllowOrigins: c.AllowOrigins, ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge}
}

func corsOut(c *engine.CORS) *corsJSON {
	if c == nil {
		return nil
	}
	return &corsJSON{AllowCredentials: c.AllowCredentials, AllowHeaders: c.AllowHeaders, AllowMethods: c.AllowMethods,
		AllowOrigins: c.AllowOrigins, ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge}
}

// functionURL is where a function's URL serves.
func (g *Gateway) functionURL(c *call, f fnRef) string {
	return g.baseURL(c) + "/fn/" + f.target() + "/"
}

func (g *Gateway) urlOutput(c *call, f fnRef, u engine.URLConfig) map[string]any {
	out := map[string]any{
		"FunctionUrl":      g.functionURL(c, f),
		"FunctionArn":      g.functionArn(f.name, f.qualifier),
		"AuthType":         u.AuthType,
		"CreationTime":     lastModified(u.Created),
		"LastModifiedTime": lastModified(u.LastModified),
		"InvokeMode":       cmp.Or(u.InvokeMode, engine.InvokeModeBuffered),
	}
	if u.CORS != nil {
		out["Cors"] = corsOut(u.CORS)
	}
	return out
}

func checkURLInput(in urlInput) error {
	if in.AuthType != engine.AuthNone && in.AuthType != engine.AuthIAM {
		return invalidParam("AuthType %q: use NONE or AWS_IAM", in.AuthType)
	}
	if in.InvokeMode != "" && in.InvokeMode != engine.InvokeModeBuffered && in.InvokeMode != engine.InvokeModeResponseStream {
		return invalidParam("InvokeMode %q: use BUFFERED or RESPONSE_STREAM", in.InvokeMode)
	}
	return checkCORS(in.Cors)
}

// urlNotFound is Lambda's answer for a function without a URL config.
func urlNotFound() error {
	return apiErr("ResourceNotFoundException", "The resource you requested does not exist.")
}

func (g *Gateway) createURL(c *call) error {
	f := c.fn
	var in urlInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if err := checkURLInput(in); err != nil {
		return err
	}
	if f.qualifier != "" && f.qualifier != engine.LatestVersion && !names.Alias(f.qualifier) {
		return invalidParam("a function URL's qualifier must be an alias or $LATEST, not version %s", f.qualifier)
	}
	if _, err := g.eng.Function(f.target()); err != nil {
		return err
	}
	s, err := g.eng.UpdateSettings(c.ctx, f.name, func(s *engine.Settings) error {
		if _, ok := s.URLs[f.qualifier]; ok {
			return apiErr("ResourceConflictException", "Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", g.functionArn(f.name, f.qualifier))
		}
		if s.URLs == nil {
			s.URLs = map[string]engine.URLConfig{}
		}
		s.URLs[f.qualifier] = engine.URLConfig{AuthType: in.AuthType, InvokeMode: in.InvokeMode, CORS: in.Cors.engine()}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusCreated, g.urlOutput(c, f, s.URLs[f.qualifier]))
	return nil
}

// lookupURL returns the URL configuration of f, and whether there is one.
func (g *Gateway) lookupURL(f fnRef) (engine.URLConfig, bool) {
	s, err := g.eng.Settings(f.name)
	if err != nil {
		return engine.URLConfig{}, false
	}
	u, ok := s.URLs[f.qualifier]
	return u, ok
}

func (g *Gateway) getURL(c *call) error {
	f := c.fn
	if _, err := g.eng.Function(f.name); err != nil {
		return err
	}
	u, ok := g.lookupURL(f)
	if !ok {
		return urlNotFound()
	}
	writeJSON(c.ctx, http.StatusOK, g.urlOutput(c, f, u))
	return nil
}

func (g *Gateway) updateURL(c *call) error {
	f := c.fn
	var in urlInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	s, err := g.eng.UpdateSettings(c.ctx, f.name, func(s *engine.Settings) error {
		cur, ok := s.URLs[f.qualifier]
		if !ok {
			return urlNotFound()
		}
		if in.AuthType == "" {
			in.AuthType = cur.AuthType
		}
		if in.InvokeMode == "" {
			in.InvokeMode = cur.InvokeMode
		}
		if err := checkURLInput(in); err != nil {
			return err
		}
		cur.AuthType, cur.InvokeMode = in.AuthType, in.InvokeMode
		if in.Cors != nil {
			cur.CORS = in.Cors.engine()
		}
		s.URLs[f.qualifier] = cur
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, g.urlOutput(c, f, s.URLs[f.qualifier]))
	return nil
}

func (g *Gateway) deleteURL(c *call) error {
	f := c.fn
	_, err := g.eng.UpdateSettings(c.ctx, f.name, func(s *engine.Settings) error {
		if _, ok := s.URLs[f.qualifier]; !ok {
			return urlNotFound()
		}
		delete(s.URLs, f.qualifier)
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

// serveFunctionURL serves /fn/{name}[:{qualifier}]/{path...}. It answers
// every error itself, as Lambda's function URLs do, and returns nil.
func (g *Gateway) serveFunctionURL(c *call) error {
	ctx := c.ctx
	name, qualifier, err := parseFunctionName(c.params.get("target"))
	if err != nil {
		urlError(ctx, http.StatusNotFound, "Not Found")
		return nil
	}
	f := fnRef{name: name, qualifier: qualifier}
	settings, err := g.eng.Settings(f.name)
	u, ok := settings.URLs[f.qualifier]
	if err != nil || !ok {
		urlError(ctx, http.StatusNotFound, "Not Found")
		return nil
	}
	if u.CORS != nil {
		if isPreflight(ctx) {
			answerPreflight(ctx, u.CORS)
			return nil
		}
		// Last, over whatever the response holds by then, streamed or not.
		defer applyCORS(ctx, u.CORS)
	}
	var caller *urlevent.IAMCaller
	account := "" // "anonymous" for NONE, as Lambda sends it
	switch u.AuthType {
	case engine.AuthNone:
		if !g.allows(settings, f, "", engine.ActionInvokeFunctionURL, engine.AuthNone) {
			urlError(ctx, http.StatusForbidden, "Forbidden")
			return nil
		}
	case engine.AuthIAM:
		if err := g.authenticate(c); err != nil {
			urlError(ctx, http.StatusForbidden, "Forbidden")
			return nil
		}
		if !c.key.Admin && !g.allows(settings, f, c.key.AccessKeyID, engine.ActionInvokeFunctionURL, engine.AuthIAM) {
			urlError(ctx, http.StatusForbidden, "Forbidden")
			return nil
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
	req := urlevent.Request{
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
	}
	// A buffered URL offers the request as an HTTP/1.1 message too: a
	// function that takes messages (flint_http_handle) gets it, and no
	// JSON is made; the others get the event, made only for them.
	var msg []byte
	if u.InvokeMode != engine.InvokeModeResponseStream {
		msg, _ = urlevent.AppendMessage(nil, req) // refused: the event alone, which says why
	}
	if msg == nil {
		ev, err := urlevent.Event(req)
		if err != nil {
			urlError(ctx, http.StatusBadRequest, "Bad Request: "+err.Error())
			return nil
		}
		if u.InvokeMode == engine.InvokeModeResponseStream {
			g.streamURL(c, f, ev)
			return nil
		}
		res, err := g.eng.Invoke(context.Background(), f.target(), ev, engine.WithRequestID(c.id))
		g.answerURL(ctx, f, res, err)
		return nil
	}
	event := func() []byte {
		ev, _ := urlevent.Event(req) // AppendMessage accepted req: so does Event
		return ev
	}
	res, err := g.eng.Invoke(context.Background(), f.target(), nil, engine.WithRequestID(c.id), engine.WithHTTPRequest(msg, event))
	g.answerURL(ctx, f, res, err)
	return nil
}

// answerURL answers a buffered function URL request with the outcome of
// its invocation.
func (g *Gateway) answerURL(ctx *fasthttp.RequestCtx, f fnRef, res *engine.Result, err error) {
	switch {
	case err != nil:
		g.urlInvokeError(ctx, err)
	case res.FunctionError != nil:
		urlError(ctx, http.StatusBadGateway, "Internal Server Error")
	case res.HTTPResponse:
		g.writeURLMessage(ctx, f, res.Payload)
	default:
		g.writeURLResponse(ctx, f, res.Payload)
	}
}

// headersOf lists a request's header fields in order.
func headersOf(ctx *fasthttp.RequestCtx) []urlevent.Header {
	hs := make([]urlevent.Header, 0, ctx.Request.Header.Len())
	for k, v := range ctx.Request.Header.All() {
		hs = append(hs, urlevent.Header{Name: string(k), Value: string(v)})
	}
	return hs
}
