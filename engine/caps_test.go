package engine_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The capability tests drive engine/testdata/cap_call.wat, which makes
// exactly the one capability call its payload names and returns the result
// code and the pending result, so each case checks one decision of the
// policy and what the host did about it: the code the guest saw, the
// FLINT line in the invocation's log, the function's denial counter, and
// that a denied call reached nothing (no store operation, no HTTP request,
// no invocation, no file).

// Capability operations of cap_call.wat.
const (
	capNone     = 'n'
	capKVGet    = 'g'
	capKVPut    = 'p'
	capKVDelete = 'd'
	capKVList   = 'l'
	capFetch    = 'f'
	capInvoke   = 'i'
	capRecurse  = 'r'
	capConfig   = 'c'
)

// capPayload encodes a cap_call operation and its fields.
func capPayload(op byte, fields ...string) string {
	b := []byte{op}
	for _, f := range fields {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return string(b)
}

// capLimit encodes kv_list's limit field.
func capLimit(n uint32) string { return string(binary.LittleEndian.AppendUint32(nil, n)) }

// capOut is what cap_call returns: the call's result, result_read's, and
// the pending result.
type capOut struct {
	Result     int32
	PendingLen int32
	Pending    string
}

func capDecodeOut(t testing.TB, b []byte) capOut {
	t.Helper()
	require.GreaterOrEqual(t, len(b), 8, "cap_call writes at least 8 bytes: %q", b)
	return capOut{
		Result:     int32(binary.LittleEndian.Uint32(b)),
		PendingLen: int32(binary.LittleEndian.Uint32(b[4:])),
		Pending:    string(b[8:]),
	}
}

// capCall invokes the cap_call function name with one operation and
// requires it to succeed.
func capCall(t testing.TB, eng *engine.Engine, name string, op byte, fields ...string) (capOut, *engine.Result) {
	t.Helper()
	res := mustSucceed(t, eng, name, capPayload(op, fields...))
	return capDecodeOut(t, res.Payload), res
}

// capErrno is the result a host function returns for code.
func capErrno(code abi.Errno) int32 { return -int32(code) }

// capPolicy returns a policy document made of statements, parsed.
func capPolicy(t testing.TB, statements ...string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(`{"Version": "2026-11-01", "Statement": [` + strings.Join(statements, ",") + `]}`))
	require.NoError(t, err)
	return p
}

// capAllow and capDeny write a statement for one action pattern.
func capAllow(action string, resources ...string) string {
	return capStatement("Allow", action, resources)
}

func capDeny(action string, resources ...string) string {
	return capStatement("Deny", action, resources)
}

func capStatement(effect, action string, resources []string) string {
	b, _ := json.Marshal(map[string]any{"Effect": effect, "Action": action, "Resource": resources})
	return string(b)
}

// capDeploy deploys cap_call as name with the policy p.
func capDeploy(t testing.TB, eng *engine.Engine, name string, p *policy.Policy) {
	t.Helper()
	deploy(t, eng, engine.Function{Name: name, Code: wat(t, "cap_call"), Policy: p, Timeout: 10 * time.Second})
}

// capFlintLines returns the messages of the FLINT lines of res's log,
// requiring each to carry res's request id.
func capFlintLines(t testing.TB, res *engine.Result) []string {
	t.Helper()
	var out []string
	for _, l := range parseLogs(t, res.Logs) {
		if l.Level == "FLINT" {
			assert.Equal(t, res.RequestID, l.RequestID, "FLINT line %q carries the request id", l.Message)
			out = append(out, l.Message)
		}
	}
	return out
}

// capRequireDenial requires res's log to hold exactly the FLINT line want,
// with the request id.
func capRequireDenial(t testing.TB, res *engine.Result, want string) {
	t.Helper()
	assert.Equal(t, []string{want}, capFlintLines(t, res), "the denial is logged once; logs:\n%s", res.Logs)
}

// capDenials returns the denial counter of name's $LATEST, requiring the
// engine's Metrics to agree with its Stats.
func capDenials(t testing.TB, eng *engine.Engine, name string) uint64 {
	t.Helper()
	st := stats(t, eng, name)
	found := false
	for _, fm := range eng.Metrics(context.Background()).Functions {
		if fm.Function != name {
			continue
		}
		for _, vm := range fm.Versions {
			if vm.Version == engine.LatestVersion && !found {
				found = true
				assert.Equal(t, st.Denials, vm.Denials, "Metrics and Stats agree on %s's denials", name)
			}
		}
	}
	assert.True(t, found, "Metrics lists %s", name)
	return st.Denials
}

// capStore is a store that records the operations made on guest key-value
// stores (the engine's buckets named "kv/..."), so a test can tell that a
// denied call never reached the store.
type capStore struct {
	store.Store
	mu  sync.Mutex
	ops []string
}

func newCapStore(t testing.TB) *capStore {
	s := &capStore{Store: store.NewMemory()}
	t.Cleanup(func() { assert.NoError(t, s.Store.Close()) })
	return s
}

func (s *capStore) record(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = append(s.ops, op)
}

// take returns the operations recorded since the last take.
func (s *capStore) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ops := s.ops
	s.ops = nil
	return ops
}

func (s *capStore) Bucket(name string) (store.Bucket, error) {
	b, err := s.Store.Bucket(name)
	if err != nil || !strings.HasPrefix(name, "kv/") {
		return b, err
	}
	s.record("Bucket " + name)
	return &capBucket{Bucket: b, s: s, name: name}, nil
}

type capBucket struct {
	store.Bucket
	s    *capStore
	name string
}

func (b *capBucket) Get(ctx context.Context, key string) ([]byte, error) {
	b.s.record("Get " + b.name + " " + key)
	return b.Bucket.Get(ctx, key)
}

func (b *capBucket) Put(ctx context.Context, key string, value []byte) error {
	b.s.record("Put " + b.name + " " + key)
	return b.Bucket.Put(ctx, key, value)
}

func (b *capBucket) Delete(ctx context.Context, key string) error {
	b.s.record("Delete " + b.name + " " + key)
	return b.Bucket.Delete(ctx, key)
}

func (b *capBucket) List(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	b.s.record("List " + b.name + " " + prefix)
	return b.Bucket.List(ctx, prefix, after, limit)
}

func (b *capBucket) Update(ctx context.Context, key string, fn func([]byte, bool) ([]byte, error)) error {
	b.s.record("Update " + b.name + " " + key)
	return b.Bucket.Update(ctx, key, fn)
}

// capDecodeKeys decodes a kv_list result (abi/SPEC.md) independently of
// the host's encoder.
func capDecodeKeys(t testing.TB, b string) (keys []string, more bool) {
	t.Helper()
	require.GreaterOrEqual(t, len(b), 5)
	n := binary.LittleEndian.Uint32([]byte(b))
	more = b[4] == 1
	b = b[5:]
	for range n {
		require.GreaterOrEqual(t, len(b), 4)
		l := binary.LittleEndian.Uint32([]byte(b))
		require.GreaterOrEqual(t, uint32(len(b)-4), l)
		keys = append(keys, b[4:4+l])
		b = b[4+l:]
	}
	require.Empty(t, b, "nothing after the keys")
	return keys, more
}

