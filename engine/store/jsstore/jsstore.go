package jsstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/flintfaas/flint/engine/store"
)

// Defaults of Options' zero fields, and limits.
const (
	// DefaultPrefix is the namespace of a Store's streams and subjects when
	// Options.Prefix is empty.
	DefaultPrefix = "flint"
	// DefaultLease is the queue consumers' lease (AckWait) when
	// Options.Lease is zero: the async invoker's default lease.
	DefaultLease = time.Minute
	// DefaultTimeout bounds opening a bucket or queue (Store.Bucket and
	// Store.Queue take no context) when Options.Timeout is zero.
	DefaultTimeout = 30 * time.Second
	// MinMaxPayload is the smallest NATS max_payload the Store works with:
	// a 1 MiB value or message body (store.MaxValueBytes,
	// store.MaxMessageBytes) plus the headers that go with it. NATS's
	// default is exactly 1 MiB, too small by the headers; Flint's embedded
	// server sets 2 MiB.
	MinMaxPayload = store.MaxMessageBytes + 16<<10
	// maxLease caps leases: JetStream computes a lease's end in
	// nanoseconds since 1970, which overflow in 2262.
	maxLease = 10 * 365 * 24 * time.Hour
)

// ErrConfig: New was given Options it cannot use, or a NATS connection that
// cannot hold the Store's data (max_payload under MinMaxPayload).
var ErrConfig = errors.New("jsstore: unusable configuration")

// Options configure a Store. The zero value is a single-replica Store
// named DefaultPrefix.
type Options struct {
	// Prefix namespaces everything the Store creates in JetStream (KV
	// buckets <Prefix>_<name>, queue streams QUEUE_<Prefix>_<name> on
	// subjects <Prefix>.queue.<name>.>, the object store <Prefix>_blobs),
	// so that several Flint clusters, or tests, can share one NATS
	// account. 1 to 32 characters of [A-Za-z0-9-]; empty means
	// DefaultPrefix. Every node of one Flint cluster uses the same.
	Prefix string
	// Replicas is how many servers keep each bucket, queue and the blobs:
	// 1 to 5, 0 meaning 1. A cluster of three or more NATS servers should
	// use 3, so that losing one loses nothing. It applies when a stream is
	// created; an existing one keeps what it has.
	Replicas int
	// Lease is the lease most Receive calls ask for, set as the queue
	// consumers' AckWait when they are created: a Receive asking for
	// another lease costs one more message to the server. 0 means
	// DefaultLease.
	Lease time.Duration
	// Timeout bounds creating or opening a bucket or queue and loading a
	// bucket's contents, which Store.Bucket and Store.Queue do on first use
	// without a context. 0 means DefaultTimeout.
	Timeout time.Duration
}

// jetStore is the Store New returns.
type jetStore struct {
	js        jetstream.JetStream
	nc        *nats.Conn
	opts      Options
	apiPrefix string // "$JS.API." unless the JetStream context says otherwise
	kvPrefix  string // prepended to "$KV.<bucket>." for writes (a non-default API prefix)

	ctx    context.Context // done at Close: ends watches and fetches
	cancel context.CancelFunc

	mu      sync.Mutex // guards what follows, and wg.Add against Close's Wait
	closed  bool
	wg      sync.WaitGroup // goroutines that Close waits for
	buckets map[string]*opening[*bucket]
	queues  map[string]*opening[*queue]

	blobs *blobs
}

var _ store.Store = (*jetStore)(nil)

// opening is a bucket or queue being opened, or open: callers asking for
// it at the same time wait for one opening.
type opening[T any] struct {
	done chan struct{}
	v    T
	err  error
}

