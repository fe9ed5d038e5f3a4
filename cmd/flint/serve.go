package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/urfave/cli/v2"
)

// serveConfig is flint serve's configuration. Flags, environment variables
// and the optional --config file (JSON with these field names) map onto
// it one to one; a flag beats its environment variable, which beats the
// file, which beats the default.
type serveConfig struct {
	Listen          string            `json:"listen"`
	Data            string            `json:"data"`
	AccessKey       string            `json:"accessKey"`
	SecretKey       string            `json:"secretKey"`
	CredentialsFile string            `json:"credentialsFile"`
	PublicURL       string            `json:"publicURL"`
	Region          string            `json:"region"`
	MaxConcurrency  int               `json:"maxConcurrency"`
	AllowPrivate    bool              `json:"allowPrivateNetworks"`
	Mounts          []string          `json:"mounts"`        // HOSTDIR:GUESTPATH
	Parameters      map[string]string `json:"parameters"`    // config_get values
	ShutdownGrace   duration          `json:"shutdownGrace"` // "30s"
	LogLevel        string            `json:"logLevel"`
	LogFormat       string            `json:"logFormat"`
	AccessLog       bool              `json:"accessLog"`
	MetricsToken    string            `json:"metricsToken"`
}

// duration is a time.Duration that a config file gives as a string such
// as "30s" (a number is nanoseconds, as encoding/json has it).
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if json.Unmarshal(b, &n) != nil {
			return fmt.Errorf("a duration is a string such as \"30s\", not %s", b)
		}
		*d = duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: use a number and a unit, such as \"30s\" or \"1m\"", s)
	}
	*d = duration(v)
	return nil
}

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func defaultServeConfig() serveConfig {
	return serveConfig{
		Listen:        "127.0.0.1:8080",
		Data:          ".flint",
		Region:        gateway.DefaultRegion,
		ShutdownGrace: duration(gateway.DefaultShutdownGrace),
		LogLevel:      "info",
		LogFormat:     "text",
	}
}

