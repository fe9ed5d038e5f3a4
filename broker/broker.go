// Package broker gives Flint its message system: NATS JetStream, either
// from a NATS server embedded in the process (the default, its files under
// the data directory) or from an existing NATS cluster. Event source
// mappings consume its streams; applications publish to them with any NATS
// client.
//
// Flint uses one connection: the in-process one to the embedded server, or
// a client connection to the cluster, with the JetStream API of
// github.com/nats-io/nats.go/jetstream on top.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of Config's zero fields.
const (
	// DefaultListen is where the embedded server takes NATS clients: the
	// standard NATS port, on loopback.
	DefaultListen = "127.0.0.1:4222"
	// ListenOff keeps the embedded server in-process only.
	ListenOff = "off"
	// DefaultReadyTimeout bounds the embedded server's start.
	DefaultReadyTimeout = 30 * time.Second
)

// Config says where Flint's NATS comes from. The zero value embeds a
// server, in-process only, with its files in a temporary directory (tests;
// flint serve passes StoreDir and Listen).
type Config struct {
	// URLs are an existing NATS cluster's servers ("nats://a:4222"); empty:
	// embed a server.
	URLs []string
	// CredentialsFile, User and Password, or Token authenticate to URLs.
	CredentialsFile, User, Password, Token string

	// StoreDir keeps the embedded server's JetStream files; empty: a
	// temporary directory, removed by Close.
	StoreDir string
	// Listen is the embedded server's client address ("host:port", port 0
	// for any free one), or ListenOff for in-process only.
	Listen string
	// ServerName names the embedded server (a node's name); empty: NATS
	// picks one. Members of a cluster need distinct names.
	ServerName string

	// ClusterName, ClusterListen and Routes make the embedded server a
	// member of a cluster of embedded servers: its name (the same on every
	// member), the address it takes routes on ("host:port", port 0 for any
	// free one), and other members' route URLs ("nats://host:6222"); one
	// reachable member is enough, the others are learned from it. With a
	// cluster, JetStream keeps its streams on several members (Replicas).
	ClusterName, ClusterListen string
	Routes                     []string
	// ClusterSecret, when set, is the password members present to each
	// other on their routes: a server without it cannot join. Every
	// member has the same.
	ClusterSecret string

	// Logger receives the embedded server's and the connection's messages.
	// Nil discards them.
	Logger *slog.Logger
}

// Broker is a connection to NATS JetStream, and the embedded server behind
// it if there is one.
type Broker struct {
	cfg    Config
	ns     *server.Server // nil when connected to a cluster
	tmpDir string         // the embedded server's files, when Close removes them
	nc     *nats.Conn
	js     jetstream.JetStream
	closed atomic.Bool
}