// New returns a Store on the JetStream js: buckets in KV buckets, blobs in
// an object store, queues in work-queue streams. It creates the object
// store if it is missing; buckets and queues are created on first use.
// Close does not close js's connection, which stays the caller's.
func New(ctx context.Context, js jetstream.JetStream, opts Options) (store.Store, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if err := checkPrefix(opts.Prefix); err != nil {
		return nil, err
	}
	switch {
	case opts.Replicas == 0:
		opts.Replicas = 1
	case opts.Replicas < 0 || opts.Replicas > 5:
		return nil, fmt.Errorf("%w: %d replicas: JetStream keeps 1 to 5", ErrConfig, opts.Replicas)
	}
	if opts.Lease == 0 {
		opts.Lease = DefaultLease
	}
	if err := store.CheckLease(opts.Lease); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	opts.Lease = min(opts.Lease, maxLease)
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	nc := js.Conn()
	if mp := nc.MaxPayload(); mp < MinMaxPayload {
		return nil, fmt.Errorf("%w: the NATS server's max_payload is %d bytes; the store needs at least %d for 1 MiB values and messages with their headers (set max_payload: 2MB)",
			ErrConfig, mp, MinMaxPayload)
	}
	s := &jetStore{
		js:        js,
		nc:        nc,
		opts:      opts,
		apiPrefix: js.Options().APIPrefix,
		buckets:   map[string]*opening[*bucket]{},
		queues:    map[string]*opening[*queue]{},
	}
	if s.apiPrefix == "" {
		s.apiPrefix = jetstream.DefaultAPIPrefix
	}
	if s.apiPrefix != jetstream.DefaultAPIPrefix {
		s.kvPrefix = s.apiPrefix
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	octx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	var err error
	if s.blobs, err = openBlobs(octx, s); err != nil {
		s.cancel()
		return nil, err
	}
	return s, nil
}

// checkPrefix reports whether p can be Options.Prefix.
func checkPrefix(p string) error {
	if len(p) > 32 {
		return fmt.Errorf("%w: prefix %q is over 32 characters", ErrConfig, p)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("%w: prefix %q: character %q is not one of [A-Za-z0-9-]", ErrConfig, p, c)
		}
	}
	return nil
}

// Bucket implements store.Store. The first call for a name creates or
// opens its KV bucket and loads its contents into memory, within
// Options.Timeout.
func (s *jetStore) Bucket(name string) (store.Bucket, error) {
	if err := store.CheckName(name); err != nil {
		return nil, err
	}
	return open(s, s.buckets, name, openBucket)
}

// Queue implements store.Store. The first call for a name creates or opens
// its stream and consumer, within Options.Timeout.
func (s *jetStore) Queue(name string) (store.Queue, error) {
	if err := store.CheckName(name); err != nil {
		return nil, err
	}
	return open(s, s.queues, name, openQueue)
}

// open returns the open bucket or queue called name from m, opening it with
// fn if nobody did yet. A failed opening is forgotten, so that the next
// call tries again.
func open[T any](s *jetStore, m map[string]*opening[T], name string, fn func(context.Context, *jetStore, string) (T, error)) (T, error) {
	var zero T
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return zero, store.ErrClosed
	}
	o, ok := m[name]
	if !ok {
		o = &opening[T]{done: make(chan struct{})}
		m[name] = o
	}
	s.mu.Unlock()
	if ok {
		<-o.done
		return o.v, o.err
	}

	ctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeout)
	defer cancel()
	o.v, o.err = fn(ctx, s, name)
	if o.err != nil {
		o.err = s.fail(ctx, "open "+name, o.err)
		s.mu.Lock()
		delete(m, name)
		s.mu.Unlock()
	}
	close(o.done)
	return o.v, o.err
}

// attemptTimeout bounds one attempt at creating or opening a bucket, a
// queue or the blobs: a JetStream cluster whose nodes all create the same
// streams at once (a cluster's first start) may leave a request
// unanswered, and the next attempt succeeds.
const attemptTimeout = 5 * time.Second

// retrying calls fn until it succeeds, fails for a reason that another
// attempt would not change, or ctx is done; each attempt has
// attemptTimeout.
func retrying(ctx context.Context, fn func(context.Context) error) error {
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := fn(actx)
		cancel()
		if err == nil || ctx.Err() != nil || !transient(err) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// transient reports whether err is JetStream not answering in time or
// answering that it cannot now (a stream without a leader yet).
func transient(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoHeartbeat) ||
		errors.As(err, &apiErr) && apiErr.Code == 503
}

// Blobs implements store.Store.
func (s *jetStore) Blobs() store.Blobs { return s.blobs }

// Close implements store.Store: it ends the watches and the Receive calls
// waiting, and waits for their goroutines. It does not close the NATS
// connection.
func (s *jetStore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// goroutine runs fn on a goroutine that Close waits for, unless the Store
// is closed.
func (s *jetStore) goroutine(fn func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
	return nil
}

// check returns ErrClosed after Close, else ctx's error.
func (s *jetStore) check(ctx context.Context) error {
	if s.ctx.Err() != nil {
		return store.ErrClosed
	}
	return ctx.Err()
}

// connected fails with ErrUnavailable, without waiting, while the NATS
// connection is down: a node that lost NATS refuses changes at once.
func (s *jetStore) connected() error {
	if st := s.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("%w: not connected to NATS (%v); changes are refused until it is back", store.ErrUnavailable, st)
	}
	return nil
}