func serveCommand() *cli.Command {
	def := defaultServeConfig()
	return &cli.Command{
		Name:  "serve",
		Usage: "run the Flint server: the Lambda API, function URLs, metrics",
		Description: `Serves the AWS Lambda REST API (the AWS CLI and SDKs work against it with
--endpoint-url), function URLs at /fn/NAME/, Flint's API at /flint/v1/, and
/healthz, /readyz, /metrics. State lives in the data directory.

Without credentials the server accepts unsigned requests, which it allows
only when listening on loopback.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Usage: "JSON configuration `FILE` (field names as in the README)", EnvVars: []string{"FLINT_CONFIG"}},
			&cli.StringFlag{Name: "listen", Value: def.Listen, Usage: "listen on `ADDR`", EnvVars: []string{"FLINT_LISTEN"}},
			&cli.StringFlag{Name: "data", Value: def.Data, Usage: "keep state in `DIR`", EnvVars: []string{"FLINT_DATA"}},
			&cli.StringFlag{Name: "access-key", Usage: "an admin access key `ID`", EnvVars: []string{"FLINT_ACCESS_KEY"}},
			&cli.StringFlag{Name: "secret-key", Usage: "its secret `KEY`", EnvVars: []string{"FLINT_SECRET_KEY"}},
			&cli.StringFlag{Name: "credentials-file", Usage: "more key pairs, in `FILE` (INI, like ~/.aws/credentials)", EnvVars: []string{"FLINT_CREDENTIALS_FILE"}},
			&cli.StringFlag{Name: "public-url", Usage: "base `URL` of function URLs (default: from each request's Host)", EnvVars: []string{"FLINT_PUBLIC_URL"}},
			&cli.StringFlag{Name: "region", Value: def.Region, Usage: "`REGION` in ARNs", EnvVars: []string{"FLINT_REGION"}},
			&cli.IntFlag{Name: "max-concurrency", Value: engine.DefaultMaxConcurrency, Usage: "engine-wide concurrent `N` invocations", EnvVars: []string{"FLINT_MAX_CONCURRENCY"}},
			&cli.BoolFlag{Name: "allow-private-networks", Usage: "let functions fetch private addresses their policy names literally", EnvVars: []string{"FLINT_ALLOW_PRIVATE_NETWORKS"}},
			&cli.StringSliceFlag{Name: "mount", Usage: "expose `HOSTDIR:GUESTPATH` to functions (policy-checked; repeatable)"},
			&cli.StringSliceFlag{Name: "parameter", Usage: "a `NAME=VALUE` functions read with config_get (repeatable)"},
			&cli.DurationFlag{Name: "shutdown-grace", Value: time.Duration(def.ShutdownGrace), Usage: "on SIGINT/SIGTERM, wait up to `D` for requests in flight", EnvVars: []string{"FLINT_SHUTDOWN_GRACE"}},
			&cli.StringFlag{Name: "log-level", Value: def.LogLevel, Usage: "`LEVEL`: debug, info, warn or error", EnvVars: []string{"FLINT_LOG_LEVEL"}},
			&cli.StringFlag{Name: "log-format", Value: def.LogFormat, Usage: "`FORMAT`: text or json", EnvVars: []string{"FLINT_LOG_FORMAT"}},
			&cli.BoolFlag{Name: "access-log", Usage: "log every request at info level", EnvVars: []string{"FLINT_ACCESS_LOG"}},
			&cli.StringFlag{Name: "metrics-token", Usage: "serve /metrics only to requests with the bearer `TOKEN`", EnvVars: []string{"FLINT_METRICS_TOKEN"},
				DefaultText: "none: /metrics is public"},
		},
		Action: func(c *cli.Context) error {
			cfg, err := loadServeConfig(c)
			if err != nil {
				return usageErrorf("flint serve: %v", err)
			}
			return serve(c.Context, cfg, c.App.ErrWriter)
		},
	}
}

// loadServeConfig merges defaults, the config file, environment and flags.
func loadServeConfig(c *cli.Context) (serveConfig, error) {
	cfg := defaultServeConfig()
	if path := c.String("config"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, err
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return cfg, fmt.Errorf("config file %s: %v", path, err)
		}
	}
	str := func(name string, dst *string) {
		if c.IsSet(name) {
			*dst = c.String(name)
		}
	}
	str("listen", &cfg.Listen)
	str("data", &cfg.Data)
	str("access-key", &cfg.AccessKey)
	str("secret-key", &cfg.SecretKey)
	str("credentials-file", &cfg.CredentialsFile)
	str("public-url", &cfg.PublicURL)
	str("region", &cfg.Region)
	str("log-level", &cfg.LogLevel)
	str("log-format", &cfg.LogFormat)
	str("metrics-token", &cfg.MetricsToken)
	if c.IsSet("max-concurrency") {
		cfg.MaxConcurrency = c.Int("max-concurrency")
	}
	if c.IsSet("allow-private-networks") {
		cfg.AllowPrivate = c.Bool("allow-private-networks")
	}
	if c.IsSet("access-log") {
		cfg.AccessLog = c.Bool("access-log")
	}
	if c.IsSet("shutdown-grace") {
		cfg.ShutdownGrace = duration(c.Duration("shutdown-grace"))
	}
	cfg.Mounts = append(cfg.Mounts, c.StringSlice("mount")...)
	for _, p := range c.StringSlice("parameter") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return cfg, fmt.Errorf("--parameter %q: use NAME=VALUE", p)
		}
		if cfg.Parameters == nil {
			cfg.Parameters = map[string]string{}
		}
		cfg.Parameters[k] = v
	}
	switch {
	case (cfg.AccessKey == "") != (cfg.SecretKey == ""):
		return cfg, errors.New("--access-key and --secret-key go together")
	case cfg.MaxConcurrency < 0:
		return cfg, errors.New("--max-concurrency must not be negative")
	case cfg.ShutdownGrace < 0:
		return cfg, errors.New("--shutdown-grace must not be negative")
	case cfg.LogFormat != "text" && cfg.LogFormat != "json":
		return cfg, fmt.Errorf("--log-format %q: use text or json", cfg.LogFormat)
	}
	return cfg, nil
}

func newLogger(cfg serveConfig, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

func (cfg serveConfig) keys() ([]auth.Key, error) {
	var keys []auth.Key
	if cfg.AccessKey != "" {
		keys = append(keys, auth.Key{AccessKeyID: cfg.AccessKey, SecretAccessKey: cfg.SecretKey, Admin: true})
	}
	if cfg.CredentialsFile != "" {
		more, err := auth.LoadCredentialsFile(cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		keys = append(keys, more...)
	}
	return keys, nil
}

func (cfg serveConfig) mounts() ([]engine.Mount, error) {
	var out []engine.Mount
	for _, m := range cfg.Mounts {
		host, guest, ok := strings.Cut(m, ":")
		if !ok || host == "" || !strings.HasPrefix(guest, "/") {
			return nil, fmt.Errorf("mount %q: use HOSTDIR:/GUESTPATH", m)
		}
		abs, err := filepath.Abs(host)
		if err != nil {
			return nil, err
		}
		out = append(out, engine.Mount{HostDir: abs, GuestPath: guest})
	}
	return out, nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serve runs the server until ctx is done (SIGINT or SIGTERM), then shuts
// down gracefully: stop accepting, finish requests in flight within the
// grace period, stop the async workers (queued events stay on disk).
func serve(ctx context.Context, cfg serveConfig, logOut io.Writer) error {
	logger, err := newLogger(cfg, logOut)
	if err != nil {
		return usageErrorf("flint serve: %v", err)
	}
	keys, err := cfg.keys()
	if err != nil {
		return usageErrorf("flint serve: %v", err)
	}
	if len(keys) == 0 && !isLoopback(cfg.Listen) {
		return usageErrorf("flint serve: refusing to listen on %s without credentials: give --access-key and --secret-key, or --credentials-file, or listen on loopback", cfg.Listen)
	}
	mounts, err := cfg.mounts()
	if err != nil {
		return usageErrorf("flint serve: %v", err)
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return internalErrorf("flint serve: data directory: %v", err)
	}
	st, err := store.Open(cfg.Data, store.Options{})
	if err != nil {
		return internalErrorf("flint serve: %v", err)
	}
	defer st.Close()
	eng, err := engine.New(ctx, engine.Config{
		DataDir:              cfg.Data,
		Store:                st,
		MaxConcurrency:       cfg.MaxConcurrency,
		AllowPrivateNetworks: cfg.AllowPrivate,
		Mounts:               mounts,
		Parameters:           cfg.Parameters,
		Region:               cfg.Region,
		Logger:               logger,
	})
	if err != nil {
		return internalErrorf("flint serve: %v", err)
	}
	gw, err := gateway.New(gateway.Config{
		Engine: eng, Store: st, Keys: keys, Region: cfg.Region, PublicURL: cfg.PublicURL, Logger: logger,
		AccessLog: cfg.AccessLog, MetricsToken: cfg.MetricsToken,
	})
	if err != nil {
		_ = eng.Close(context.Background())
		return internalErrorf("flint serve: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = eng.Close(context.Background())
		return internalErrorf("flint serve: %v", err)
	}
	if len(keys) == 0 {
		logger.Warn("no credentials configured: accepting unsigned requests (allowed on loopback only)", "listen", ln.Addr().String())
	}
	logger.Info("flint serving", "listen", ln.Addr().String(), "data", cfg.Data, "keys", len(keys), "version", buildVersions().flint)

	served := make(chan error, 1)
	go func() { served <- gw.Serve(ln) }()
	select {
	case err := <-served:
		_ = eng.Close(context.Background())
		return internalErrorf("flint serve: %v", err)
	case <-ctx.Done():
	}
	grace := time.Duration(cfg.ShutdownGrace)
	logger.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var errs []error
	if err := gw.Shutdown(sctx); err != nil {
		errs = append(errs, err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	if err := eng.Close(sctx); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		logger.Warn("shutdown", "err", err)
	}
	logger.Info("stopped")
	return nil
}