// Start starts the embedded server (unless cfg.URLs names a cluster) and
// connects to it. A Start that fails leaves nothing running.
func Start(ctx context.Context, cfg Config) (_ *Broker, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Broker{cfg: cfg}
	defer func() {
		if err != nil {
			b.shutdown()
		}
	}()
	opts := []nats.Option{
		nats.Name("flint"),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				cfg.Logger.Warn("nats: disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { cfg.Logger.Info("nats: reconnected", "server", nc.ConnectedUrlRedacted()) }),
	}
	url := strings.Join(cfg.URLs, ",")
	if len(cfg.URLs) == 0 {
		if cfg.StoreDir == "" {
			if b.tmpDir, err = os.MkdirTemp("", "flint-jetstream-"); err != nil {
				return nil, fmt.Errorf("broker: %w", err)
			}
			cfg.StoreDir = b.tmpDir
		}
		if b.ns, err = embed(ctx, cfg); err != nil {
			return nil, err
		}
		url = b.ns.ClientURL()
		opts = append(opts, nats.InProcessServer(b.ns))
	} else {
		switch {
		case cfg.CredentialsFile != "":
			opts = append(opts, nats.UserCredentials(cfg.CredentialsFile))
		case cfg.User != "":
			opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
		case cfg.Token != "":
			opts = append(opts, nats.Token(cfg.Token))
		}
	}
	if b.nc, err = nats.Connect(url, opts...); err != nil {
		return nil, fmt.Errorf("broker: connect to %s: %w", redact(url), err)
	}
	if b.js, err = jetstream.New(b.nc); err != nil {
		return nil, fmt.Errorf("broker: jetstream: %w", err)
	}
	// A server without JetStream would fail every stream call later, with
	// a less clear message. A new cluster's JetStream answers only once
	// enough members have met: its members wait with WaitJetStream.
	if cfg.ClusterName == "" {
		if err := b.WaitJetStream(ctx); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// WaitJetStream waits until JetStream answers — a cluster's, once a
// majority of its members have met — up to DefaultReadyTimeout or ctx's
// deadline.
func (b *Broker) WaitJetStream(ctx context.Context) error {
	err := b.waitJetStream(ctx)
	if err != nil {
		return fmt.Errorf("broker: JetStream is not available at %s: %w", redact(b.nc.ConnectedUrl()), err)
	}
	return nil
}

func (b *Broker) waitJetStream(ctx context.Context) error {
	deadline := time.Now().Add(DefaultReadyTimeout)
	if d, ok := ctx.Deadline(); ok {
		deadline = d
	}
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := b.js.AccountInfo(actx)
		cancel()
		if err == nil || errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return err
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ClusterURL is where other members of the embedded server's cluster reach
// it ("" without a cluster).
func (b *Broker) ClusterURL() string {
	if b.ns == nil {
		return ""
	}
	if addr := b.ns.ClusterAddr(); addr != nil {
		return "nats://" + addr.String()
	}
	return ""
}

// Name is the embedded server's name, or the cluster server's the
// connection is on.
func (b *Broker) Name() string {
	if b.ns != nil {
		return b.ns.Name()
	}
	return b.nc.ConnectedServerName()
}

// embed starts a NATS server with JetStream in this process.
func embed(ctx context.Context, cfg Config) (*server.Server, error) {
	opts := &server.Options{
		ServerName: cfg.ServerName,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		NoSigs:     true,
		// A member that went away is reported once a minute, not at every
		// attempt to reach it again (one a second, per route).
		ReconnectErrorReports: 60,
		// Room for 1 MiB store values and queue messages with their
		// headers (engine/store/jsstore needs more than NATS's 1 MiB).
		MaxPayload: 2 << 20,
	}
	switch listen := cfg.Listen; listen {
	case "", ListenOff:
		opts.DontListen = true
	default:
		host, port, err := splitHostPort(listen)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = host, port
	}
	if cfg.ClusterName != "" || cfg.ClusterListen != "" || len(cfg.Routes) > 0 {
		if cfg.ClusterName == "" || cfg.ClusterListen == "" {
			return nil, errors.New("broker: a cluster needs a name and a route address (--cluster-name, --cluster-listen)")
		}
		if cfg.ServerName == "" {
			return nil, errors.New("broker: a cluster member needs a name of its own (--node-name)")
		}
		if opts.DontListen {
			return nil, errors.New("broker: a cluster member takes NATS clients on an address (--nats-listen), not in-process only")
		}
		host, port, err := splitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, err
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: port}
		opts.Routes = server.RoutesFromStr(strings.Join(cfg.Routes, ","))
		if cfg.ClusterSecret != "" {
			opts.Cluster.Username, opts.Cluster.Password = routeUser, cfg.ClusterSecret
			for _, r := range opts.Routes {
				r.User = url.UserPassword(routeUser, cfg.ClusterSecret)
			}
		}
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("broker: embedded NATS server: %w", err)
	}
	ns.SetLogger(serverLogger{cfg.Logger}, false, false)
	go ns.Start()
	wait := DefaultReadyTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	if !ns.ReadyForConnections(wait) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("broker: the embedded NATS server was not ready within %v (listen %q, store %q)", wait, cfg.Listen, cfg.StoreDir)
	}
	return ns, nil
}

// routeUser is the user cluster members present on their routes, with
// Config.ClusterSecret as the password.
const routeUser = "flint"

// splitHostPort parses "host:port"; port 0 asks for any free port.
func splitHostPort(listen string) (string, int, error) {
	host, p, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("broker: NATS listen address %q: use HOST:PORT, or %q: %w", listen, ListenOff, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("broker: NATS listen address %q: the port must be 0 to 65535", listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// redact hides credentials in a URL list.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		if at := strings.LastIndexByte(u, '@'); at >= 0 {
			if scheme := strings.Index(u, "://"); scheme >= 0 && scheme < at {
				parts[i] = u[:scheme+3] + "***" + u[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}

// JetStream returns the JetStream API on the broker's connection.
func (b *Broker) JetStream() jetstream.JetStream { return b.js }

// Conn returns the broker's NATS connection.
func (b *Broker) Conn() *nats.Conn { return b.nc }

// Embedded reports whether the broker runs its own NATS server.
func (b *Broker) Embedded() bool { return b.ns != nil }

// ClientURL is where other NATS clients reach the embedded server ("" when
// it listens in-process only, or when connected to a cluster).
func (b *Broker) ClientURL() string {
	if b.ns == nil || b.cfg.Listen == "" || b.cfg.Listen == ListenOff {
		return ""
	}
	if addr := b.ns.Addr(); addr != nil {
		return "nats://" + addr.String()
	}
	return b.ns.ClientURL()
}

// Close drains the connection (messages published are flushed) and stops
// the embedded server. It is safe to call more than once.
func (b *Broker) Close(ctx context.Context) error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	var err error
	if b.nc != nil && b.nc.IsConnected() {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
		}
		if err = b.nc.FlushWithContext(ctx); errors.Is(err, nats.ErrConnectionClosed) {
			err = nil
		}
	}
	b.shutdown()
	return err
}

func (b *Broker) shutdown() {
	if b.nc != nil {
		b.nc.Close()
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
	if b.tmpDir != "" {
		_ = os.RemoveAll(b.tmpDir)
	}
}

// serverLogger sends the embedded server's log to slog, tagged.
type serverLogger struct{ l *slog.Logger }

func (s serverLogger) Noticef(format string, v ...any) {
	s.l.Debug(fmt.Sprintf(format, v...), "component", "nats")
}
func (s serverLogger) Warnf(format string, v ...any) {
	s.l.Warn(fmt.Sprintf(format, v...), "component", "nats")
}
func (s serverLogger) Fatalf(format string, v ...any) {
	s.l.Error(fmt.Sprintf(format, v...), "component", "nats")
}
func (s serverLogger) Errorf(format string, v ...any) {
	s.l.Error(fmt.Sprintf(format, v...), "component", "nats")
}
func (s serverLogger) Debugf(format string, v ...any) {
	s.l.Debug(fmt.Sprintf(format, v...), "component", "nats")
}
func (s serverLogger) Tracef(format string, v ...any) {
	s.l.Debug(fmt.Sprintf(format, v...), "component", "nats")
}
