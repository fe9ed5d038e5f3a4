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
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/broker"
	"github.com/flintfaas/flint/cluster"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/engine/store/jsstore"
	"github.com/flintfaas/flint/eventsource"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/internal/names"
	"github.com/flintfaas/flint/schedule"
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
	ModuleMemoryMB  int               `json:"moduleMemoryMB"`
	SpareInstances  int               `json:"spareInstances"`
	AllowPrivate    bool              `json:"allowPrivateNetworks"`
	Mounts          []string          `json:"mounts"`        // HOSTDIR:GUESTPATH
	Parameters      map[string]string `json:"parameters"`    // config_get values
	ShutdownGrace   duration          `json:"shutdownGrace"` // "30s"
	LogLevel        string            `json:"logLevel"`
	LogFormat       string            `json:"logFormat"`
	AccessLog       bool              `json:"accessLog"`
	NATSListen      string            `json:"natsListen"`      // embedded NATS's client address, or "off"
	NATS            []string          `json:"nats"`            // an existing NATS cluster instead
	NATSCreds       string            `json:"natsCreds"`       // its credentials file
	NATSUser        string            `json:"natsUser"`        // or user and password
	NATSPassword    string            `json:"natsPassword"`    //
	NATSToken       string            `json:"natsToken"`       // or token
	SourceAckMargin duration          `json:"sourceAckMargin"` // "1m"
	NodeName        string            `json:"nodeName"`        // this node's name in a cluster
	ClusterName     string            `json:"clusterName"`     // the embedded NATS joins this cluster
	ClusterListen   string            `json:"clusterListen"`   // its route address
	Routes          []string          `json:"routes"`          // other members' route URLs
	ClusterSecret   string            `json:"clusterSecret"`   // the routes' shared password
	Store           string            `json:"store"`           // "local" or "jetstream"; empty: by the NATS flags
	Replicas        int               `json:"replicas"`        // JetStream replicas of the shared state
	AsyncLease      duration          `json:"asyncLease"`      // "1m"
	MetricsToken    string            `json:"metricsToken"`
}

// The stores flint serve keeps its state in.
const (
	storeLocal     = "local"     // bbolt in the data directory
	storeJetStream = "jetstream" // NATS JetStream, shared by a cluster's nodes
)

// clustered reports whether the node shares its state with others: its
// store is on JetStream.
func (cfg serveConfig) clustered() bool { return cfg.Store == storeJetStream }

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
		Listen:          "127.0.0.1:8080",
		Data:            ".flint",
		Region:          gateway.DefaultRegion,
		ShutdownGrace:   duration(gateway.DefaultShutdownGrace),
		LogLevel:        "info",
		LogFormat:       "text",
		NATSListen:      broker.DefaultListen,
		SourceAckMargin: duration(eventsource.DefaultAckMargin),
		AsyncLease:      duration(engine.DefaultAsyncLease),
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