func TestCapKV(t *testing.T) {
	// Every case starts from this store content, written through the
	// admin function (policy kv:* on everything).
	seed := map[string]map[string]string{
		"counters": {"a": "1", "ab": "2", "b": "3", "secret": "s", "user-1": "u1", "user-12": "u12"},
		"sessions": {"x": "9"},
	}
	const (
		notFound = -int32(abi.ErrnoNotFound)
		denied   = -int32(abi.ErrnoDenied)
		invalid  = -int32(abi.ErrnoInvalid)
		listed   = 1 << 30 // kv_list succeeded: the result is the pending result's length
	)
	tests := []struct {
		name       string
		statements []string
		nilPolicy  bool
		op         byte
		fields     []string
		want       int32
		pending    string // the pending result (for list: the keys, comma-separated)
		denial     string // the FLINT line of a denied call
		// after is what the keys of counters hold after the call ("" for
		// none); keys not listed must be unchanged.
		after map[string]string
	}{
		{name: "get allowed", statements: []string{capAllow("kv:Get", "kv:counters/*")},
			op: capKVGet, fields: []string{"counters", "a"}, want: 1, pending: "1"},
		{name: "get missing key", statements: []string{capAllow("kv:Get", "kv:counters/*")},
			op: capKVGet, fields: []string{"counters", "nope"}, want: notFound},
		{name: "get with no statement for it", statements: []string{capAllow("kv:Put", "kv:counters/*")},
			op: capKVGet, fields: []string{"counters", "a"}, want: denied,
			denial: "kv:Get on kv:counters/a: denied: no statement allows it"},
		{name: "get with an empty policy", statements: []string{},
			op: capKVGet, fields: []string{"counters", "a"}, want: denied,
			denial: "kv:Get on kv:counters/a: denied: no statement allows it"},
		{name: "get with no policy", nilPolicy: true,
			op: capKVGet, fields: []string{"counters", "a"}, want: denied,
			denial: "kv:Get on kv:counters/a: denied: no statement allows it"},
		{name: "get where a Deny beats an Allow",
			statements: []string{capAllow("kv:*", "kv:counters/*"), capDeny("kv:Get", "kv:counters/secret")},
			op:         capKVGet, fields: []string{"counters", "secret"}, want: denied,
			denial: "kv:Get on kv:counters/secret: denied by Statement[1]"},
		{name: "get next to a Deny of another key",
			statements: []string{capAllow("kv:*", "kv:counters/*"), capDeny("kv:Get", "kv:counters/secret")},
			op:         capKVGet, fields: []string{"counters", "b"}, want: 1, pending: "3"},
		{name: "get next to a Deny of another action",
			statements: []string{capAllow("kv:*", "kv:counters/*"), capDeny("kv:Delete", "kv:counters/*")},
			op:         capKVGet, fields: []string{"counters", "secret"}, want: 1, pending: "s"},
		{name: "get of ab allowed by a*", statements: []string{capAllow("kv:Get", "kv:counters/a*")},
			op: capKVGet, fields: []string{"counters", "ab"}, want: 1, pending: "2"},
		{name: "get of b not allowed by a*", statements: []string{capAllow("kv:Get", "kv:counters/a*")},
			op: capKVGet, fields: []string{"counters", "b"}, want: denied,
			denial: "kv:Get on kv:counters/b: denied: no statement allows it"},
		{name: "get of user-1 allowed by user-?", statements: []string{capAllow("kv:Get", "kv:counters/user-?")},
			op: capKVGet, fields: []string{"counters", "user-1"}, want: 2, pending: "u1"},
		{name: "get of user-12 not allowed by user-?", statements: []string{capAllow("kv:Get", "kv:counters/user-?")},
			op: capKVGet, fields: []string{"counters", "user-12"}, want: denied,
			denial: "kv:Get on kv:counters/user-12: denied: no statement allows it"},
		{name: "get in another store", statements: []string{capAllow("kv:Get", "kv:counters/*")},
			op: capKVGet, fields: []string{"sessions", "x"}, want: denied,
			denial: "kv:Get on kv:sessions/x: denied: no statement allows it"},
		{name: "get from a store name with a slash", statements: []string{capAllow("kv:*", "kv:counters/*")},
			op: capKVGet, fields: []string{"counters/x", "a"}, want: invalid},

		{name: "put allowed", statements: []string{capAllow("kv:Put", "kv:counters/*")},
			op: capKVPut, fields: []string{"counters", "c", "new"}, want: 0,
			after: map[string]string{"c": "new"}},
		{name: "put overwriting", statements: []string{capAllow("kv:Put", "kv:counters/*")},
			op: capKVPut, fields: []string{"counters", "a", "10"}, want: 0,
			after: map[string]string{"a": "10"}},
		{name: "put with no statement for it", statements: []string{capAllow("kv:Get", "kv:counters/*")},
			op: capKVPut, fields: []string{"counters", "c", "new"}, want: denied,
			denial: "kv:Put on kv:counters/c: denied: no statement allows it",
			after:  map[string]string{"c": ""}},
		{name: "put where a Deny beats an Allow",
			statements: []string{capAllow("kv:Put", "kv:counters/*"), capDeny("kv:*", "kv:counters/a")},
			op:         capKVPut, fields: []string{"counters", "a", "pwned"}, want: denied,
			denial: "kv:Put on kv:counters/a: denied by Statement[1]"},
		{name: "put of ab allowed by a*", statements: []string{capAllow("kv:Put", "kv:counters/a*")},
			op: capKVPut, fields: []string{"counters", "ab", "x"}, want: 0,
			after: map[string]string{"ab": "x"}},
		{name: "put of b not allowed by a*", statements: []string{capAllow("kv:Put", "kv:counters/a*")},
			op: capKVPut, fields: []string{"counters", "b", "x"}, want: denied,
			denial: "kv:Put on kv:counters/b: denied: no statement allows it"},
		{name: "put into a store name with a slash", statements: []string{capAllow("kv:*", "kv:counters/*")},
			op: capKVPut, fields: []string{"counters/x", "y", "v"}, want: invalid},

		{name: "delete allowed", statements: []string{capAllow("kv:Delete", "kv:counters/*")},
			op: capKVDelete, fields: []string{"counters", "a"}, want: 0,
			after: map[string]string{"a": ""}},
		{name: "delete of a missing key", statements: []string{capAllow("kv:Delete", "kv:counters/*")},
			op: capKVDelete, fields: []string{"counters", "nope"}, want: 0},
		{name: "delete with no statement for it", statements: []string{capAllow("kv:Get", "kv:counters/*"), capAllow("kv:Put", "kv:counters/*")},
			op: capKVDelete, fields: []string{"counters", "a"}, want: denied,
			denial: "kv:Delete on kv:counters/a: denied: no statement allows it"},
		{name: "delete where a Deny beats an Allow",
			statements: []string{capAllow("kv:*", "kv:*"), capDeny("kv:Delete", "kv:counters/secret")},
			op:         capKVDelete, fields: []string{"counters", "secret"}, want: denied,
			denial: "kv:Delete on kv:counters/secret: denied by Statement[1]"},
		{name: "delete of b not allowed by a*", statements: []string{capAllow("kv:Delete", "kv:counters/a*")},
			op: capKVDelete, fields: []string{"counters", "b"}, want: denied,
			denial: "kv:Delete on kv:counters/b: denied: no statement allows it"},

		{name: "list allowed", statements: []string{capAllow("kv:List", "kv:counters/*")},
			op: capKVList, fields: []string{"counters", "", ""}, want: listed,
			pending: "a,ab,b,secret,user-1,user-12"},
		{name: "list with a prefix, after and a limit", statements: []string{capAllow("kv:List", "kv:counters/*")},
			op: capKVList, fields: []string{"counters", "user-", "user-1", capLimit(1)}, want: listed,
			pending: "user-12"},
		{name: "list with a limit", statements: []string{capAllow("kv:List", "kv:counters/*")},
			op: capKVList, fields: []string{"counters", "user-", "", capLimit(1)}, want: listed,
			pending: "user-1 (more)"},
		{name: "list with the prefix a allowed by a*", statements: []string{capAllow("kv:List", "kv:counters/a*")},
			op: capKVList, fields: []string{"counters", "a", ""}, want: listed, pending: "a,ab"},
		{name: "list of the whole store not allowed by a*", statements: []string{capAllow("kv:List", "kv:counters/a*")},
			op: capKVList, fields: []string{"counters", "", ""}, want: denied,
			denial: "kv:List on kv:counters/: denied: no statement allows it"},
		{name: "list with no statement for it", statements: []string{capAllow("kv:Get", "kv:counters/*")},
			op: capKVList, fields: []string{"counters", "", ""}, want: denied,
			denial: "kv:List on kv:counters/: denied: no statement allows it"},
		{name: "list where a Deny beats an Allow",
			statements: []string{capAllow("kv:List", "kv:counters/*"), capDeny("kv:List", "kv:counters/")},
			op:         capKVList, fields: []string{"counters", "", ""}, want: denied,
			denial: "kv:List on kv:counters/: denied by Statement[1]"},
		{name: "list with limit 0", statements: []string{capAllow("kv:List", "kv:counters/*")},
			op: capKVList, fields: []string{"counters", "", "", capLimit(0)}, want: invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newCapStore(t)
			eng := newEngine(t, engine.Config{Store: st})
			capDeploy(t, eng, "admin", capPolicy(t, capAllow("kv:*", "kv:*")))
			for s, kvs := range seed {
				for k, v := range kvs {
					out, _ := capCall(t, eng, "admin", capKVPut, s, k, v)
					require.Equal(t, int32(0), out.Result)
				}
			}
			var p *policy.Policy
			if !tt.nilPolicy {
				p = capPolicy(t, tt.statements...)
			}
			capDeploy(t, eng, "fn", p)
			st.take()

			out, res := capCall(t, eng, "fn", tt.op, tt.fields...)
			ops := st.take()

			if tt.want == listed {
				assert.Equal(t, int32(len(out.Pending)), out.Result, "kv_list returns the pending result's length")
			} else {
				assert.Equal(t, tt.want, out.Result, "result")
			}
			if tt.want == listed {
				keys, more := capDecodeKeys(t, out.Pending)
				got := strings.Join(keys, ",")
				if more {
					got += " (more)"
				}
				assert.Equal(t, tt.pending, got)
				assert.Equal(t, out.Result, out.PendingLen)
			} else {
				assert.Equal(t, tt.pending, out.Pending, "pending result")
			}
			if tt.denial != "" {
				capRequireDenial(t, res, tt.denial)
				assert.Equal(t, uint64(1), capDenials(t, eng, "fn"), "the denial is counted")
				assert.Empty(t, ops, "a denied call does not reach the store")
				assert.Empty(t, out.Pending, "a denied call leaves no pending result")
			} else {
				assert.Empty(t, capFlintLines(t, res))
				assert.Zero(t, capDenials(t, eng, "fn"))
				if tt.want == invalid {
					assert.Empty(t, ops, "an invalid call does not reach the store")
				} else {
					assert.NotEmpty(t, ops, "an allowed call reaches the store")
				}
			}

			// The store holds what it should: the seed, changed only as
			// the case says.
			want := map[string]string{}
			for k, v := range seed["counters"] {
				want[k] = v
			}
			for k, v := range tt.after {
				want[k] = v
			}
			for k, v := range want {
				got, _ := capCall(t, eng, "admin", capKVGet, "counters", k)
				if v == "" {
					assert.Equal(t, notFound, got.Result, "counters/%s is absent", k)
					continue
				}
				assert.Equal(t, v, got.Pending, "counters/%s", k)
			}
			got, _ := capCall(t, eng, "admin", capKVGet, "sessions", "x")
			assert.Equal(t, "9", got.Pending, "sessions/x is unchanged")
		})
	}
}

