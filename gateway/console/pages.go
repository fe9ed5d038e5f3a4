package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
)

// pageTable is every page of the console. Changes are POSTs (the CSRF
// token is checked before a handler runs) that answer with a redirect to
// the page they changed, or that page with the API's message.
func pageTable() []page {
	return []page{
		{"GET", "static/{file}", anyone, (*Console).serveStatic},
		{"GET", "signin", anyone, (*Console).signinPage},
		{"POST", "signin", anyone, (*Console).signin},
		{"POST", "signout", signedIn, (*Console).signout},

		{"GET", "functions", signedIn, (*Console).functionsPage},
		{"GET", "functions/{name}", admin, (*Console).functionPage},
		{"POST", "functions/{name}/configuration", admin, (*Console).updateConfiguration},
		{"POST", "functions/{name}/concurrency", admin, (*Console).updateConcurrency},
		{"POST", "functions/{name}/versions", admin, (*Console).publishVersion},
		{"POST", "functions/{name}/aliases", admin, (*Console).createAlias},
		{"POST", "functions/{name}/aliases/{alias}", admin, (*Console).updateAlias},
		{"GET", "functions/{name}/test", signedIn, (*Console).testPage},
		{"POST", "functions/{name}/test", signedIn, (*Console).test},
		{"GET", "functions/{name}/logs", admin, (*Console).logsPage},
		{"GET", "functions/{name}/logs/stream", admin, (*Console).logStream},
		{"GET", "functions/{name}/monitoring", signedIn, (*Console).monitoringPage},

		{"GET", "async", admin, (*Console).asyncPage},
		{"POST", "async/dead-letters/{id}/redrive", admin, (*Console).redrive},
		{"POST", "async/dead-letters/{id}/delete", admin, (*Console).deleteDeadLetter},
		{"GET", "usage", admin, (*Console).usagePage},
		{"GET", "deploy", admin, (*Console).deployPage},
		{"POST", "deploy", admin, (*Console).deploy},
		{"GET", "event-sources", admin, (*Console).sourcesPage},
	}
}

// view is what every page's template gets: the layout's fields and the
// page's own Data.
type view struct {
	Title    string
	Nav      string
	Session  *session
	Open     bool
	Sources  bool
	Done     string
	CSS, JS  string
	Data     any
	Rendered time.Time
}

// doneMessages are the notices a redirect after a change may ask for
// (?done=NAME): a fixed set, so that a link cannot put words in the
// console's mouth.
var doneMessages = map[string]string{
	"deployed":      "Deployed.",
	"created":       "Function created.",
	"config":        "Configuration saved.",
	"concurrency":   "Reserved concurrency saved.",
	"published":     "Version published.",
	"alias":         "Alias saved.",
	"redriven":      "Dead letter sent back to the queue.",
	"deleted":       "Dead letter deleted.",
	"event-saved":   "Test event saved.",
	"event-deleted": "Test event deleted.",
}

func (c *Console) view(r *request, title, nav string, data any) view {
	v := view{Title: title, Nav: nav, Session: r.ses, Open: c.open, Sources: c.cfg.Sources != nil,
		CSS: c.staticURL("console.css"), JS: c.staticURL("console.js"), Data: data, Rendered: r.now}
	if d := string(r.ctx.QueryArgs().Peek("done")); d != "" {
		v.Done = doneMessages[d]
	}
	return v
}

// render writes a page.
func (c *Console) render(r *request, status int, name string, v view) {
	t := c.pages[name]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.cfg.Logger.Error("console template failed", "page", name, "err", err)
		r.ctx.SetStatusCode(http.StatusInternalServerError)
		r.ctx.SetContentType("text/plain; charset=utf-8")
		r.ctx.SetBodyString("the console could not render this page\n")
		return
	}
	r.ctx.SetStatusCode(status)
	r.ctx.SetContentType("text/html; charset=utf-8")
	r.ctx.SetBody(buf.Bytes())
}

func (c *Console) redirect(r *request, to string) error {
	seeOther(r.ctx, to)
	return nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// call runs an API operation as the session's key.
func (c *Console) call(r *request, method, path string, in any) ([]byte, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, err
		}
	}
	return c.cfg.API(context.Background(), r.ses.key, method, path, body)
}

