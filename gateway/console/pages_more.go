package console

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/valyala/fasthttp"
)

// anonymousKey is every request's key in open mode, as the API has it.
func anonymousKey() auth.Key { return auth.Key{AccessKeyID: "anonymous", Admin: true} }

// setSigninCookie sets the cookie that carries the sign-in form's token.
func setSigninCookie(r *request, tok string) {
	var ck fasthttp.Cookie
	ck.SetKey(signinCookie)
	ck.SetValue(tok)
	ck.SetPath(Prefix + "/signin")
	ck.SetHTTPOnly(true)
	ck.SetSecure(r.secure)
	ck.SetSameSite(fasthttp.CookieSameSiteStrictMode)
	ck.SetMaxAge(int(time.Hour / time.Second))
	r.ctx.Response.Header.SetCookie(&ck)
}

// logStream serves the live log as server-sent events: the records after
// ?since= (or the Last-Event-ID a reconnecting browser sends), then each
// new one as it is logged, until the browser goes away or the server
// shuts down.
func (c *Console) logStream(r *request) error {
	name := r.param("name")
	since := uint64(0)
	s := string(r.ctx.Request.Header.Peek("Last-Event-ID"))
	next := false
	if s == "" {
		s = string(r.ctx.QueryArgs().Peek("since"))
	} else {
		next = true
	}
	if s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return badRequest("since %q: a sequence number", s)
		}
		since = n
		if next {
			since++
		}
	}
	recs, err := c.cfg.Engine.Logs(name, since)
	if err != nil {
		return err
	}
	ctx := r.ctx
	ctx.SetContentType("text/event-stream; charset=utf-8")
	ctx.SetConnectionClose()
	ctx.Response.ImmediateHeaderFlush = true
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		// A comment first: the headers and something to read reach the
		// browser even when the function is quiet.
		if _, err := io.WriteString(w, ": flint live log\nretry: 2000\n\n"); err != nil {
			return
		}
		next := since // the sequence number the browser expects next
		for _, rec := range recs {
			if writeLogEvent(w, rec) != nil {
				return
			}
			next = rec.Seq + 1
		}
		if w.Flush() != nil {
			return
		}
		c.cfg.Stream(ctx, w, func(sctx context.Context, w *bufio.Writer) {
			stop := make(chan struct{})
			defer close(stop)
			sctx, cancel := context.WithCancel(sctx)
			defer cancel()
			go func() {
				select {
				case <-c.stop:
					cancel()
				case <-stop:
				}
			}()
			_ = c.cfg.Engine.FollowLogs(sctx, name, func(rec engine.LogRecord) bool {
				if rec.Seq < next {
					return true // sent already, from the backlog
				}
				if rec.Seq > next {
					// Logged between the backlog and the subscription, or
					// dropped while the browser was slow: read them back.
					missed, err := c.cfg.Engine.Logs(name, next)
					if err != nil {
						return false
					}
					for _, m := range missed {
						if m.Seq >= rec.Seq {
							break
						}
						if writeLogEvent(w, m) != nil {
							return false
						}
					}
				}
				next = rec.Seq + 1
				return writeLogEvent(w, rec) == nil && w.Flush() == nil
			})
		})
	})
	return nil
}

// --- Monitoring --------------------------------------------------------

// ranges are the monitoring page's windows.
var ranges = []struct {
	Name string
	D    time.Duration
}{{"5m", 5 * time.Minute}, {"15m", 15 * time.Minute}, {"1h", time.Hour}}

type monitoringData struct {
	Name    string
	Range   string
	Ranges  []string
	Step    time.Duration
	Window  time.Duration
	Summary summary
	Charts  []chart
	Size    int
}

func (c *Console) monitoringPage(r *request) error {
	name := r.param("name")
	if _, err := c.cfg.Engine.Function(name); err != nil {
		return err
	}
	rng := string(r.ctx.QueryArgs().Peek("range"))
	d := monitoringData{Name: name, Step: c.cfg.HistoryStep, Size: c.cfg.HistoryPoints}
	window := 15 * time.Minute
	for _, x := range ranges {
		d.Ranges = append(d.Ranges, x.Name)
		if x.Name == rng {
			window = x.D
		}
	}
	n := max(1, min(int(window/c.cfg.HistoryStep), c.cfg.HistoryPoints))
	d.Window = time.Duration(n) * c.cfg.HistoryStep
	d.Range = rng
	if d.Range == "" {
		d.Range = "15m"
	}
	c.history.sample(context.Background(), r.now)
	pts := c.history.window(name, r.now, n)
	d.Summary = c.history.summaries(r.now, n)[name]
	d.Charts = c.charts(pts)
	c.render(r, http.StatusOK, "monitoring", c.view(r, "Monitoring "+name, "functions", d))
	return nil
}