// TestCapKVCounter runs the kvcounter example end to end: where its
// policy allows it counts, and where it does not it fails with a handled
// "Denied" error and writes nothing.
func TestCapKVCounter(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	capDeploy(t, eng, "admin", capPolicy(t, capAllow("kv:*", "kv:*")))
	deploy(t, eng, engine.Function{Name: "counter", Code: testguest.Go(t, "kvcounter"), Policy: capPolicy(t,
		capAllow("kv:Get", "kv:counters/*"), capAllow("kv:Put", "kv:counters/*"),
		capDeny("kv:Put", "kv:counters/frozen*"),
		capDeny("kv:*", "kv:counters/hits"))})

	for want := 1; want <= 3; want++ {
		res := mustSucceed(t, eng, "counter", `{"key":"x"}`)
		assert.JSONEq(t, fmt.Sprintf(`{"key":"x","count":%d}`, want), string(res.Payload))
	}
	out, _ := capCall(t, eng, "admin", capKVGet, "counters", "x")
	assert.Equal(t, "3", out.Pending, "the count is stored as text")

	tests := []struct {
		name, payload   string
		message, denial string
	}{
		{"put denied", `{"key":"frozen"}`,
			"flint: kv:Put on kv:counters/frozen denied by the function's execution policy",
			"kv:Put on kv:counters/frozen: denied by Statement[2]"},
		{"get denied", `{}`,
			"flint: kv:Get on kv:counters/hits denied by the function's execution policy",
			"kv:Get on kv:counters/hits: denied by Statement[3]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := capDenials(t, eng, "counter")
			res := invoke(t, eng, "counter", tt.payload)
			require.NotNil(t, res.FunctionError)
			assert.Equal(t, "Denied", res.FunctionError.Type)
			assert.Equal(t, tt.message, res.FunctionError.Message)
			assert.False(t, res.FunctionError.Unhandled)
			capRequireDenial(t, res, tt.denial)
			assert.Equal(t, before+1, capDenials(t, eng, "counter"))
		})
	}
	for _, key := range []string{"frozen", "hits"} {
		out, _ = capCall(t, eng, "admin", capKVGet, "counters", key)
		assert.Equal(t, capErrno(abi.ErrnoNotFound), out.Result, "counters/%s was not written", key)
	}
	out, _ = capCall(t, eng, "admin", capKVGet, "counters", "x")
	assert.Equal(t, "3", out.Pending)
}