It also serves the EventBridge Scheduler API (/schedules, signed for the
"scheduler" service) and fires the schedules it keeps.

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
			&cli.IntFlag{Name: "module-memory", Value: engine.DefaultModuleMemoryBytes >> 20, Usage: "loaded functions' compiled code may take `MB` (estimated); past it the least recently used are unloaded until invoked again (-1: no limit)", EnvVars: []string{"FLINT_MODULE_MEMORY"}},
			&cli.IntFlag{Name: "spare-instances", Usage: "keep `N` idle instances of each function version ready while it is in use, made in the background, so that rising concurrency takes instances made ahead instead of cold starts (0 to " + strconv.Itoa(maxSpareInstances) + ")", EnvVars: []string{"FLINT_SPARE_INSTANCES"},
				DefaultText: "none"},
			&cli.BoolFlag{Name: "allow-private-networks", Usage: "let functions fetch private addresses their policy names literally", EnvVars: []string{"FLINT_ALLOW_PRIVATE_NETWORKS"}},
			&cli.StringSliceFlag{Name: "mount", Usage: "expose `HOSTDIR:GUESTPATH` to functions (policy-checked; repeatable)"},
			&cli.StringSliceFlag{Name: "parameter", Usage: "a `NAME=VALUE` functions read with config_get (repeatable)"},
			&cli.DurationFlag{Name: "shutdown-grace", Value: time.Duration(def.ShutdownGrace), Usage: "on SIGINT/SIGTERM, wait up to `D` for requests in flight", EnvVars: []string{"FLINT_SHUTDOWN_GRACE"}},
			&cli.StringFlag{Name: "log-level", Value: def.LogLevel, Usage: "`LEVEL`: debug, info, warn or error", EnvVars: []string{"FLINT_LOG_LEVEL"}},
			&cli.StringFlag{Name: "log-format", Value: def.LogFormat, Usage: "`FORMAT`: text or json", EnvVars: []string{"FLINT_LOG_FORMAT"}},
			&cli.BoolFlag{Name: "access-log", Usage: "log every request at info level", EnvVars: []string{"FLINT_ACCESS_LOG"}},
			&cli.StringFlag{Name: "nats-listen", Value: def.NATSListen, Usage: "embedded NATS takes clients on `ADDR` (\"off\": in-process only)", EnvVars: []string{"FLINT_NATS_LISTEN"}},
			&cli.StringFlag{Name: "nats", Usage: "use the NATS cluster at `URL[,URL...]` instead of an embedded server", EnvVars: []string{"FLINT_NATS"}},
			&cli.StringFlag{Name: "nats-creds", Usage: "credentials `FILE` for --nats", EnvVars: []string{"FLINT_NATS_CREDS"}},
			&cli.StringFlag{Name: "nats-user", Usage: "`USER` for --nats", EnvVars: []string{"FLINT_NATS_USER"}},
			&cli.StringFlag{Name: "nats-password", Usage: "`PASSWORD` for --nats-user", EnvVars: []string{"FLINT_NATS_PASSWORD"}},
			&cli.StringFlag{Name: "nats-token", Usage: "`TOKEN` for --nats", EnvVars: []string{"FLINT_NATS_TOKEN"}},
			&cli.StringFlag{Name: "node-name", Usage: "this node's `NAME` in a cluster (default: the host name)", EnvVars: []string{"FLINT_NODE_NAME"}},
			&cli.StringFlag{Name: "cluster-name", Usage: "the embedded NATS joins the cluster `NAME` (with --cluster-listen and --routes)", EnvVars: []string{"FLINT_CLUSTER_NAME"}},
			&cli.StringFlag{Name: "cluster-listen", Usage: "take other members' routes on `ADDR` (host:port)", EnvVars: []string{"FLINT_CLUSTER_LISTEN"}},
			&cli.StringFlag{Name: "routes", Usage: "other members' route `URL[,URL...]` (nats://host:6222); one reachable member is enough", EnvVars: []string{"FLINT_ROUTES"}},
			&cli.StringFlag{Name: "cluster-secret", Usage: "the `PASSWORD` members present on their routes (required unless --cluster-listen is on loopback)", EnvVars: []string{"FLINT_CLUSTER_SECRET"}},
			&cli.StringFlag{Name: "store", Usage: "keep state in `STORE`: local (the data directory) or jetstream (shared; the default with --cluster-name or --nats)", EnvVars: []string{"FLINT_STORE"}},
			&cli.IntFlag{Name: "replicas", Usage: "JetStream servers keeping each part of the shared state, 1 to 5", EnvVars: []string{"FLINT_REPLICAS"},
				DefaultText: "3 in a cluster of 3 or more, else 1"},
			&cli.DurationFlag{Name: "async-lease", Value: time.Duration(def.AsyncLease), Usage: "an async worker holds an event for `D` at a time, extending it while it runs: a killed node's events run again after at most D", EnvVars: []string{"FLINT_ASYNC_LEASE"}},
			&cli.DurationFlag{Name: "source-ack-margin", Value: time.Duration(def.SourceAckMargin), Usage: "a record an event source delivered is delivered again `D` past its function's timeout if not acknowledged (after a crash)", EnvVars: []string{"FLINT_SOURCE_ACK_MARGIN"}},
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