// fail turns an error from NATS into the Store's: the caller's context's
// error when it was cancelled, ErrClosed after Close, ErrUnavailable when
// NATS could not be reached or did not answer in time (before the
// caller's deadline too: then the error is also DeadlineExceeded), and
// anything else wrapped as it is.
func (s *jetStore) fail(ctx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("jsstore: %s: %w: no answer from JetStream before the deadline: %w", op, store.ErrUnavailable, ctx.Err())
		}
		return ctx.Err()
	case s.ctx.Err() != nil:
		return store.ErrClosed
	case unavailable(err):
		return fmt.Errorf("jsstore: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("jsstore: %s: %w", op, err)
}

// unavailable reports whether err says that JetStream could not be reached
// or did not answer, as opposed to refusing the request.
func unavailable(err error) bool {
	for _, target := range []error{
		context.DeadlineExceeded, // JetStream's own timeout, the caller's context being alive
		nats.ErrTimeout, nats.ErrNoResponders, nats.ErrConnectionClosed, nats.ErrConnectionDraining,
		nats.ErrConnectionReconnecting, nats.ErrDisconnected, nats.ErrNoServers,
		jetstream.ErrNoStreamResponse, jetstream.ErrJetStreamNotEnabled, jetstream.ErrConnectionClosed,
		jetstream.ErrServerShutdown, jetstream.ErrNoHeartbeat,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case errClusterNotAvailable, errStreamOffline, errClusterNoPeers:
			return true
		}
		return apiErr.Code == 503
	}
	return false
}

// JetStream API error codes the client library does not name.
const (
	errClusterNotAvailable  jetstream.ErrorCode = 10008 // "JetStream system temporarily unavailable"
	errClusterNoPeers       jetstream.ErrorCode = 10005 // no suitable peers for placement
	errStreamOffline        jetstream.ErrorCode = 10118 // stream is offline
	errSequenceNotFound     jetstream.ErrorCode = 10043 // "sequence {seq} not found"
	errMsgDeleteFailed      jetstream.ErrorCode = 10057 // "{err}": the store's own reason
	errWrongLastSeqConstant jetstream.ErrorCode = 10164 // an expected-sequence write raced another in flight
)

// conflict reports whether err is a failed compare-and-set: the subject's
// last sequence was not the one expected.
func conflict(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == errWrongLastSeqConstant
	}
	return false
}

// deleteMsg removes the message seq from stream, reporting whether it was
// there. It is the JetStream API request that Stream.DeleteMsg makes, sent
// here because that method reports a missing message only in its text.
func (s *jetStore) deleteMsg(ctx context.Context, stream string, seq uint64) (found bool, err error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.js.Options().DefaultTimeout)
		defer cancel()
	}
	req, _ := json.Marshal(struct {
		Seq     uint64 `json:"seq"`
		NoErase bool   `json:"no_erase"`
	}{seq, true})
	msg, err := s.nc.RequestWithContext(ctx, s.apiPrefix+"STREAM.MSG.DELETE."+stream, req)
	if err != nil {
		return false, err
	}
	var resp struct {
		Success bool                `json:"success"`
		Error   *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return false, fmt.Errorf("delete message %d: %w", seq, err)
	}
	switch {
	case resp.Success:
		return true, nil
	case resp.Error == nil:
		return false, fmt.Errorf("delete message %d: no success and no error in %q", seq, msg.Data)
	case resp.Error.ErrorCode == errSequenceNotFound,
		// A sequence before the stream's first or after its last.
		resp.Error.ErrorCode == errMsgDeleteFailed && (strings.Contains(resp.Error.Description, "no message found") || strings.Contains(resp.Error.Description, "EOF")):
		return false, nil
	}
	return false, resp.Error
}

// maxEncodedName is the longest name token kept readable; a longer one is
// hashed, to keep stream names (directories on the servers' disks) and
// subjects short.
const maxEncodedName = 64

// encodeName turns a bucket or queue name (store.CheckName's alphabet) into
// a token allowed in stream, KV bucket and subject names ([A-Za-z0-9_-]):
// '_' '.' and '/' become "_u" "_d" "_s". The encoding is one-to-one; a
// result over maxEncodedName characters is replaced by "_h" and 40 hex
// digits of the name's SHA-256, which no escaped name starts with.
func encodeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '_':
			b.WriteString("_u")
		case '.':
			b.WriteString("_d")
		case '/':
			b.WriteString("_s")
		default:
			b.WriteByte(c)
		}
	}
	if b.Len() > maxEncodedName {
		sum := sha256.Sum256([]byte(name))
		return "_h" + hex.EncodeToString(sum[:20])
	}
	return b.String()
}