// capServer is an HTTP server on loopback that counts the requests it gets.
type capServer struct {
	*httptest.Server
	hits atomic.Int64
}

// newCapServer starts a server answering with h, closed when the test ends.
func newCapServer(t testing.TB, h http.HandlerFunc) *capServer {
	t.Helper()
	s := &capServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// capFetchRequest is the http_fetch request message of a GET of url.
func capFetchRequest(url string) string { return "GET " + url + " HTTP/1.1\r\n\r\n" }

// capResponse parses the pending result of a successful http_fetch.
func capResponse(t testing.TB, out capOut) (status int, body string) {
	t.Helper()
	require.GreaterOrEqual(t, out.Result, int32(0), "http_fetch succeeded")
	require.Equal(t, out.Result, out.PendingLen)
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(out.Pending)), nil)
	require.NoError(t, err)
	var sb strings.Builder
	_, err = bufio.NewReader(resp.Body).WriteTo(&sb)
	require.NoError(t, err)
	return resp.StatusCode, sb.String()
}

// TestCapFetchPolicy checks http:Fetch decisions on URLs of a test server
// the engine may reach (private networks allowed, the host named
// literally by every policy).
func TestCapFetchPolicy(t *testing.T) {
	srv := newCapServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello "+r.URL.Path) })
	base := srv.URL // http://127.0.0.1:PORT
	denied := capErrno(abi.ErrnoDenied)
	tests := []struct {
		name       string
		statements []string
		path       string
		want       int32 // 0: success
		denial     string
	}{
		{name: "allowed", statements: []string{capAllow("http:Fetch", base+"/*")}, path: "/x"},
		{name: "no statement for it", statements: []string{capAllow("kv:Get", "kv:x/*")}, path: "/x", want: denied,
			denial: "http:Fetch on " + base + "/x: denied: no statement allows it"},
		{name: "a Deny beats an Allow", statements: []string{capAllow("http:Fetch", base+"/*"), capDeny("http:Fetch", base+"/secret*")},
			path: "/secret/key", want: denied, denial: "http:Fetch on " + base + "/secret/key: denied by Statement[1]"},
		{name: "next to a Deny of another path", statements: []string{capAllow("http:Fetch", base+"/*"), capDeny("http:Fetch", base+"/secret*")},
			path: "/public"},
		{name: "path wildcard matches", statements: []string{capAllow("http:Fetch", base+"/pub/*")}, path: "/pub/a/b"},
		{name: "path wildcard does not match another path", statements: []string{capAllow("http:Fetch", base+"/pub/*")},
			path: "/private", want: denied, denial: "http:Fetch on " + base + "/private: denied: no statement allows it"},
		{name: "root only", statements: []string{capAllow("http:Fetch", base+"/")}, path: "/x", want: denied,
			denial: "http:Fetch on " + base + "/x: denied: no statement allows it"},
		{name: "the scheme is part of the pattern", statements: []string{capAllow("http:Fetch", strings.Replace(base, "http:", "https:", 1)+"/*")},
			path: "/x", want: denied, denial: "http:Fetch on " + base + "/x: denied: no statement allows it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, engine.Config{AllowPrivateNetworks: true})
			capDeploy(t, eng, "fn", capPolicy(t, tt.statements...))
			before := srv.hits.Load()
			out, res := capCall(t, eng, "fn", capFetch, capFetchRequest(base+tt.path))
			if tt.want != 0 {
				assert.Equal(t, tt.want, out.Result)
				assert.Empty(t, out.Pending)
				assert.Equal(t, before, srv.hits.Load(), "no request reached the server")
				capRequireDenial(t, res, tt.denial)
				assert.Equal(t, uint64(1), capDenials(t, eng, "fn"))
				return
			}
			status, body := capResponse(t, out)
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, "hello "+tt.path, body)
			assert.Equal(t, before+1, srv.hits.Load())
			assert.Empty(t, capFlintLines(t, res))
			assert.Zero(t, capDenials(t, eng, "fn"))
		})
	}
}