// maxSpareInstances bounds --spare-instances: each spare is an idle
// instance per function version in use, made and kept whether or not a
// burst comes.
const maxSpareInstances = 64

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
	str("nats-listen", &cfg.NATSListen)
	str("nats-creds", &cfg.NATSCreds)
	str("nats-user", &cfg.NATSUser)
	str("nats-password", &cfg.NATSPassword)
	str("nats-token", &cfg.NATSToken)
	str("node-name", &cfg.NodeName)
	str("cluster-name", &cfg.ClusterName)
	str("cluster-listen", &cfg.ClusterListen)
	str("cluster-secret", &cfg.ClusterSecret)
	str("store", &cfg.Store)
	if c.IsSet("routes") {
		cfg.Routes = nil
		for _, u := range strings.Split(c.String("routes"), ",") {
			if u = strings.TrimSpace(u); u != "" {
				cfg.Routes = append(cfg.Routes, u)
			}
		}
	}
	if c.IsSet("replicas") {
		cfg.Replicas = c.Int("replicas")
	}
	if c.IsSet("nats") {
		cfg.NATS = nil
		for _, u := range strings.Split(c.String("nats"), ",") {
			if u = strings.TrimSpace(u); u != "" {
				cfg.NATS = append(cfg.NATS, u)
			}
		}
	}
	str("metrics-token", &cfg.MetricsToken)
	if c.IsSet("max-concurrency") {
		cfg.MaxConcurrency = c.Int("max-concurrency")
	}
	if c.IsSet("module-memory") {
		cfg.ModuleMemoryMB = c.Int("module-memory")
	}
	if c.IsSet("spare-instances") {
		cfg.SpareInstances = c.Int("spare-instances")
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
	if c.IsSet("async-lease") {
		cfg.AsyncLease = duration(c.Duration("async-lease"))
	}
	if c.IsSet("source-ack-margin") {
		cfg.SourceAckMargin = duration(c.Duration("source-ack-margin"))
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
	case cfg.ModuleMemoryMB < -1:
		return cfg, errors.New("--module-memory must be a number of MB, or -1 for no limit")
	case cfg.SpareInstances < 0 || cfg.SpareInstances > maxSpareInstances:
		return cfg, fmt.Errorf("--spare-instances must be 0 to %d", maxSpareInstances)
	case cfg.ShutdownGrace < 0:
		return cfg, errors.New("--shutdown-grace must not be negative")
	case cfg.AsyncLease < duration(time.Second):
		return cfg, errors.New("--async-lease must be at least 1s")
	case cfg.SourceAckMargin < duration(time.Second):
		return cfg, errors.New("--source-ack-margin must be at least 1s")
	case cfg.LogFormat != "text" && cfg.LogFormat != "json":
		return cfg, fmt.Errorf("--log-format %q: use text or json", cfg.LogFormat)
	case len(cfg.NATS) == 0 && (cfg.NATSCreds != "" || cfg.NATSUser != "" || cfg.NATSToken != ""):
		return cfg, errors.New("--nats-creds, --nats-user and --nats-token go with --nats")
	case cfg.NATSPassword != "" && cfg.NATSUser == "":
		return cfg, errors.New("--nats-password goes with --nats-user")
	}
	if err := cfg.checkCluster(); err != nil {
		return cfg, err
	}
	if cfg.NATSListen != broker.ListenOff && len(cfg.NATS) == 0 {
		if _, _, err := net.SplitHostPort(cfg.NATSListen); err != nil {
			return cfg, fmt.Errorf("--nats-listen %q: use HOST:PORT, or %q", cfg.NATSListen, broker.ListenOff)
		}
		if !isLoopback(cfg.NATSListen) {
			return cfg, fmt.Errorf("--nats-listen %q: the embedded NATS server has no authentication, so it listens on loopback only; use --nats for a secured cluster", cfg.NATSListen)
		}
	}
	return cfg, nil
}

