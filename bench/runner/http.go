package runner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/valyala/fasthttp"
)

// httpTargets are the HTTP scenarios, in the order they run at each level.
var httpTargets = []string{TargetInvokeAPI, TargetFunctionURL, TargetBare}

// httpDescriptions say what each HTTP target is.
var httpDescriptions = map[string]string{
	TargetInvokeAPI:   "the gateway's Lambda Invoke API: POST /2015-03-31/functions/NAME/invocations",
	TargetFunctionURL: "the gateway's function URL: POST /fn/NAME/ (payload format 2.0 event, auth NONE)",
	TargetBare:        "a bare fasthttp server answering the function's response bytes: the floor for HTTP",
}

// HTTPDescription says what the named HTTP target is.
func HTTPDescription(target string) string { return httpDescriptions[target] }

// httpAll runs the HTTP scenarios of every guest that could be measured.
func (r *runner) httpAll(ctx context.Context, guests []*guestRun) error {
	wrk := r.opts.Wrk
	if wrk == "" {
		wrk = "wrk"
	}
	path, lookErr := exec.LookPath(wrk)
	for _, g := range guests {
		if g.failure != "" {
			continue
		}
		if lookErr != nil {
			for _, c := range r.opts.Concurrency {
				for _, t := range httpTargets {
					g.out.HTTP = append(g.out.HTTP, HTTPLevel{Target: t, Concurrency: c, Status: StatusSkipped,
						Reason: "wrk is not installed"})
				}
			}
			r.unitsDone += float64(3 * len(r.opts.Concurrency))
			continue
		}
		if err := r.httpGuest(ctx, g, path); err != nil {
			return err
		}
	}
	if lookErr != nil {
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("HTTP scenarios skipped: %s was not found (install wrk: apt-get install wrk).", wrk))
	} else {
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("HTTP scenarios: wrk (%d threads at most) in a second process, on the same machine as the server, over loopback.", runtime.NumCPU()))
	}
	return nil
}

// httpServers are a guest's gateway and bare server.
type httpServers struct {
	eng         *engine.Engine
	gw          *gateway.Gateway
	bare        *fasthttp.Server
	gwAddr      string
	bareAddr    string
	bodyFile    string
	served      chan error
	bareServed  chan error
	response    []byte
	temporaries string
}

// httpGuest starts the servers for g and runs wrk at every level against
// every target.
func (r *runner) httpGuest(ctx context.Context, g *guestRun, wrk string) error {
	levels := len(r.opts.Concurrency) * len(httpTargets)
	s, err := r.startHTTP(ctx, g)
	if s != nil {
		defer s.stop()
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, c := range r.opts.Concurrency {
			for _, t := range httpTargets {
				g.out.HTTP = append(g.out.HTTP, HTTPLevel{Target: t, Concurrency: c, Status: StatusFailed, Reason: oneLine(err.Error())})
			}
		}
		r.unitsDone += float64(levels)
		return nil
	}
	urls := map[string]string{
		TargetInvokeAPI:   "http://" + s.gwAddr + "/2015-03-31/functions/" + fnName + "/invocations",
		TargetFunctionURL: "http://" + s.gwAddr + "/fn/" + fnName + "/",
		TargetBare:        "http://" + s.bareAddr + "/",
	}
	script := filepath.Join(s.temporaries, "post.lua")
	lua := fmt.Sprintf("local f = io.open(%q, \"rb\")\nwrk.method = \"POST\"\nwrk.body = f:read(\"*a\")\nf:close()\nwrk.headers[\"Content-Type\"] = \"application/json\"\n", s.bodyFile)
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		return fmt.Errorf("write the wrk script: %w", err)
	}
	seconds := 1
	if r.opts.Iterations == 0 {
		seconds = max(1, int(math.Round(r.opts.Duration.Seconds())))
	}
	for _, c := range r.opts.Concurrency {
		for _, t := range httpTargets {
			r.progress(0, fmt.Sprintf("%s: HTTP %s, %d connections", g.spec.Name, t, c))
			before, _ := s.eng.Stats(fnName)
			lvl := runWrk(ctx, wrk, urls[t], script, c, seconds)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			lvl.Target = t
			if t != TargetBare {
				after, _ := s.eng.Stats(fnName)
				lvl.ColdStarts = after.ColdStarts - before.ColdStarts
			}
			g.out.HTTP = append(g.out.HTTP, lvl)
			r.unitsDone++
		}
	}
	return nil
}