// formMessage turns a failed change into the message its form shows: the
// API's error as the API words it, or what the console found wrong
// before asking.
func formMessage(err error) (string, bool) {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Error(), true
	}
	var pe *pageError
	if errors.As(err, &pe) && pe.status == http.StatusBadRequest {
		return pe.message, true
	}
	return "", false
}

// --- Sign-in ---------------------------------------------------------

type signinData struct {
	Next, Token, Error string
	Expired            bool
}

// safeNext returns next when it is a path of the console, else the
// functions page: a sign-in link cannot send anyone elsewhere.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix+"/") && !strings.ContainsAny(next, "\\\r\n\t") && !strings.HasPrefix(next, Prefix+"/signin") {
		return next
	}
	return Prefix + "/functions"
}

func (c *Console) signinPage(r *request) error {
	next := safeNext(string(r.ctx.QueryArgs().Peek("next")))
	if c.open {
		ses := c.sessions.create(anonymousKey())
		c.setSessionCookie(r, ses)
		return c.redirect(r, next)
	}
	return c.renderSignin(r, http.StatusOK, signinData{Next: next, Expired: r.ctx.QueryArgs().Has("expired")})
}

// renderSignin shows the sign-in form with a fresh token, which the form
// and a cookie both carry (the sign-in form's CSRF check: a page on
// another site cannot read the cookie to copy it).
func (c *Console) renderSignin(r *request, status int, d signinData) error {
	d.Token = token()
	setSigninCookie(r, d.Token)
	c.render(r, status, "signin", c.view(r, "Sign in", "", d))
	return nil
}

func (c *Console) signin(r *request) error {
	next := safeNext(r.form("next"))
	if c.open {
		return c.redirect(r, Prefix+"/signin?next="+urlQueryEscape(next))
	}
	if !sameToken(r.form("token"), string(r.ctx.Request.Header.Cookie(signinCookie))) {
		return c.renderSignin(r, http.StatusForbidden, signinData{Next: next,
			Error: "The sign-in form had expired or came from elsewhere: try again."})
	}
	key, err := c.cfg.Keys.Check(strings.TrimSpace(r.form("access_key")), r.form("secret_key"))
	if err != nil {
		return c.renderSignin(r, http.StatusUnauthorized, signinData{Next: next,
			Error: "That access key and secret do not match a key of this server."})
	}
	clearCookie(r, signinCookie, Prefix+"/signin")
	// A sign-in replaces the browser's previous session.
	if old := string(r.ctx.Request.Header.Cookie(sessionCookie)); old != "" {
		c.sessions.remove(old)
	}
	ses := c.sessions.create(key)
	c.setSessionCookie(r, ses)
	c.cfg.Logger.Info("console sign-in", "key", key.AccessKeyID, "admin", key.Admin)
	return c.redirect(r, next)
}

func (c *Console) signout(r *request) error {
	c.sessions.remove(r.ses.id)
	clearCookie(r, sessionCookie, Prefix)
	if c.open {
		return c.redirect(r, Prefix+"/functions")
	}
	return c.redirect(r, Prefix+"/signin")
}

// --- Functions -------------------------------------------------------

// functionRow is one line of the functions page.
type functionRow struct {
	Name, Description string
	MemoryMB          int
	Timeout           time.Duration
	LastModified      time.Time
	State             string
	Summary           summary
	MayInvoke         bool
}

type functionsData struct {
	Rows   []functionRow
	Window string
}

// windowHour is the functions page's window: the last hour, in steps.
func (c *Console) windowHour() int {
	return int(min(int64(time.Hour/c.cfg.HistoryStep), int64(c.cfg.HistoryPoints)))
}