// checkCluster checks the cluster flags and fills in their defaults: the
// store, the node's name, the replicas.
func (cfg *serveConfig) checkCluster() error {
	embedded := cfg.ClusterName != "" || cfg.ClusterListen != "" || len(cfg.Routes) > 0
	switch {
	case embedded && len(cfg.NATS) > 0:
		return errors.New("--cluster-name, --cluster-listen and --routes form a cluster of embedded NATS servers; --nats uses an existing one: give one or the other")
	case embedded && (cfg.ClusterName == "" || cfg.ClusterListen == ""):
		return errors.New("a cluster needs --cluster-name and --cluster-listen (and --routes to the other members)")
	case cfg.ClusterSecret != "" && !embedded:
		return errors.New("--cluster-secret goes with --cluster-name")
	case embedded && cfg.ClusterSecret == "" && !isLoopback(cfg.ClusterListen):
		return fmt.Errorf("--cluster-listen %q is not on loopback: give --cluster-secret, so that only members join", cfg.ClusterListen)
	case embedded && cfg.NATSListen == broker.ListenOff:
		return errors.New("a cluster member takes NATS clients on --nats-listen: it cannot be off")
	case cfg.Replicas < 0 || cfg.Replicas > 5:
		return fmt.Errorf("--replicas %d: JetStream keeps 1 to 5", cfg.Replicas)
	}
	if embedded {
		if _, _, err := net.SplitHostPort(cfg.ClusterListen); err != nil {
			return fmt.Errorf("--cluster-listen %q: use HOST:PORT", cfg.ClusterListen)
		}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil || u.Scheme != "nats" || u.Port() == "" {
				return fmt.Errorf("--routes: %q: use nats://HOST:PORT", r)
			}
		}
	}
	switch cfg.Store {
	case "":
		cfg.Store = storeLocal
		if embedded || len(cfg.NATS) > 0 {
			cfg.Store = storeJetStream
		}
	case storeLocal, storeJetStream:
	default:
		return fmt.Errorf("--store %q: use %s or %s", cfg.Store, storeLocal, storeJetStream)
	}
	if cfg.Store == storeLocal && embedded {
		return errors.New("--store local keeps this node's state to itself: a cluster's nodes share theirs (--store jetstream)")
	}
	if cfg.Replicas != 0 && !cfg.clustered() {
		return errors.New("--replicas goes with --store jetstream")
	}
	if !cfg.clustered() {
		if cfg.NodeName != "" {
			return errors.New("--node-name names a node of a cluster (--cluster-name or --nats)")
		}
		return nil
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
		if embedded {
			cfg.Replicas = min(3, 1+len(cfg.Routes))
		}
	}
	if cfg.NodeName == "" {
		cfg.NodeName = defaultNodeName()
	}
	if !names.Function(cfg.NodeName) {
		return fmt.Errorf("--node-name %q: use 1 to 64 letters, digits, hyphens and underscores", cfg.NodeName)
	}
	return nil
}

// defaultNodeName is the host name, as a node name.
func defaultNodeName() string {
	h, err := os.Hostname()
	if err != nil {
		return "flint"
	}
	h, _, _ = strings.Cut(h, ".")
	b := []byte(h)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) == 0 {
		return "flint"
	}
	return string(b[:min(len(b), 64)])
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

// serverName is the embedded NATS server's name: the node's, in a
// cluster (members need distinct names); else NATS picks one.
func (cfg serveConfig) serverName() string {
	if cfg.ClusterName == "" {
		return ""
	}
	return cfg.NodeName
}