// charts turns a window of points into the monitoring page's charts.
func (c *Console) charts(pts []point) []chart {
	n := len(pts)
	start := time.Unix(0, pts[0].slot*int64(c.cfg.HistoryStep))
	bounds := c.history.histogramBounds()
	mk := func() []float64 { return make([]float64, n) }
	inv, errs, thr, cold, warm, conc := mk(), mk(), mk(), mk(), mk(), mk()
	p50, p90, p99, i50, i99 := mk(), mk(), mk(), mk(), mk()
	q := func(counts []uint64, x float64) float64 {
		v, ok := quantile(bounds, counts, x)
		if !ok {
			return math.NaN()
		}
		return v * 1000
	}
	for i, p := range pts {
		inv[i], errs[i], thr[i] = float64(p.invocations), float64(p.errors), float64(p.throttles)
		cold[i] = float64(p.cold)
		warm[i] = float64(p.invocations - min(p.invocations, p.cold))
		conc[i] = float64(p.concurrent)
		p50[i], p90[i], p99[i] = q(p.duration, 0.5), q(p.duration, 0.9), q(p.duration, 0.99)
		i50[i], i99[i] = q(p.init, 0.5), q(p.init, 0.99)
	}
	mkChart := func(id, title, unit string, kind chartKind, ss ...series) chart {
		return chart{ID: id, Title: title, Unit: unit, Kind: kind, Start: start, Step: c.cfg.HistoryStep, Series: ss}
	}
	return []chart{
		mkChart("invocations", "Invocations and errors", "", bars, series{"invocations", inv}, series{"errors", errs}),
		mkChart("throttles", "Throttles", "", bars, series{"throttles", thr}),
		mkChart("duration", "Duration percentiles (estimated from histogram buckets)", "ms", lines,
			series{"p50", p50}, series{"p90", p90}, series{"p99", p99}),
		mkChart("starts", "Warm and cold starts", "", stackedBars, series{"warm", warm}, series{"cold", cold}),
		mkChart("init", "Init duration of cold starts", "ms", lines, series{"p50", i50}, series{"p99", i99}),
		mkChart("concurrency", "Concurrent executions (most seen at a sample)", "", bars, series{"concurrent", conc}),
	}
}

// --- Async -------------------------------------------------------------

// deadLettersPerPage is how many dead letters the async page lists.
const deadLettersPerPage = 25

// maxPayloadShown is how much of a dead letter's payload is shown.
const maxPayloadShown = 512

type deadLetterRow struct {
	engine.DeadLetter
	PayloadShown string
	Truncated    bool
}

type asyncData struct {
	Stats       engine.AsyncStats
	DeadLetters []deadLetterRow
	NextAfter   string
	After       string
	Error       string
}

func (c *Console) asyncPage(r *request) error {
	return c.renderAsync(r, http.StatusOK, "")
}

func (c *Console) renderAsync(r *request, status int, msg string) error {
	ctx := context.Background()
	after := string(r.ctx.QueryArgs().Peek("after"))
	d := asyncData{Stats: c.cfg.Engine.Metrics(ctx).Async, After: after, Error: msg}
	dls, more, err := c.cfg.Engine.DeadLetters(ctx, after, deadLettersPerPage)
	if err != nil {
		return err
	}
	for _, dl := range dls {
		row := deadLetterRow{DeadLetter: dl, PayloadShown: string(dl.Payload)}
		if len(dl.Payload) > maxPayloadShown {
			row.PayloadShown, row.Truncated = string(dl.Payload[:maxPayloadShown]), true
		}
		d.DeadLetters = append(d.DeadLetters, row)
	}
	if more && len(dls) > 0 {
		d.NextAfter = dls[len(dls)-1].Key
	}
	c.render(r, status, "async", c.view(r, "Asynchronous invocations", "async", d))
	return nil
}

func (c *Console) redrive(r *request) error {
	_, err := c.call(r, "POST", "/flint/v1/dead-letters/"+url.PathEscape(r.param("id"))+"/redrive", nil)
	if msg, ok := formMessage(err); ok {
		return c.renderAsync(r, http.StatusBadRequest, msg)
	} else if err != nil {
		return err
	}
	return c.redirect(r, Prefix+"/async?done=redriven")
}

func (c *Console) deleteDeadLetter(r *request) error {
	_, err := c.call(r, "DELETE", "/flint/v1/dead-letters/"+url.PathEscape(r.param("id")), nil)
	if msg, ok := formMessage(err); ok {
		return c.renderAsync(r, http.StatusBadRequest, msg)
	} else if err != nil {
		return err
	}
	return c.redirect(r, Prefix+"/async?done=deleted")
}

// --- Usage -------------------------------------------------------------

type usageRow struct {
	engine.Usage
	Cost float64
}

type usageData struct {
	Rows                         []usageRow
	Requests                     uint64
	GBSeconds, Cost              float64
	PriceRegion, PriceDate, From string
	PerMillion, PerGBSecond      float64
}