func (c *Console) functionsPage(r *request) error {
	m := c.history.sample(context.Background(), r.now)
	n := c.windowHour()
	sums := c.history.summaries(r.now, n)
	state := make(map[string]string, len(m.Functions))
	for _, fm := range m.Functions {
		idle, busy := 0, 0
		for _, v := range fm.Versions {
			idle += v.Idle
			busy += v.Busy
		}
		switch {
		case busy > 0:
			state[fm.Function] = fmt.Sprintf("running (%d)", busy)
		case idle > 0:
			state[fm.Function] = fmt.Sprintf("warm (%d idle)", idle)
		default:
			state[fm.Function] = "cold"
		}
	}
	fns := c.cfg.Engine.Functions()
	d := functionsData{Rows: make([]functionRow, 0, len(fns)), Window: span(time.Duration(n) * c.cfg.HistoryStep)}
	for _, f := range fns {
		row := functionRow{Name: f.Name, MemoryMB: f.MemoryMB, Timeout: f.Timeout, LastModified: f.LastModified,
			State: state[f.Name], Summary: sums[f.Name], MayInvoke: c.mayInvoke(r, f.Name, "")}
		if r.ses.Admin() {
			row.Description = f.Description
		}
		d.Rows = append(d.Rows, row)
	}
	c.render(r, http.StatusOK, "functions", c.view(r, "Functions", "functions", d))
	return nil
}

// mayInvoke reports whether the session's key may invoke the function, as
// the API's Invoke decides it.
func (c *Console) mayInvoke(r *request, name, qualifier string) bool {
	if r.ses.Admin() {
		return true
	}
	s, err := c.cfg.Engine.Settings(name)
	if err != nil {
		return false
	}
	return s.InvokePolicy.Allows(engine.ActionInvokeFunction, qualifier, "", r.ses.KeyID(), c.cfg.AccountID)
}

// envVar is one environment variable on the function page; a secret's
// value is never sent to the browser.
type envVar struct {
	Name, Value string
	Secret      bool
}

// secretWords mark an environment variable whose value the console
// masks.
var secretWords = regexp.MustCompile(`(?i)secret|passw|token|key|credential|private|auth|cert|signature|salt|dsn|conn`)

func isSecret(name string) bool { return secretWords.MatchString(name) }

type aliasRow struct {
	engine.Alias
	WeightPercent string
	Primary       float64 // the primary version's share, percent
}

type versionRow struct {
	Version, Description, CodeSHA256 string
	LastModified                     time.Time
	MemoryMB                         int
	Timeout                          time.Duration
}

type functionData struct {
	Info        engine.FunctionInfo
	Settings    engine.Settings
	Env         []envVar
	EnvBlank    []int
	EnvCount    int
	PolicyJSON  string
	Versions    []versionRow
	Published   []string
	Aliases     []aliasRow
	URLs        []urlRow
	Reserved    string
	Provisioned []provisionedRow
	Forms       formErrors
	Mappings    []Mapping
	Schedules   []Schedule
	SourcesErr  string
}

type urlRow struct {
	Qualifier, URL, AuthType string
}

type provisionedRow struct {
	Qualifier string
	N         int
}

// formErrors are the messages of the function page's forms.
type formErrors struct {
	Config, Concurrency, Publish, Alias, NewAlias string
	AliasName                                     string // the alias Alias is about
}

func (c *Console) functionPage(r *request) error {
	return c.renderFunction(r, http.StatusOK, formErrors{})
}

func (c *Console) baseURL(r *request) string {
	if c.cfg.PublicURL != "" {
		return strings.TrimSuffix(c.cfg.PublicURL, "/")
	}
	scheme := "http://"
	if r.secure {
		scheme = "https://"
	}
	return scheme + string(r.ctx.Host())
}