// TestCapFetchSSRF checks that loopback and other private addresses are
// reached only when the engine allows private networks and the policy
// names the host literally, that redirects are checked again, and the
// response size and time limits.
func TestCapFetchSSRF(t *testing.T) {
	target := newCapServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "internal") })
	u := target.URL + "/x"
	denied := capErrno(abi.ErrnoDenied)
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	tests := []struct {
		name         string
		allowPrivate bool
		blocked      []netip.Prefix
		resources    []string
		want         int32 // 0: success
		denial       string
	}{
		{name: "private networks not allowed, host named literally", resources: []string{target.URL + "/*"},
			want: denied, denial: "http:Fetch on " + u + ": refused by the private-address guard: 127.0.0.1 is a loopback address"},
		{name: "private networks allowed, host named literally", allowPrivate: true, resources: []string{target.URL + "/*"}},
		{name: "private networks allowed, port through a wildcard", allowPrivate: true, resources: []string{"http://127.0.0.1:*/*"},
			want: denied, denial: "http:Fetch on " + u + ": refused by the private-address guard: 127.0.0.1 is a loopback address"},
		{name: "private networks allowed, host through a wildcard", allowPrivate: true, resources: []string{"http://*/*"},
			want: denied, denial: "http:Fetch on " + u + ": refused by the private-address guard: 127.0.0.1 is a loopback address"},
		{name: "private networks allowed, another port named literally", allowPrivate: true,
			resources: []string{"http://127.0.0.1:1/*", "http://127.0.0.1:*/*"},
			want:      denied, denial: "http:Fetch on " + u + ": refused by the private-address guard: 127.0.0.1 is a loopback address"},
		{name: "private networks allowed, blocked range", allowPrivate: true, blocked: []netip.Prefix{loopback},
			resources: []string{target.URL + "/*"},
			want:      denied, denial: "http:Fetch on " + u + ": refused by the private-address guard: 127.0.0.1 is in the blocked range 127.0.0.0/8"},
		{name: "blocked range, private networks not allowed", blocked: []netip.Prefix{loopback},
			resources: []string{target.URL + "/*"},
			want:      denied, denial: "http:Fetch on " + u + ": refused by the private-address guard: 127.0.0.1 is in the blocked range 127.0.0.0/8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, engine.Config{AllowPrivateNetworks: tt.allowPrivate, BlockedNetworks: tt.blocked})
			capDeploy(t, eng, "fn", capPolicy(t, capAllow("http:Fetch", tt.resources...)))
			before := target.hits.Load()
			out, res := capCall(t, eng, "fn", capFetch, capFetchRequest(u))
			if tt.want == 0 {
				status, body := capResponse(t, out)
				assert.Equal(t, http.StatusOK, status)
				assert.Equal(t, "internal", body)
				assert.Equal(t, before+1, target.hits.Load())
				assert.Zero(t, capDenials(t, eng, "fn"))
				return
			}
			assert.Equal(t, tt.want, out.Result)
			assert.Equal(t, before, target.hits.Load(), "the server never sees a request")
			lines := capFlintLines(t, res)
			require.Len(t, lines, 1, "one FLINT line; logs:\n%s", res.Logs)
			assert.True(t, strings.HasPrefix(lines[0], tt.denial), "%q starts with %q", lines[0], tt.denial)
			assert.Equal(t, uint64(1), capDenials(t, eng, "fn"))
		})
	}

	t.Run("redirects", func(t *testing.T) {
		second := newCapServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "second") })
		first := newCapServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, second.URL+"/y", http.StatusFound)
		})
		tests := []struct {
			name      string
			resources []string
			wantBody  string // "" for denied
		}{
			{"to a URL the policy allows", []string{first.URL + "/*", second.URL + "/*"}, "second"},
			{"to a URL the policy does not allow", []string{first.URL + "/*"}, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				eng := newEngine(t, engine.Config{AllowPrivateNetworks: true})
				capDeploy(t, eng, "fn", capPolicy(t, capAllow("http:Fetch", tt.resources...)))
				firstBefore, secondBefore := first.hits.Load(), second.hits.Load()
				out, res := capCall(t, eng, "fn", capFetch, capFetchRequest(first.URL+"/r"))
				assert.Equal(t, firstBefore+1, first.hits.Load())
				if tt.wantBody != "" {
					status, body := capResponse(t, out)
					assert.Equal(t, http.StatusOK, status)
					assert.Equal(t, tt.wantBody, body)
					assert.Equal(t, secondBefore+1, second.hits.Load())
					return
				}
				assert.Equal(t, denied, out.Result)
				assert.Equal(t, second.URL+"/y", out.Pending, "the pending result names the refused URL")
				assert.Equal(t, secondBefore, second.hits.Load(), "the second server is never contacted")
				capRequireDenial(t, res, "http:Fetch on "+second.URL+"/y: denied: no statement allows it")
				assert.Equal(t, uint64(1), capDenials(t, eng, "fn"))
			})
		}
	})

	t.Run("response size limit", func(t *testing.T) {
		const limit = 1024
		srv := newCapServer(t, func(w http.ResponseWriter, r *http.Request) {
			n := limit
			if r.URL.Path == "/over" {
				n++
			}
			_, _ = w.Write([]byte(strings.Repeat("x", n)))
		})
		eng := newEngine(t, engine.Config{AllowPrivateNetworks: true, MaxFetchBytes: limit})
		capDeploy(t, eng, "fn", capPolicy(t, capAllow("http:Fetch", srv.URL+"/*")))

		out, _ := capCall(t, eng, "fn", capFetch, capFetchRequest(srv.URL+"/at"))
		_, body := capResponse(t, out)
		assert.Len(t, body, limit, "a body at the limit is returned")

		out, _ = capCall(t, eng, "fn", capFetch, capFetchRequest(srv.URL+"/over"))
		assert.Equal(t, capErrno(abi.ErrnoTooLarge), out.Result)
		assert.Empty(t, out.Pending)
	})

	t.Run("invocation timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := newCapServer(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		t.Cleanup(func() { close(release) }) // runs before the server's Close
		eng := newEngine(t, engine.Config{AllowPrivateNetworks: true})
		const timeout = 500 * time.Millisecond
		deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "cap_call"), Timeout: timeout,
			Policy: capPolicy(t, capAllow("http:Fetch", srv.URL+"/*"))})
		provision(t, eng, "fn", engine.LatestVersion, 1)
		start := time.Now()
		res := invoke(t, eng, "fn", capPayload(capFetch, capFetchRequest(srv.URL+"/slow")))
		elapsed := time.Since(start)
		require.NotNil(t, res.FunctionError)
		assert.Equal(t, engine.ErrorTypeTimeout, res.FunctionError.Type)
		assert.Less(t, elapsed, timeout+2*time.Second, "the fetch ends with the invocation")
		assert.Equal(t, int64(1), srv.hits.Load())
		mustSucceed(t, eng, "fn", capPayload(capNone))
	})
}

// TestCapFetcher runs the fetcher example, which fetches with net/http
// through the host. (One deployment: preparing a 10 MB Go guest takes
// seconds under -race.)
func TestCapFetcher(t *testing.T) {
	second := newCapServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "second") })
	other := newCapServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "other") })
	srv := newCapServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, second.URL+"/", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprint(w, "short and stout")
	})
	eng := newEngine(t, engine.Config{AllowPrivateNetworks: true})
	deploy(t, eng, engine.Function{Name: "fetcher", Code: testguest.Go(t, "fetcher"), Policy: capPolicy(t,
		capAllow("http:Fetch", srv.URL+"/*", "http://127.0.0.1:*/*"),
		capDeny("http:Fetch", second.URL+"/*"))})
	tests := []struct {
		name, url          string
		want               string // the response, or the error type
		errMessage, denial string
		hits               int64 // requests that reach srv
	}{
		{name: "allowed", url: srv.URL + "/tea", want: `{"status":418,"body":"short and stout"}`, hits: 1},
		{name: "redirect refused", url: srv.URL + "/redirect", want: "Denied",
			errMessage: "flint: http:Fetch on " + srv.URL + "/redirect denied by the function's execution policy",
			denial:     "http:Fetch on " + second.URL + "/: denied by Statement[1]", hits: 1},
		{name: "loopback named through a wildcard", url: other.URL + "/", want: "Denied",
			errMessage: "flint: http:Fetch on " + other.URL + "/ refused by the host's private-address guard (not the execution policy): 127.0.0.1 is a loopback address; non-public addresses are refused unless the host is approved for private networks (the engine must allow private targets and the function's policy must name this host literally)",
			denial:     "http:Fetch on " + other.URL + "/: refused by the private-address guard: 127.0.0.1 is a loopback address; non-public addresses are refused unless the host is approved for private networks (the engine must allow private targets and the function's policy must name this host literally)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, denials := srv.hits.Load(), capDenials(t, eng, "fetcher")
			res := invoke(t, eng, "fetcher", `{"url":"`+tt.url+`"}`)
			assert.Equal(t, before+tt.hits, srv.hits.Load())
			assert.Zero(t, second.hits.Load()+other.hits.Load(), "no request reached a refused server")
			if tt.errMessage == "" {
				require.Nil(t, res.FunctionError, "logs:\n%s", res.Logs)
				assert.JSONEq(t, tt.want, string(res.Payload))
				return
			}
			require.NotNil(t, res.FunctionError)
			assert.Equal(t, tt.want, res.FunctionError.Type)
			assert.Equal(t, tt.errMessage, res.FunctionError.Message)
			capRequireDenial(t, res, tt.denial)
			assert.Equal(t, denials+1, capDenials(t, eng, "fetcher"))
		})
	}
}