// startHTTP starts g's engine and gateway, gives the function a URL that
// anyone may invoke, and starts the bare server with the function's
// response.
func (r *runner) startHTTP(ctx context.Context, g *guestRun) (*httpServers, error) {
	s := &httpServers{}
	var err error
	if s.temporaries, err = os.MkdirTemp("", "flint-bench-http-"); err != nil {
		return nil, err
	}
	s.bodyFile = filepath.Join(s.temporaries, "payload")
	if err := os.WriteFile(s.bodyFile, g.payload, 0o600); err != nil {
		return s, err
	}
	if s.eng, err = r.newEngine(ctx, engine.Config{}); err != nil {
		return s, err
	}
	if _, err := s.eng.Deploy(ctx, g.function(r, engine.Function{})); err != nil {
		return s, err
	}
	// No keys: the gateway accepts unsigned requests, which is safe here
	// because it listens on loopback only.
	if s.gw, err = gateway.New(gateway.Config{Engine: s.eng, Store: store.NewMemory()}); err != nil {
		return s, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return s, err
	}
	s.gwAddr = ln.Addr().String()
	s.served = make(chan error, 1)
	go func() { s.served <- s.gw.Serve(ln) }()

	client := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + s.gwAddr
	for _, req := range []struct{ path, body string }{
		{"/2021-10-31/functions/" + fnName + "/url", `{"AuthType":"NONE"}`},
		{"/2015-03-31/functions/" + fnName + "/policy",
			`{"StatementId":"bench-url","Action":"lambda:InvokeFunctionUrl","Principal":"*","FunctionUrlAuthType":"NONE"}`},
	} {
		if _, err := post(ctx, client, base+req.path, []byte(req.body), http.StatusCreated); err != nil {
			return s, fmt.Errorf("set up the function URL: %w", err)
		}
	}
	if s.response, err = post(ctx, client, base+"/2015-03-31/functions/"+fnName+"/invocations", g.payload, http.StatusOK); err != nil {
		return s, fmt.Errorf("invoke API: %w", err)
	}
	if _, err := post(ctx, client, base+"/fn/"+fnName+"/", g.payload, http.StatusOK); err != nil {
		return s, fmt.Errorf("function URL: %w", err)
	}

	body := s.response
	s.bare = &fasthttp.Server{
		Name: "bare",
		Handler: func(rc *fasthttp.RequestCtx) {
			rc.SetContentType("application/json")
			rc.SetBody(body)
		},
	}
	bln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return s, err
	}
	s.bareAddr = bln.Addr().String()
	s.bareServed = make(chan error, 1)
	go func() { s.bareServed <- s.bare.Serve(bln) }()
	return s, nil
}

// stop shuts the servers and the engine down.
func (s *httpServers) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s.gw != nil && s.served != nil {
		_ = s.gw.Shutdown(ctx)
		<-s.served
	}
	if s.bare != nil && s.bareServed != nil {
		_ = s.bare.ShutdownWithContext(ctx)
		<-s.bareServed
	}
	if s.eng != nil {
		_ = s.eng.Close(ctx)
	}
	if s.temporaries != "" {
		_ = os.RemoveAll(s.temporaries)
	}
}

// post sends body and returns the response body, which must come with
// status want.
func post(ctx context.Context, c *http.Client, url string, body []byte, want int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("POST %s: %s: %s", url, resp.Status, oneLine(string(b)))
	}
	if fe := resp.Header.Get("X-Amz-Function-Error"); fe != "" {
		return nil, fmt.Errorf("POST %s: function error (%s): %s", url, fe, oneLine(string(b)))
	}
	return b, nil
}