func (c *Console) renderFunction(r *request, status int, forms formErrors) error {
	name := r.param("name")
	info, err := c.cfg.Engine.Function(name)
	if err != nil {
		return err
	}
	s, err := c.cfg.Engine.Settings(name)
	if err != nil {
		return err
	}
	d := functionData{Info: info, Settings: s, Forms: forms}
	for _, k := range sortedKeys(info.Env) {
		ev := envVar{Name: k, Secret: isSecret(k)}
		if !ev.Secret {
			ev.Value = info.Env[k]
		}
		d.Env = append(d.Env, ev)
	}
	d.EnvCount = len(d.Env) + 3
	d.EnvBlank = []int{len(d.Env), len(d.Env) + 1, len(d.Env) + 2}
	if info.Policy != nil {
		if b, err := json.MarshalIndent(info.Policy, "", "  "); err == nil {
			d.PolicyJSON = string(b)
		}
	}
	versions, err := c.cfg.Engine.Versions(name)
	if err != nil {
		return err
	}
	for _, v := range versions {
		d.Versions = append(d.Versions, versionRow{Version: v.Version, Description: v.Description, CodeSHA256: v.CodeSHA256,
			LastModified: v.LastModified, MemoryMB: v.MemoryMB, Timeout: v.Timeout})
		if v.Version != engine.LatestVersion {
			d.Published = append(d.Published, v.Version)
		}
	}
	aliases, err := c.cfg.Engine.Aliases(name)
	if err != nil {
		return err
	}
	for _, a := range aliases {
		row := aliasRow{Alias: a, Primary: 100}
		if a.AdditionalVersion != "" {
			row.WeightPercent = strconv.FormatFloat(a.AdditionalWeight*100, 'f', -1, 64)
			row.Primary = math.Round((1-a.AdditionalWeight)*1e4) / 100
		}
		d.Aliases = append(d.Aliases, row)
	}
	base := c.baseURL(r)
	for _, q := range sortedKeys(s.URLs) {
		target := name
		if q != "" {
			target += ":" + q
		}
		d.URLs = append(d.URLs, urlRow{Qualifier: q, URL: base + "/fn/" + target + "/", AuthType: s.URLs[q].AuthType})
	}
	if s.ReservedConcurrency != nil {
		d.Reserved = strconv.Itoa(*s.ReservedConcurrency)
	}
	for _, q := range sortedKeys(s.ProvisionedConcurrency) {
		d.Provisioned = append(d.Provisioned, provisionedRow{q, s.ProvisionedConcurrency[q]})
	}
	if src := c.cfg.Sources; src != nil {
		ctx := context.Background()
		var errs []error
		var err error
		d.Mappings, err = src.Mappings(ctx, name)
		errs = append(errs, err)
		d.Schedules, err = src.Schedules(ctx, name)
		errs = append(errs, err)
		if err := errors.Join(errs...); err != nil {
			d.SourcesErr = err.Error()
		}
	}
	c.render(r, status, "function", c.view(r, name, "functions", d))
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func functionPath(name string) string { return Prefix + "/functions/" + url.PathEscape(name) }

func apiFunctionPath(version, name string) string {
	return "/" + version + "/functions/" + url.PathEscape(name)
}

// formInt parses an optional whole number a form sent.
func formInt(label, s string) (*int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, badRequest("%s %q: enter a whole number", label, s)
	}
	return &n, nil
}

// environment reads the function page's environment rows: a secret left
// blank keeps its value; a row marked remove is dropped.
func environment(r *request, old map[string]string) (map[string]string, error) {
	count, err := strconv.Atoi(r.form("env_count"))
	if err != nil || count < 0 || count > 1000 {
		return nil, badRequest("the environment form is incomplete: reload the page")
	}
	env := map[string]string{}
	for i := range count {
		n := strings.TrimSpace(r.form("env_name_" + strconv.Itoa(i)))
		if n == "" || r.form("env_remove_"+strconv.Itoa(i)) != "" {
			continue
		}
		if _, dup := env[n]; dup {
			return nil, badRequest("environment variable %s appears twice", n)
		}
		v := r.form("env_value_" + strconv.Itoa(i))
		if ov, ok := old[n]; ok && v == "" && isSecret(n) {
			v = ov
		}
		env[n] = v
	}
	return env, nil
}

func (c *Console) updateConfiguration(r *request) error {
	name := r.param("name")
	info, err := c.cfg.Engine.Function(name)
	if err != nil {
		return err
	}
	err = func() error {
		timeout, err := formInt("Timeout", r.form("timeout"))
		if err != nil {
			return err
		}
		memory, err := formInt("MemorySize", r.form("memory"))
		if err != nil {
			return err
		}
		env, err := environment(r, info.Env)
		if err != nil {
			return err
		}
		in := map[string]any{"Environment": map[string]any{"Variables": env}, "RevisionId": r.form("revision")}
		if timeout != nil {
			in["Timeout"] = *timeout
		}
		if memory != nil {
			in["MemorySize"] = *memory
		}
		_, err = c.call(r, "PUT", apiFunctionPath("2015-03-31", name)+"/configuration", in)
		return err
	}()
	if msg, ok := formMessage(err); ok {
		return c.renderFunction(r, http.StatusBadRequest, formErrors{Config: msg})
	} else if err != nil {
		return err
	}
	return c.redirect(r, functionPath(name)+"?done=config")
}