func TestCapInvoke(t *testing.T) {
	const (
		denied   = -int32(abi.ErrnoDenied)
		notFound = -int32(abi.ErrnoNotFound)
		function = -int32(abi.ErrnoFunction)
		invalid  = -int32(abi.ErrnoInvalid)
	)
	tests := []struct {
		name       string
		statements []string
		target     string
		payload    string
		want       int32  // result; >= 0: the response's length
		pending    string // the response, or the callee's error
		denial     string
		ran        string // the callee's Stats target when it ran ("" when it must not)
	}{
		{name: "allowed", statements: []string{capAllow("fn:Invoke", "fn:echo")},
			target: "echo", payload: "ping", want: 4, pending: "ping", ran: "echo"},
		{name: "no statement for it", statements: []string{capAllow("fn:Invoke", "fn:other")},
			target: "echo", payload: "ping", want: denied, denial: "fn:Invoke on fn:echo: denied: no statement allows it"},
		{name: "a Deny beats an Allow", statements: []string{capAllow("fn:Invoke", "*"), capDeny("fn:Invoke", "fn:echo")},
			target: "echo", payload: "ping", want: denied, denial: "fn:Invoke on fn:echo: denied by Statement[1]"},
		{name: "fn:echo does not allow a version", statements: []string{capAllow("fn:Invoke", "fn:echo")},
			target: "echo:1", payload: "ping", want: denied, denial: "fn:Invoke on fn:echo:1: denied: no statement allows it"},
		{name: "fn:echo:* allows a version", statements: []string{capAllow("fn:Invoke", "fn:echo:*")},
			target: "echo:1", payload: "ping", want: 4, pending: "ping", ran: "echo:1"},
		{name: "fn:echo:* does not allow the unqualified name", statements: []string{capAllow("fn:Invoke", "fn:echo:*")},
			target: "echo", payload: "ping", want: denied, denial: "fn:Invoke on fn:echo: denied: no statement allows it"},
		{name: "fn:ec* allows echo", statements: []string{capAllow("fn:Invoke", "fn:ec*")},
			target: "echo", payload: "ping", want: 4, pending: "ping", ran: "echo"},
		{name: "fn:ec* does not allow fail", statements: []string{capAllow("fn:Invoke", "fn:ec*")},
			target: "fail", want: denied, denial: "fn:Invoke on fn:fail: denied: no statement allows it"},
		{name: "missing function", statements: []string{capAllow("fn:Invoke", "*")},
			target: "nope", want: notFound},
		{name: "missing version", statements: []string{capAllow("fn:Invoke", "*")},
			target: "echo:7", want: notFound},
		{name: "empty name", statements: []string{capAllow("fn:Invoke", "*")},
			target: "", want: invalid},
		{name: "handled error of the callee", statements: []string{capAllow("fn:Invoke", "fn:fail")},
			target: "fail", want: function, pending: `{"errorType":"ValidationError","errorMessage":"bad input"}`, ran: "fail"},
		{name: "trap of the callee", statements: []string{capAllow("fn:Invoke", "fn:fail")},
			target: "fail", payload: "x", want: function,
			pending: `{"errorType":"Runtime.Trap","errorMessage":"wasm error: unreachable"}`, ran: "fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, engine.Config{})
			deploy(t, eng, engine.Function{Name: "echo", Code: testguest.WATEcho(t)})
			_, err := eng.PublishVersion(context.Background(), "echo", "")
			require.NoError(t, err)
			deploy(t, eng, engine.Function{Name: "fail", Code: wat(t, "cap_fail")})
			capDeploy(t, eng, "fn", capPolicy(t, tt.statements...))
			callees := []string{"echo", "echo:1", "fail"}
			before := map[string]uint64{}
			for _, c := range callees {
				before[c] = stats(t, eng, c).Invocations
			}

			out, res := capCall(t, eng, "fn", capInvoke, tt.target, tt.payload)
			assert.Equal(t, tt.want, out.Result)
			if tt.want == function {
				assert.JSONEq(t, tt.pending, out.Pending)
			} else {
				assert.Equal(t, tt.pending, out.Pending)
			}
			for _, c := range callees {
				want := before[c]
				if c == tt.ran {
					want++
				}
				assert.Equal(t, want, stats(t, eng, c).Invocations, "invocations of %s", c)
			}
			if tt.denial != "" {
				capRequireDenial(t, res, tt.denial)
				assert.Equal(t, uint64(1), capDenials(t, eng, "fn"))
			} else {
				assert.Zero(t, capDenials(t, eng, "fn"))
			}
		})
	}
}

// TestCapInvokeDepth has a function invoke itself: the chain stops at the
// engine's MaxInvokeDepth with LIMIT, exactly that deep.
func TestCapInvokeDepth(t *testing.T) {
	const depth = 4
	t.Run("wat", func(t *testing.T) {
		eng := newEngine(t, engine.Config{MaxInvokeDepth: depth})
		capDeploy(t, eng, "rec", capPolicy(t, capAllow("fn:Invoke", "fn:rec")))
		res := mustSucceed(t, eng, "rec", capPayload(capRecurse, "rec"))

		// Each level's response holds the next level's.
		out := capDecodeOut(t, res.Payload)
		levels := 0
		for out.Result >= 0 {
			require.Equal(t, out.Result, out.PendingLen)
			levels++
			require.LessOrEqual(t, levels, depth, "the chain is no deeper than MaxInvokeDepth")
			out = capDecodeOut(t, []byte(out.Pending))
		}
		assert.Equal(t, depth, levels, "every level down to MaxInvokeDepth ran")
		assert.Equal(t, capErrno(abi.ErrnoLimit), out.Result, "the deepest call is refused with LIMIT")
		assert.Equal(t, uint64(depth+1), stats(t, eng, "rec").Invocations, "the first call and %d nested ones", depth)
	})
	t.Run("fanout", func(t *testing.T) {
		eng := newEngine(t, engine.Config{MaxInvokeDepth: depth})
		deploy(t, eng, engine.Function{Name: "fanout", Code: testguest.Go(t, "fanout"),
			Env:    map[string]string{"FANOUT_TARGETS": "fanout"},
			Policy: capPolicy(t, capAllow("fn:Invoke", "fn:fanout"))})
		res := mustSucceed(t, eng, "fanout", "")
		var v any
		require.NoError(t, json.Unmarshal(res.Payload, &v))
		levels := 0
		for {
			m, ok := v.(map[string]any)
			require.True(t, ok, "an object: %v", v)
			if results, ok := m["results"].(map[string]any); ok {
				levels++
				v = results["fanout"]
				continue
			}
			e, ok := m["error"].(map[string]any)
			require.True(t, ok, "the deepest result is an error: %v", m)
			assert.Equal(t, "Limit", e["type"])
			break
		}
		assert.Equal(t, depth+1, levels, "one results object per level that ran")
		assert.Equal(t, uint64(depth+1), stats(t, eng, "fanout").Invocations)
	})
}