func (c *Console) usagePage(r *request) error {
	d := usageData{PriceRegion: awsPriceRegion, PriceDate: awsPriceDate, From: awsPriceSource,
		PerMillion: awsPricePerMillion, PerGBSecond: awsPricePerGBSecond}
	for _, u := range c.cfg.Engine.Usage() {
		row := usageRow{Usage: u, Cost: awsCost(u.Requests, u.GBSeconds)}
		d.Rows = append(d.Rows, row)
		d.Requests += u.Requests
		d.GBSeconds += u.GBSeconds
		d.Cost += row.Cost
	}
	c.render(r, http.StatusOK, "usage", c.view(r, "Usage", "usage", d))
	return nil
}

// --- Deploy ------------------------------------------------------------

type deployData struct {
	Name, Memory, Timeout string
	Publish               bool
	Error                 string
	Functions             []string
}

func (c *Console) deployPage(r *request) error {
	d := deployData{Name: string(r.ctx.QueryArgs().Peek("name"))}
	c.render(r, http.StatusOK, "deploy", c.view(r, "Deploy", "deploy", d))
	return nil
}

// deploy creates a function from an uploaded .wasm or zip, or updates the
// code of the function of that name, through the API's CreateFunction
// and UpdateFunctionCode.
func (c *Console) deploy(r *request) error {
	d := deployData{Name: strings.TrimSpace(r.form("name")), Memory: r.form("memory"), Timeout: r.form("timeout"),
		Publish: r.form("publish") != ""}
	done, err := c.deployUpload(r, d)
	if msg, ok := formMessage(err); ok {
		d.Error = msg
		c.render(r, http.StatusBadRequest, "deploy", c.view(r, "Deploy", "deploy", d))
		return nil
	} else if err != nil {
		return err
	}
	return c.redirect(r, functionPath(d.Name)+"?done="+done)
}

func (c *Console) deployUpload(r *request, d deployData) (string, error) {
	if d.Name == "" {
		return "", badRequest("name the function")
	}
	fh, err := r.ctx.FormFile("code")
	if err != nil {
		return "", badRequest("choose a .wasm module or a .zip holding one to upload")
	}
	switch strings.ToLower(path.Ext(fh.Filename)) {
	case ".wasm", ".zip":
	default:
		return "", badRequest("%s: upload a .wasm module or a .zip holding one", fh.Filename)
	}
	f, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	code, err := io.ReadAll(f)
	if err != nil {
		return "", err
	}
	memory, err := formInt("MemorySize", d.Memory)
	if err != nil {
		return "", err
	}
	timeout, err := formInt("Timeout", d.Timeout)
	if err != nil {
		return "", err
	}
	if _, err := c.cfg.Engine.Function(d.Name); err == nil {
		if _, err := c.call(r, "PUT", apiFunctionPath("2015-03-31", d.Name)+"/code", map[string]any{"ZipFile": code, "Publish": d.Publish}); err != nil {
			return "", err
		}
		if memory != nil || timeout != nil {
			in := map[string]any{}
			if memory != nil {
				in["MemorySize"] = *memory
			}
			if timeout != nil {
				in["Timeout"] = *timeout
			}
			if _, err := c.call(r, "PUT", apiFunctionPath("2015-03-31", d.Name)+"/configuration", in); err != nil {
				return "", err
			}
		}
		return "deployed", nil
	}
	in := map[string]any{"FunctionName": d.Name, "Code": map[string]any{"ZipFile": code}, "Publish": d.Publish}
	if memory != nil {
		in["MemorySize"] = *memory
	}
	if timeout != nil {
		in["Timeout"] = *timeout
	}
	_, err = c.call(r, "POST", "/2015-03-31/functions", in)
	return "created", err
}

// --- Event sources -----------------------------------------------------

type sourcesData struct {
	Mappings  []Mapping
	Schedules []Schedule
	Error     string
}

func (c *Console) sourcesPage(r *request) error {
	src := c.cfg.Sources
	if src == nil {
		return notFound("this server has no event sources or schedules")
	}
	ctx := context.Background()
	var d sourcesData
	var msgs []string
	var err error
	if d.Mappings, err = src.Mappings(ctx, ""); err != nil {
		msgs = append(msgs, err.Error())
	}
	if d.Schedules, err = src.Schedules(ctx, ""); err != nil {
		msgs = append(msgs, err.Error())
	}
	d.Error = strings.Join(msgs, "; ")
	slices.SortFunc(d.Mappings, func(a, b Mapping) int { return strings.Compare(a.Function+a.UUID, b.Function+b.UUID) })
	c.render(r, http.StatusOK, "sources", c.view(r, "Event sources and schedules", "sources", d))
	return nil
}

// prettyJSON indents a JSON document for display (leaving <, > and &
// as they are: the template escapes them), or returns it as it is.
func prettyJSON(s string) string {
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(s), "", "  ") != nil {
		return s
	}
	return buf.String()
}

// span writes a window's length the way people say it: "1h", "15m",
// "12s".
func span(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ms writes a duration in milliseconds, as REPORT lines do.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

func usd(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v < 0.0000005:
		return "< $0.000001"
	case v < 0.01:
		return fmt.Sprintf("$%.6f", v)
	default:
		return fmt.Sprintf("$%.2f", v)
	}
}