func (c *Console) updateConcurrency(r *request) error {
	name := r.param("name")
	err := func() error {
		n, err := formInt("ReservedConcurrentExecutions", r.form("reserved"))
		if err != nil {
			return err
		}
		if n == nil {
			_, err = c.call(r, "DELETE", apiFunctionPath("2017-10-31", name)+"/concurrency", nil)
			return err
		}
		_, err = c.call(r, "PUT", apiFunctionPath("2017-10-31", name)+"/concurrency", map[string]int{"ReservedConcurrentExecutions": *n})
		return err
	}()
	if msg, ok := formMessage(err); ok {
		return c.renderFunction(r, http.StatusBadRequest, formErrors{Concurrency: msg})
	} else if err != nil {
		return err
	}
	return c.redirect(r, functionPath(name)+"?done=concurrency")
}

func (c *Console) publishVersion(r *request) error {
	name := r.param("name")
	_, err := c.call(r, "POST", apiFunctionPath("2015-03-31", name)+"/versions", map[string]string{"Description": r.form("description")})
	if msg, ok := formMessage(err); ok {
		return c.renderFunction(r, http.StatusBadRequest, formErrors{Publish: msg})
	} else if err != nil {
		return err
	}
	return c.redirect(r, functionPath(name)+"?done=published")
}

// routingConfig reads an alias form's additional version and its weight
// (a percentage) into the API's RoutingConfig.
func routingConfig(r *request) (map[string]any, error) {
	add := strings.TrimSpace(r.form("additional"))
	weights := map[string]float64{}
	if add != "" {
		s := strings.TrimSpace(r.form("weight"))
		w, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, badRequest("weight %q: enter the additional version's share as a percentage", s)
		}
		weights[add] = w / 100
	}
	return map[string]any{"AdditionalVersionWeights": weights}, nil
}

func (c *Console) createAlias(r *request) error {
	name := r.param("name")
	err := func() error {
		rc, err := routingConfig(r)
		if err != nil {
			return err
		}
		_, err = c.call(r, "POST", apiFunctionPath("2015-03-31", name)+"/aliases", map[string]any{
			"Name": strings.TrimSpace(r.form("alias")), "FunctionVersion": r.form("version"), "RoutingConfig": rc})
		return err
	}()
	if msg, ok := formMessage(err); ok {
		return c.renderFunction(r, http.StatusBadRequest, formErrors{NewAlias: msg})
	} else if err != nil {
		return err
	}
	return c.redirect(r, functionPath(name)+"?done=alias")
}

func (c *Console) updateAlias(r *request) error {
	name, alias := r.param("name"), r.param("alias")
	err := func() error {
		rc, err := routingConfig(r)
		if err != nil {
			return err
		}
		_, err = c.call(r, "PUT", apiFunctionPath("2015-03-31", name)+"/aliases/"+url.PathEscape(alias), map[string]any{
			"FunctionVersion": r.form("version"), "RoutingConfig": rc, "RevisionId": r.form("revision")})
		return err
	}()
	if msg, ok := formMessage(err); ok {
		return c.renderFunction(r, http.StatusBadRequest, formErrors{Alias: msg, AliasName: alias})
	} else if err != nil {
		return err
	}
	return c.redirect(r, functionPath(name)+"?done=alias")
}

// --- Test ----------------------------------------------------------------