// TestCapInvokeTimeout checks that a callee runs no longer than its
// caller has left.
func TestCapInvokeTimeout(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "loop", Code: wat(t, "loop"), Timeout: time.Minute})
	provision(t, eng, "loop", engine.LatestVersion, 1)
	const timeout = 300 * time.Millisecond
	deploy(t, eng, engine.Function{Name: "fn", Code: wat(t, "cap_call"), Timeout: timeout,
		Policy: capPolicy(t, capAllow("fn:Invoke", "fn:loop"))})
	provision(t, eng, "fn", engine.LatestVersion, 1)
	start := time.Now()
	res := invoke(t, eng, "fn", capPayload(capInvoke, "loop", ""))
	elapsed := time.Since(start)
	require.NotNil(t, res.FunctionError)
	assert.Equal(t, engine.ErrorTypeTimeout, res.FunctionError.Type, "the caller times out")
	assert.Less(t, elapsed, timeout+2*time.Second, "the callee did not run its own minute")
	st := stats(t, eng, "loop")
	assert.Equal(t, uint64(1), st.Invocations)
	assert.Equal(t, uint64(1), st.Timeouts, "the callee was stopped at the caller's deadline")
}

func TestCapConfig(t *testing.T) {
	params := map[string]string{"db-url": "postgres://db/app", "api.key": "k3y", "feature/x": "on"}
	tests := []struct {
		name       string
		statements []string
		config     string
		want       int32
		pending    string
		denial     string
	}{
		{name: "allowed", statements: []string{capAllow("config:Get", "config:db-url")},
			config: "db-url", want: 17, pending: "postgres://db/app"},
		{name: "allowed with a slash", statements: []string{capAllow("config:Get", "config:feature/*")},
			config: "feature/x", want: 2, pending: "on"},
		{name: "missing", statements: []string{capAllow("config:Get", "*")},
			config: "nope", want: capErrno(abi.ErrnoNotFound)},
		{name: "no statement for it", statements: []string{capAllow("config:Get", "config:api.key")},
			config: "db-url", want: capErrno(abi.ErrnoDenied), denial: "config:Get on config:db-url: denied: no statement allows it"},
		{name: "a Deny beats an Allow", statements: []string{capAllow("config:Get", "config:*"), capDeny("config:Get", "config:db-url")},
			config: "db-url", want: capErrno(abi.ErrnoDenied), denial: "config:Get on config:db-url: denied by Statement[1]"},
		{name: "db-* allows db-url", statements: []string{capAllow("config:Get", "config:db-*")},
			config: "db-url", want: 17, pending: "postgres://db/app"},
		{name: "db-* does not allow api.key", statements: []string{capAllow("config:Get", "config:db-*")},
			config: "api.key", want: capErrno(abi.ErrnoDenied), denial: "config:Get on config:api.key: denied: no statement allows it"},
		{name: "denied even when missing", statements: []string{capAllow("config:Get", "config:db-*")},
			config: "nope", want: capErrno(abi.ErrnoDenied), denial: "config:Get on config:nope: denied: no statement allows it"},
		{name: "empty name", statements: []string{capAllow("config:Get", "*")},
			config: "", want: capErrno(abi.ErrnoInvalid)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newEngine(t, engine.Config{Parameters: params})
			capDeploy(t, eng, "fn", capPolicy(t, tt.statements...))
			out, res := capCall(t, eng, "fn", capConfig, tt.config)
			assert.Equal(t, tt.want, out.Result)
			assert.Equal(t, tt.pending, out.Pending)
			if tt.denial != "" {
				capRequireDenial(t, res, tt.denial)
				assert.Equal(t, uint64(1), capDenials(t, eng, "fn"))
			} else {
				assert.Empty(t, capFlintLines(t, res))
				assert.Zero(t, capDenials(t, eng, "fn"))
			}
		})
	}
}

// capTree lists the files under dir (relative, with their content), links
// as "-> target".
func capTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "-> " + target
			return err
		case fi.IsDir():
			if rel != "." {
				out[rel+"/"] = ""
			}
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	}))
	return out
}

// TestCapFiles exposes a mount to the fsfunc test function with a policy
// that grants reading one directory and writing another.
func TestCapFiles(t *testing.T) {
	code := testguest.Go(t, "engine/testdata/fsfunc")
	dir := t.TempDir()
	mount, outside := filepath.Join(dir, "mount"), filepath.Join(dir, "outside")
	for _, d := range []string{"public/sub", "private", "out"} {
		require.NoError(t, os.MkdirAll(filepath.Join(mount, d), 0o755))
	}
	require.NoError(t, os.Mkdir(outside, 0o755))
	write := func(p, content string) { require.NoError(t, os.WriteFile(p, []byte(content), 0o644)) }
	write(filepath.Join(mount, "public", "hello.txt"), "hi")
	write(filepath.Join(mount, "public", "sub", "a.txt"), "a")
	write(filepath.Join(mount, "private", "secret.txt"), "s3cret")
	write(filepath.Join(outside, "passwd"), "root:x:0:0")
	require.NoError(t, os.Symlink("../../outside/passwd", filepath.Join(mount, "public", "escape")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "passwd"), filepath.Join(mount, "public", "absolute")))
	require.NoError(t, os.Symlink("../private/secret.txt", filepath.Join(mount, "public", "lend")))

	eng := newEngine(t, engine.Config{Mounts: []engine.Mount{{HostDir: mount, GuestPath: "/data"}}})
	deploy(t, eng, engine.Function{Name: "fs", Code: code, Policy: capPolicy(t,
		capAllow("fs:Read", "fs:/data/public/*"), capAllow("fs:Write", "fs:/data/out/*"))})
	initial := capTree(t, mount)

	tests := []struct {
		name, op, path, data string
		want                 string // the response, or the error type
		denial               string
		created              map[string]string // files the operation adds to the mount
	}{
		{name: "read public", op: "read", path: "/data/public/hello.txt", want: `{"data":"hi"}`},
		{name: "list under public", op: "list", path: "/data/public/sub", want: `{"names":["a.txt"]}`},
		// fs:/data/public/* does not match the directory itself (POLICY.md).
		{name: "list public", op: "list", path: "/data/public", want: "EACCES",
			denial: "fs:Read on fs:/data/public: denied: no statement allows it"},
		{name: "read private", op: "read", path: "/data/private/secret.txt", want: "EACCES",
			denial: "fs:Read on fs:/data/private/secret.txt: denied: no statement allows it"},
		{name: "list private", op: "list", path: "/data/private", want: "EACCES",
			denial: "fs:Read on fs:/data/private: denied: no statement allows it"},
		{name: "write out", op: "write", path: "/data/out/report.txt", data: "42", want: `{}`,
			created: map[string]string{"out/report.txt": "42"}},
		{name: "write public", op: "write", path: "/data/public/new.txt", data: "x", want: "EACCES",
			denial: "fs:Write on fs:/data/public/new.txt: denied: no statement allows it"},
		{name: "overwrite public", op: "write", path: "/data/public/hello.txt", data: "x", want: "EACCES",
			denial: "fs:Write on fs:/data/public/hello.txt: denied: no statement allows it"},
		{name: "write private", op: "write", path: "/data/private/secret.txt", data: "x", want: "EACCES",
			denial: "fs:Write on fs:/data/private/secret.txt: denied: no statement allows it"},
		{name: "read out", op: "read", path: "/data/out/report.txt", want: "EACCES",
			denial: "fs:Read on fs:/data/out/report.txt: denied: no statement allows it"},
		{name: "dot-dot out of the mount", op: "openat", path: "../outside/passwd", want: "EPERM"},
		{name: "dot-dot through public out of the mount", op: "openat", path: "public/../../outside/passwd", want: "EPERM"},
		{name: "dot-dot into private", op: "openat", path: "public/../private/secret.txt", want: "EACCES",
			denial: "fs:Read on fs:/data/private/secret.txt: denied: no statement allows it"},
		{name: "relative link out of the mount", op: "read", path: "/data/public/escape", want: "EPERM"},
		{name: "absolute link out of the mount", op: "read", path: "/data/public/absolute", want: "EPERM"},
		{name: "link into private", op: "read", path: "/data/public/lend", want: "EACCES",
			denial: "fs:Read on fs:/data/private/secret.txt: denied: no statement allows it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := json.Marshal(map[string]string{"op": tt.op, "path": tt.path, "data": tt.data})
			require.NoError(t, err)
			before := capDenials(t, eng, "fs")
			treeBefore := capTree(t, mount)
			res := invoke(t, eng, "fs", string(ev))
			if strings.HasPrefix(tt.want, "{") {
				require.Nil(t, res.FunctionError, "logs:\n%s", res.Logs)
				assert.JSONEq(t, tt.want, string(res.Payload))
			} else {
				require.NotNil(t, res.FunctionError, "response: %s", res.Payload)
				assert.Equal(t, tt.want, res.FunctionError.Type, "message: %s", res.FunctionError.Message)
			}
			if tt.denial != "" {
				capRequireDenial(t, res, tt.denial)
				assert.Equal(t, before+1, capDenials(t, eng, "fs"))
			} else {
				assert.Empty(t, capFlintLines(t, res))
				assert.Equal(t, before, capDenials(t, eng, "fs"))
			}
			want := treeBefore
			for k, v := range tt.created {
				want[k] = v
			}
			assert.Equal(t, want, capTree(t, mount), "the mount changed only as the case says")
		})
	}
	final := capTree(t, mount)
	delete(final, "out/report.txt")
	assert.Equal(t, initial, final)
	assert.Equal(t, map[string]string{"passwd": "root:x:0:0"}, capTree(t, outside))
}