// runWrk runs wrk against url with c connections for seconds and parses
// its report.
func runWrk(ctx context.Context, wrk, url, script string, c, seconds int) HTTPLevel {
	threads := min(c, runtime.NumCPU())
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(c), "-d", strconv.Itoa(seconds) + "s",
		"--timeout", "10s", "--latency", "-s", script, url}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, wrk, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	lvl := HTTPLevel{Concurrency: c, Status: StatusOK}
	if err := cmd.Run(); err != nil {
		lvl.Status, lvl.Reason = StatusFailed, "wrk: "+oneLine(firstNonEmpty(stderr.String(), stdout.String(), err.Error()))
		return lvl
	}
	if err := parseWrk(stdout.String(), &lvl); err != nil {
		lvl.Status, lvl.Reason = StatusFailed, "wrk: "+err.Error()
		return lvl
	}
	if lvl.Non2xx > 0 || lvl.SocketErrors > 0 {
		lvl.Reason = fmt.Sprintf("%d non-2xx responses, %d socket errors", lvl.Non2xx, lvl.SocketErrors)
		if lvl.Non2xx+lvl.SocketErrors >= lvl.Requests {
			lvl.Status = StatusFailed
		}
	}
	return lvl
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// parseWrk reads wrk's report (run with --latency) into lvl: requests,
// requests per second, the latency distribution's 50/90/99th percentiles
// and the maximum, non-2xx responses and socket errors.
func parseWrk(out string, lvl *HTTPLevel) error {
	sc := bufio.NewScanner(strings.NewReader(out))
	inDist, sawRate := false, false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "Latency" && len(fields) >= 4 && !inDist:
			// Thread Stats: Latency avg stdev max +/-stdev
			if d, err := parseWrkTime(fields[3]); err == nil {
				lvl.MaxNs = d
			}
		case line == "Latency Distribution":
			inDist = true
		case inDist && strings.HasSuffix(fields[0], "%") && len(fields) == 2:
			d, err := parseWrkTime(fields[1])
			if err != nil {
				return fmt.Errorf("latency %q: %w", line, err)
			}
			switch fields[0] {
			case "50%":
				lvl.P50Ns = d
			case "90%":
				lvl.P90Ns = d
			case "99%":
				lvl.P99Ns = d
			}
		case len(fields) >= 3 && fields[1] == "requests" && fields[2] == "in":
			inDist = false
			n, err := strconv.Atoi(fields[0])
			if err != nil {
				return fmt.Errorf("requests %q: %w", line, err)
			}
			lvl.Requests = n
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "Non-2xx or 3xx responses:")))
			if err != nil {
				return fmt.Errorf("%q: %w", line, err)
			}
			lvl.Non2xx = n
		case strings.HasPrefix(line, "Socket errors:"):
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for _, part := range strings.Split(strings.TrimPrefix(line, "Socket errors:"), ",") {
				f := strings.Fields(part)
				if len(f) == 2 {
					n, _ := strconv.Atoi(f[1])
					lvl.SocketErrors += n
				}
			}
		case fields[0] == "Requests/sec:" && len(fields) == 2:
			v, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				return fmt.Errorf("%q: %w", line, err)
			}
			lvl.RequestsPerSec, sawRate = v, true
		}
	}
	if !sawRate {
		return errors.New("no Requests/sec in its output")
	}
	return nil
}

// parseWrkTime parses wrk's durations ("38.00us", "1.20ms", "2.00s",
// "1.00m") into nanoseconds.
func parseWrkTime(s string) (float64, error) {
	units := []struct {
		suffix string
		ns     float64
	}{{"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}}
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, err
			}
			return f * u.ns, nil
		}
	}
	return 0, fmt.Errorf("unknown unit in %q", s)
}