// waitForCluster waits until the cluster's JetStream answers: a majority
// of its members must have met, so the first to start waits for another.
func waitForCluster(ctx context.Context, bk *broker.Broker, logger *slog.Logger) error {
	for {
		err := bk.WaitJetStream(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		logger.Info("waiting for the cluster's other members (a majority must meet before JetStream answers)", "err", err)
	}
}

// openStore opens where the server keeps its state: a bbolt file in the
// data directory, or JetStream, shared with the cluster's other nodes.
func openStore(ctx context.Context, cfg serveConfig, bk *broker.Broker) (store.Store, error) {
	if !cfg.clustered() {
		return store.Open(cfg.Data, store.Options{})
	}
	return jsstore.New(ctx, bk.JetStream(), jsstore.Options{Replicas: cfg.Replicas, Lease: time.Duration(cfg.AsyncLease)})
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
	bk, err := broker.Start(ctx, broker.Config{
		URLs: cfg.NATS, CredentialsFile: cfg.NATSCreds, User: cfg.NATSUser, Password: cfg.NATSPassword, Token: cfg.NATSToken,
		StoreDir: filepath.Join(cfg.Data, "nats"), Listen: cfg.NATSListen, Logger: logger,
		ServerName: cfg.serverName(), ClusterName: cfg.ClusterName, ClusterListen: cfg.ClusterListen,
		Routes: cfg.Routes, ClusterSecret: cfg.ClusterSecret,
	})
	if err != nil {
		return internalErrorf("flint serve: %v", err)
	}
	defer bk.Close(context.Background())
	if cfg.ClusterName != "" {
		if err := waitForCluster(ctx, bk, logger); err != nil {
			return internalErrorf("flint serve: %v", err)
		}
	}
	st, err := openStore(ctx, cfg, bk)
	if err != nil {
		return internalErrorf("flint serve: %v", err)
	}
	defer st.Close()
	var node *cluster.Node
	var shares engine.Shares
	if cfg.clustered() {
		node, err = cluster.Join(ctx, cluster.Config{
			Name: cfg.NodeName, Address: cfg.Listen, Version: buildVersions().flint, Store: st,
			Conn: bk.Conn(), JetStream: bk.JetStream(), Logger: logger,
		})
		if err != nil {
			return internalErrorf("flint serve: %v", err)
		}
		defer node.Leave(context.Background())
		shares = node
	}
	destinations := &eventsource.Streams{JetStream: bk.JetStream()}
	eng, err := engine.New(ctx, engine.Config{
		DataDir:              cfg.Data,
		Store:                st,
		MaxConcurrency:       cfg.MaxConcurrency,
		ModuleMemoryBytes:    int64(cfg.ModuleMemoryMB) << 20,
		SpareInstances:       cfg.SpareInstances,
		AllowPrivateNetworks: cfg.AllowPrivate,
		Mounts:               mounts,
		Parameters:           cfg.Parameters,
		Destinations:         destinations,
		Shares:               shares,
		Async:                engine.AsyncConfig{Lease: time.Duration(cfg.AsyncLease)},
		Region:               cfg.Region,
		Logger:               logger,
	})
	if err != nil {
		return internalErrorf("flint serve: %v", err)
	}
	if node != nil {
		if err := node.Serve(eng); err != nil {
			_ = eng.Close(context.Background())
			return internalErrorf("flint serve: %v", err)
		}
	}
	sources, err := eventsource.New(ctx, eventsource.Config{
		Engine: eng, JetStream: bk.JetStream(), Store: st, Region: cfg.Region, Logger: logger,
		AckMargin: time.Duration(cfg.SourceAckMargin),
	})
	if err != nil {
		_ = eng.Close(context.Background())
		return internalErrorf("flint serve: %v", err)
	}
	// Schedules need the store and the engine's async path; a dead-letter
	// queue may be a stream.
	sched, err := schedule.New(ctx, schedule.Config{Store: st, Invoker: eng, Region: cfg.Region, Logger: logger,
		Destinations: destinations})
	if err != nil {
		_ = sources.Close(context.Background())
		_ = eng.Close(context.Background())
		return internalErrorf("flint serve: %v", err)
	}
	stopAll := func(ctx context.Context) error {
		return errors.Join(sched.Close(ctx), sources.Close(ctx), eng.Close(ctx))
	}
	gw, err := gateway.New(gateway.Config{
		Engine: eng, Store: st, Keys: keys, Region: cfg.Region, PublicURL: cfg.PublicURL, Logger: logger,
		AccessLog: cfg.AccessLog, EventSources: sources, JetStream: bk.JetStream(), Scheduler: sched, Cluster: node,
		MetricsToken: cfg.MetricsToken,
	})
	if err != nil {
		_ = stopAll(context.Background())
		return internalErrorf("flint serve: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = stopAll(context.Background())
		return internalErrorf("flint serve: %v", err)
	}
	if len(keys) == 0 {
		logger.Warn("no credentials configured: accepting unsigned requests (allowed on loopback only)", "listen", ln.Addr().String())
	}
	natsAt := bk.ClientURL()
	switch {
	case !bk.Embedded():
		natsAt = strings.Join(cfg.NATS, ",")
	case natsAt == "":
		natsAt = "in-process only"
	}
	logger.Info("flint serving", "listen", ln.Addr().String(), "data", cfg.Data, "keys", len(keys), "nats", natsAt,
		"store", cfg.Store, "version", buildVersions().flint)
	if node != nil {
		logger.Info("cluster node", "node", cfg.NodeName, "cluster", cfg.ClusterName, "replicas", cfg.Replicas,
			"live", len(node.Members(ctx)))
	}
	logger.Info("web console", "url", consoleURL(cfg.PublicURL, ln.Addr().String()))

	served := make(chan error, 1)
	go func() { served <- gw.Serve(ln) }()
	select {
	case err := <-served:
		_ = stopAll(context.Background())
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
	// Schedules and event sources first (fires and batches in flight
	// finish), then the engine (its async workers may still deliver to
	// streams), then NATS.
	if err := stopAll(sctx); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		logger.Warn("shutdown", "err", err)
	}
	logger.Info("stopped")
	return nil
}

// consoleURL is where the web console answers: under the public URL when
// one is set, else on the address listened on.
func consoleURL(publicURL, listen string) string {
	if publicURL != "" {
		return strings.TrimSuffix(publicURL, "/") + "/console/"
	}
	return "http://" + listen + "/console/"
}
