package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"
)

// serveConfigOf parses a "flint serve" command line (and the environment)
// into its configuration, without serving.
func serveConfigOf(t *testing.T, args ...string) (serveConfig, error) {
	t.Helper()
	app := newApp(nil, io.Discard, io.Discard)
	var cfg serveConfig
	var err error
	app.Command("serve").Action = func(c *cli.Context) error {
		cfg, err = loadServeConfig(c)
		return nil
	}
	require.NoError(t, app.Run(append([]string{"flint", "serve"}, args...)))
	return cfg, err
}

func TestServeConfig(t *testing.T) {
	unsetenv(t, "FLINT_CONFIG", "FLINT_LISTEN", "FLINT_DATA", "FLINT_ACCESS_KEY", "FLINT_SECRET_KEY", "FLINT_CREDENTIALS_FILE",
		"FLINT_PUBLIC_URL", "FLINT_REGION", "FLINT_MAX_CONCURRENCY", "FLINT_ALLOW_PRIVATE_NETWORKS", "FLINT_SHUTDOWN_GRACE",
		"FLINT_LOG_LEVEL", "FLINT_LOG_FORMAT", "FLINT_ACCESS_LOG", "FLINT_NODE_NAME", "FLINT_CLUSTER_NAME", "FLINT_CLUSTER_LISTEN",
		"FLINT_ROUTES", "FLINT_CLUSTER_SECRET", "FLINT_STORE", "FLINT_REPLICAS", "FLINT_ASYNC_LEASE", "FLINT_NATS",
		"FLINT_SPARE_INSTANCES")

	cfg, err := serveConfigOf(t)
	require.NoError(t, err)
	want := defaultServeConfig()
	want.Store = storeLocal
	assert.Equal(t, want, cfg)
	assert.Equal(t, "127.0.0.1:8080", cfg.Listen)
	assert.Equal(t, ".flint", cfg.Data)
	assert.Equal(t, 30*time.Second, time.Duration(cfg.ShutdownGrace))

	file := writeFile(t, "flint.json", `{
		"listen": "127.0.0.1:9000", "data": "/srv/flint", "accessKey": "AKIAFILE", "secretKey": "file-secret",
		"credentialsFile": "/etc/flint/credentials", "publicURL": "https://fn.example.com", "region": "eu-west-1",
		"maxConcurrency": 50, "allowPrivateNetworks": true, "mounts": ["/srv/data:/data"], "parameters": {"stage": "prod"},
		"shutdownGrace": "45s", "logLevel": "debug", "logFormat": "json", "accessLog": true, "spareInstances": 2}`)
	cfg, err = serveConfigOf(t, "--config", file)
	require.NoError(t, err)
	assert.Equal(t, serveConfig{
		Listen: "127.0.0.1:9000", Data: "/srv/flint", AccessKey: "AKIAFILE", SecretKey: "file-secret",
		CredentialsFile: "/etc/flint/credentials", PublicURL: "https://fn.example.com", Region: "eu-west-1",
		MaxConcurrency: 50, SpareInstances: 2, AllowPrivate: true, Mounts: []string{"/srv/data:/data"}, Parameters: map[string]string{"stage": "prod"},
		ShutdownGrace: duration(45 * time.Second), LogLevel: "debug", LogFormat: "json", AccessLog: true,
		NATSListen: "127.0.0.1:4222", SourceAckMargin: duration(time.Minute), AsyncLease: duration(time.Minute), Store: storeLocal,
	}, cfg)

	t.Run("a NATS cluster from the flag", func(t *testing.T) {
		cfg, err := serveConfigOf(t, "--nats", "nats://a:4222, nats://b:4222", "--nats-user", "u", "--nats-password", "p")
		require.NoError(t, err)
		assert.Equal(t, []string{"nats://a:4222", "nats://b:4222"}, cfg.NATS)
		assert.Equal(t, "u", cfg.NATSUser)
	})
	t.Run("a cluster of embedded servers", func(t *testing.T) {
		cfg, err := serveConfigOf(t, "--node-name", "a", "--cluster-name", "flint", "--cluster-listen", "127.0.0.1:6222",
			"--routes", "nats://127.0.0.1:6222,nats://127.0.0.1:6223, nats://127.0.0.1:6224")
		require.NoError(t, err)
		assert.Equal(t, storeJetStream, cfg.Store, "a cluster shares its state")
		assert.Equal(t, 3, cfg.Replicas)
		assert.Equal(t, []string{"nats://127.0.0.1:6222", "nats://127.0.0.1:6223", "nats://127.0.0.1:6224"}, cfg.Routes)
		cfg, err = serveConfigOf(t, "--cluster-name", "flint", "--cluster-listen", "127.0.0.1:6222", "--routes", "nats://127.0.0.1:6223")
		require.NoError(t, err)
		assert.Equal(t, 2, cfg.Replicas, "no more replicas than servers")
		assert.NotEmpty(t, cfg.NodeName, "the host name")
		cfg, err = serveConfigOf(t, "--nats", "nats://a:4222")
		require.NoError(t, err)
		assert.Equal(t, storeJetStream, cfg.Store, "nodes on an existing NATS share their state")
		assert.Equal(t, 1, cfg.Replicas)
	})
	t.Run("spare instances from the flag and the environment", func(t *testing.T) {
		cfg, err := serveConfigOf(t, "--spare-instances", "4")
		require.NoError(t, err)
		assert.Equal(t, 4, cfg.SpareInstances)
		t.Setenv("FLINT_SPARE_INSTANCES", "64")
		cfg, err = serveConfigOf(t)
		require.NoError(t, err)
		assert.Equal(t, 64, cfg.SpareInstances)
	})
	t.Run("environment beats the file, flags beat both", func(t *testing.T) {
		t.Setenv("FLINT_CONFIG", file)
		t.Setenv("FLINT_LISTEN", "127.0.0.1:9001")
		t.Setenv("FLINT_DATA", "/env/data")
		t.Setenv("FLINT_SHUTDOWN_GRACE", "5s")
		cfg, err := serveConfigOf(t, "--data", "/flag/data")
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1:9001", cfg.Listen)
		assert.Equal(t, "/flag/data", cfg.Data)
		assert.Equal(t, 5*time.Second, time.Duration(cfg.ShutdownGrace))
		assert.Equal(t, "eu-west-1", cfg.Region, "from the file")
	})

	tests := []struct {
		name string
		file string
		args []string
		want string
	}{
		{"unknown field", `{"listen": "x", "lsiten": "y"}`, nil, `unknown field "lsiten"`},
		{"bad duration", `{"shutdownGrace": "soon"}`, nil, `duration "soon"`},
		{"key without secret", `{"accessKey": "AKIA"}`, nil, "--access-key and --secret-key go together"},
		{"bad parameter", `{}`, []string{"--parameter", "novalue"}, `--parameter "novalue": use NAME=VALUE`},
		{"bad log format", `{}`, []string{"--log-format", "xml"}, `--log-format "xml"`},
		{"NATS on every interface", `{}`, []string{"--nats-listen", "0.0.0.0:4222"}, "listens on loopback only"},
		{"a NATS address without a port", `{}`, []string{"--nats-listen", "localhost"}, "use HOST:PORT"},
		{"NATS credentials without a cluster", `{"natsCreds": "/x.creds"}`, nil, "go with --nats"},
		{"a NATS password without a user", `{"nats": ["nats://a:4222"]}`, []string{"--nats-password", "p"}, "goes with --nats-user"},
		{"a cluster without a route address", `{}`, []string{"--cluster-name", "c"}, "needs --cluster-name and --cluster-listen"},
		{"routes without a cluster name", `{}`, []string{"--routes", "nats://a:6222"}, "needs --cluster-name and --cluster-listen"},
		{"routes to the world without a secret", `{}`, []string{"--cluster-name", "c", "--cluster-listen", "0.0.0.0:6222"}, "give --cluster-secret"},
		{"a secret without a cluster", `{}`, []string{"--cluster-secret", "s"}, "goes with --cluster-name"},
		{"both ways at once", `{"nats": ["nats://a:4222"]}`, []string{"--cluster-name", "c", "--cluster-listen", "127.0.0.1:6222"}, "give one or the other"},
		{"a route that is not a NATS URL", `{}`, []string{"--cluster-name", "c", "--cluster-listen", "127.0.0.1:6222", "--routes", "http://a:6222"}, "use nats://HOST:PORT"},
		{"a cluster member in-process only", `{}`, []string{"--cluster-name", "c", "--cluster-listen", "127.0.0.1:6222", "--nats-listen", "off"}, "cannot be off"},
		{"a cluster keeping its state to itself", `{}`, []string{"--cluster-name", "c", "--cluster-listen", "127.0.0.1:6222", "--store", "local"}, "share theirs"},
		{"an unknown store", `{}`, []string{"--store", "s3"}, `--store "s3"`},
		{"too many replicas", `{"nats": ["nats://a:4222"]}`, []string{"--replicas", "7"}, "1 to 5"},
		{"replicas of local state", `{}`, []string{"--replicas", "3"}, "goes with --store jetstream"},
		{"a node name alone", `{}`, []string{"--node-name", "a"}, "names a node of a cluster"},
		{"a bad node name", `{"nats": ["nats://a:4222"]}`, []string{"--node-name", "a b"}, "--node-name"},
		{"a short async lease", `{}`, []string{"--async-lease", "10ms"}, "at least 1s"},
		{"negative spare instances", `{}`, []string{"--spare-instances", "-1"}, "--spare-instances must be 0 to 64"},
		{"a billion spare instances", `{"spareInstances": 1000000000}`, nil, "--spare-instances must be 0 to 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := serveConfigOf(t, append([]string{"--config", writeFile(t, "c.json", tt.file)}, tt.args...)...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestServeRefusesOpenNonLoopback(t *testing.T) {
	unsetenv(t, "FLINT_CONFIG", "FLINT_ACCESS_KEY", "FLINT_SECRET_KEY", "FLINT_CREDENTIALS_FILE", "FLINT_LISTEN")
	code, stdout, stderr := flint(t, "", "serve", "--listen", "0.0.0.0:0", "--data", t.TempDir())
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assertOneLine(t, stderr)
	assert.Contains(t, stderr, "flint serve: refusing to listen on 0.0.0.0:0 without credentials")
}

func TestConsoleURL(t *testing.T) {
	tests := []struct {
		name, public, listen, want string
	}{
		{"the address listened on", "", "127.0.0.1:8080", "http://127.0.0.1:8080/console/"},
		{"the public URL", "https://fn.example.com", "0.0.0.0:8080", "https://fn.example.com/console/"},
		{"a public URL ending in a slash", "https://fn.example.com/", "0.0.0.0:8080", "https://fn.example.com/console/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, consoleURL(tt.public, tt.listen))
		})
	}
}