// testEventName is a saved test event's name, as the Lambda console
// allows it.
var testEventName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,25}$`)

type testData struct {
	Name       string
	Qualifier  string
	Qualifiers []string
	Events     []string
	Event      string
	Payload    string
	Error      string
	Result     *testResult
	CanSave    bool
}

// testResult is an invocation as the test page shows it.
type testResult struct {
	RequestID, Version     string
	Response               string
	ErrorType, ErrorMsg    string
	Failed, Unhandled      bool
	Cold                   bool
	Duration, InitDuration time.Duration
	Billed                 time.Duration
	MemoryMB               int
	MemoryUsedMB           uint64
	Log                    string
}

func (c *Console) testEvents(ctx context.Context, function string) ([]string, error) {
	keys, _, err := c.events.List(ctx, function+"/", "", maxTestEvents+1)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		keys[i] = strings.TrimPrefix(k, function+"/")
	}
	return keys, nil
}

func (c *Console) testData(r *request, payload string) (testData, error) {
	name := r.param("name")
	if _, err := c.cfg.Engine.Function(name); err != nil {
		return testData{}, err
	}
	d := testData{Name: name, Payload: payload, CanSave: r.ses.Admin()}
	if r.ses.Admin() {
		d.Qualifiers = []string{""}
		if vs, err := c.cfg.Engine.Versions(name); err == nil {
			for _, v := range vs {
				if v.Version != engine.LatestVersion {
					d.Qualifiers = append(d.Qualifiers, v.Version)
				}
			}
		}
		if as, err := c.cfg.Engine.Aliases(name); err == nil {
			for _, a := range as {
				d.Qualifiers = append(d.Qualifiers, a.Name)
			}
		}
	}
	events, err := c.testEvents(context.Background(), name)
	if err != nil {
		return d, err
	}
	d.Events = events
	return d, nil
}

func (c *Console) testPage(r *request) error {
	name := r.param("name")
	if !c.mayInvoke(r, name, "") {
		return forbidden("access key %s may not invoke %s: no statement of its invoke policy grants it", r.ses.KeyID(), name)
	}
	d, err := c.testData(r, "{}")
	if err != nil {
		return err
	}
	if ev := string(r.ctx.QueryArgs().Peek("event")); ev != "" {
		b, err := c.events.Get(context.Background(), name+"/"+ev)
		if err != nil {
			return notFound("function %s has no saved test event %q", name, ev)
		}
		d.Event, d.Payload = ev, string(b)
	}
	c.render(r, http.StatusOK, "test", c.view(r, "Test "+name, "functions", d))
	return nil
}

func (c *Console) test(r *request) error {
	name := r.param("name")
	payload := r.form("payload")
	d, err := c.testData(r, payload)
	if err != nil {
		return err
	}
	d.Event = strings.TrimSpace(r.form("event"))
	d.Qualifier = strings.TrimSpace(r.form("qualifier"))
	status := http.StatusOK
	switch r.form("action") {
	case "save", "delete":
		if !r.ses.Admin() {
			return forbidden("saving and deleting test events needs an admin key")
		}
		done, err := c.changeTestEvent(r, name, d.Event, payload, r.form("action") == "delete")
		if err == nil {
			return c.redirect(r, functionPath(name)+"/test?done="+done+"&event="+url.QueryEscape(d.Event))
		}
		if msg, ok := formMessage(err); ok {
			d.Error, status = msg, http.StatusBadRequest
			break
		}
		return err
	default:
		target := name
		if d.Qualifier != "" {
			target += ":" + d.Qualifier
		}
		res, err := c.invoke(r, name, d.Qualifier, target, payload)
		if msg, ok := formMessage(err); ok {
			d.Error, status = msg, http.StatusBadRequest
			break
		} else if err != nil {
			return err
		}
		d.Result = res
	}
	c.render(r, status, "test", c.view(r, "Test "+name, "functions", d))
	return nil
}

// invoke runs the function as the API's Invoke would for the session's
// key, and returns what the test page shows.
func (c *Console) invoke(r *request, name, qualifier, target, payload string) (*testResult, error) {
	if !c.mayInvoke(r, name, qualifier) {
		return nil, &APIError{Status: http.StatusForbidden, Type: "AccessDeniedException",
			Message: fmt.Sprintf("access key %s may not invoke %s: no statement of its invoke policy grants it", r.ses.KeyID(), target)}
	}
	if p := strings.TrimSpace(payload); p != "" && !json.Valid([]byte(p)) {
		return nil, &APIError{Status: http.StatusBadRequest, Type: "InvalidRequestContentException",
			Message: "Could not parse request body into json: the payload must be JSON"}
	}
	res, err := c.cfg.Engine.Invoke(context.Background(), target, []byte(payload))
	if err != nil {
		if errors.Is(err, engine.ErrFunctionNotFound) {
			return nil, &APIError{Status: http.StatusNotFound, Type: "ResourceNotFoundException", Message: err.Error()}
		}
		if errors.Is(err, engine.ErrThrottled) {
			return nil, &APIError{Status: http.StatusTooManyRequests, Type: "TooManyRequestsException", Message: "Rate Exceeded. " + err.Error()}
		}
		if errors.Is(err, engine.ErrPayloadTooLarge) {
			return nil, &APIError{Status: http.StatusRequestEntityTooLarge, Type: "RequestTooLargeException", Message: err.Error()}
		}
		return nil, err
	}
	out := &testResult{RequestID: res.RequestID, Version: res.Version, Response: string(res.Payload), Cold: res.Cold,
		Duration: res.Duration, InitDuration: res.InitDuration, Billed: res.BilledDuration(), MemoryMB: res.MemoryMB,
		MemoryUsedMB: (res.MemoryUsed + (1 << 20) - 1) >> 20, Log: string(res.Log())}
	if fe := res.FunctionError; fe != nil {
		out.Failed, out.Unhandled, out.ErrorType, out.ErrorMsg = true, fe.Unhandled, fe.Type, fe.Message
	}
	return out, nil
}

// changeTestEvent saves or deletes a function's test event.
func (c *Console) changeTestEvent(r *request, function, event, payload string, remove bool) (string, error) {
	ctx := context.Background()
	if !testEventName.MatchString(event) {
		return "", badRequest("test event name %q: use 1 to 25 letters, digits, dots, hyphens or underscores", event)
	}
	key := function + "/" + event
	if remove {
		if err := c.events.Delete(ctx, key); err != nil {
			return "", err
		}
		return "event-deleted", nil
	}
	if len(payload) > maxTestEventBytes {
		return "", badRequest("test event %s is %d bytes: at most %d can be saved", event, len(payload), maxTestEventBytes)
	}
	if p := strings.TrimSpace(payload); p != "" && !json.Valid([]byte(p)) {
		return "", badRequest("test event %s is not JSON: a saved event must be a JSON document", event)
	}
	events, err := c.testEvents(ctx, function)
	if err != nil {
		return "", err
	}
	if len(events) >= maxTestEvents && !slices.Contains(events, event) {
		return "", badRequest("function %s has %d saved test events, the most it may have: delete one first", function, maxTestEvents)
	}
	if err := c.events.Put(ctx, key, []byte(payload)); err != nil {
		if errors.Is(err, store.ErrTooLarge) {
			return "", badRequest("test event %s is too large to save", event)
		}
		return "", err
	}
	return "event-saved", nil
}

// --- Logs ------------------------------------------------------------

// maxLogRecordsShown is how many records the live log page starts with,
// and keeps.
const maxLogRecordsShown = 200

type logRecord struct {
	Seq     uint64
	Time    time.Time
	Failed  bool
	Text    string
	Request string
}

type logsData struct {
	Name    string
	Records []logRecord
	Next    uint64
}

func (c *Console) logsPage(r *request) error {
	name := r.param("name")
	recs, err := c.cfg.Engine.Logs(name, 0)
	if err != nil {
		return err
	}
	d := logsData{Name: name}
	if len(recs) > 0 {
		d.Next = recs[len(recs)-1].Seq + 1
	}
	if len(recs) > maxLogRecordsShown {
		recs = recs[len(recs)-maxLogRecordsShown:]
	}
	for _, rec := range recs {
		d.Records = append(d.Records, logRecord{Seq: rec.Seq, Time: rec.Time, Failed: rec.Failed, Text: string(rec.Text), Request: rec.RequestID})
	}
	c.render(r, http.StatusOK, "logs", c.view(r, "Log of "+name, "functions", d))
	return nil
}

// logEvent is one record in the live log's event stream: JSON, one line,
// so that nothing a function logs can frame an event of its own.
type logEvent struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Failed  bool      `json:"failed"`
	Request string    `json:"request"`
	Text    string    `json:"text"`
}

func writeLogEvent(w io.Writer, rec engine.LogRecord) error {
	b, err := json.Marshal(logEvent{Seq: rec.Seq, Time: rec.Time, Failed: rec.Failed, Request: rec.RequestID, Text: string(rec.Text)})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\ndata: %s\n\n", rec.Seq, b)
	return err
}