// TestCapHostile runs the hostile example with an empty policy on an
// engine that has a mount, parameters and other functions: every attempt
// is denied or fails, nothing is touched, and the engine stays healthy.
func TestCapHostile(t *testing.T) {
	code := testguest.Go(t, "hostile")
	mount := t.TempDir()
	const secret = "the-secret-file-content"
	require.NoError(t, os.WriteFile(filepath.Join(mount, "secret.txt"), []byte(secret), 0o600))
	st := newCapStore(t)
	var appCalls atomic.Int32
	eng := newEngine(t, engine.Config{
		Store:      st,
		Mounts:     []engine.Mount{{HostDir: mount, GuestPath: "/data"}},
		Parameters: map[string]string{"db-password": "hunter2"},
		HostCapabilities: []engine.HostCapability{{Name: "orders.Get", Handler: func(context.Context, engine.HostCall) ([]byte, error) {
			appCalls.Add(1)
			return []byte("ALLOWED"), nil
		}}},
	})
	capDeploy(t, eng, "admin", capPolicy(t, capAllow("kv:*", "kv:*")))
	for _, s := range []string{"counters", "sessions", "secrets"} {
		out, _ := capCall(t, eng, "admin", capKVPut, s, "hits", "7")
		require.Equal(t, int32(0), out.Result)
	}
	deploy(t, eng, engine.Function{Name: "hello", Code: testguest.WATEcho(t)})
	deploy(t, eng, engine.Function{Name: "hostile", Code: code, Policy: capPolicy(t)})
	st.take()

	res := mustSucceed(t, eng, "hostile", "")
	var report struct {
		Attempts []struct{ What, Result, Detail string }
	}
	require.NoError(t, json.Unmarshal(res.Payload, &report), "%s", res.Payload)
	require.NotEmpty(t, report.Attempts)
	deniedCount := 0
	for _, a := range report.Attempts {
		ok := a.Result == "denied" || strings.HasPrefix(a.Result, "error: ")
		assert.True(t, ok, "%s: %s %s", a.What, a.Result, a.Detail)
		if a.Result == "denied" {
			deniedCount++
		}
	}
	assert.NotContains(t, string(res.Payload), "ALLOWED")
	assert.NotContains(t, string(res.Payload), "hunter2")
	assert.NotContains(t, string(res.Payload), secret)
	assert.Equal(t, "init: kv:Get counters/hits", report.Attempts[0].What)
	assert.Equal(t, "denied", report.Attempts[0].Result)

	// Every policy denial is logged and counted: the init's, logged with
	// "-" for the request id, and the invocation's.
	var denials, initDenials []string
	for _, l := range parseLogs(t, res.Logs) {
		if l.Level != "FLINT" || !strings.Contains(l.Message, ": denied") {
			continue
		}
		denials = append(denials, l.Message)
		if l.RequestID == "-" {
			initDenials = append(initDenials, l.Message)
		} else {
			assert.Equal(t, res.RequestID, l.RequestID, "%s", l.Message)
		}
	}
	assert.Equal(t, []string{"kv:Get on kv:counters/hits: denied: no statement allows it"}, initDenials)
	assert.GreaterOrEqual(t, len(denials), deniedCount, "every denied attempt is logged:\n%s", strings.Join(denials, "\n"))
	assert.Equal(t, uint64(len(denials)), capDenials(t, eng, "hostile"), "every logged denial is counted")

	// The host did nothing: no store operation, no invocation, no file,
	// no call of the host application's capability.
	assert.Empty(t, st.take(), "no key-value operation reached the store")
	assert.Zero(t, appCalls.Load(), "no call reached the host capability")
	assert.Zero(t, stats(t, eng, "hello").Invocations, "hello was never invoked")
	assert.Equal(t, uint64(1), stats(t, eng, "hostile").Invocations, "hostile did not invoke itself")
	assert.Equal(t, map[string]string{"secret.txt": secret}, capTree(t, mount))
	for _, s := range []string{"counters", "sessions", "secrets"} {
		out, _ := capCall(t, eng, "admin", capKVGet, s, "hits")
		assert.Equal(t, "7", out.Pending, "%s/hits", s)
	}

	// The host is healthy: others still work, and so does hostile.
	assert.Equal(t, "ping", string(mustSucceed(t, eng, "hello", "ping").Payload))
	res = mustSucceed(t, eng, "hostile", "")
	assert.NotContains(t, string(res.Payload), "ALLOWED")
}
