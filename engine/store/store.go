package store

import (
	"context"
	"time"
)

// Limits on what callers, and through them guests, may store. They bound
// guest key-value data: a guest that asks for more gets ErrTooLarge.
const (
	// MaxNameBytes is the longest bucket or queue name.
	MaxNameBytes = 128
	// MaxKeyBytes is the longest key of a Bucket, and the longest prefix or
	// after argument of List.
	MaxKeyBytes = 1024
	// MaxValueBytes is the largest value of a Bucket (1 MiB).
	MaxValueBytes = 1 << 20
	// MaxMessageBytes is the largest body of a queue message (1 MiB, the
	// size of an asynchronous Lambda invocation's payload).
	MaxMessageBytes = 1 << 20
	// MaxListKeys is the most keys one List call returns; a larger limit is
	// lowered to it (and more reports what was left).
	MaxListKeys = 1000
)

// Store is a Flint engine's storage: what must outlive a call or a process.
// Function metadata and guest key-value data live in Buckets, module bytes
// in Blobs, asynchronous invocations in Queues.
//
// Every operation touches exactly one bucket, one blob or one queue: there
// are no transactions across them, so that a Store can be built on a
// distributed key-value service (NATS JetStream KV, object store and
// work-queue streams) as well as on a local file.
//
// A Store and everything taken from it are safe for concurrent use.
type Store interface {
	// Bucket returns the key-value namespace called name, created on first
	// use. A name is 1 to MaxNameBytes characters from [A-Za-z0-9_.-/]
	// (ErrInvalidName otherwise). Buckets and queues have separate
	// namespaces.
	Bucket(name string) (Bucket, error)
	// Blobs returns the content-addressed blob store.
	Blobs() Blobs
	// Queue returns the durable work queue called name, created on first
	// use. Names follow the rules of Bucket.
	Queue(name string) (Queue, error)
	// Close releases the Store; Receive calls waiting on its queues return
	// ErrClosed. Calling it again does nothing and returns nil; every other
	// call after it fails with ErrClosed.
	Close() error
}

// Bucket is a key-value namespace. Keys are 1 to MaxKeyBytes bytes of any
// value (ErrInvalidKey, ErrTooLarge); values are up to MaxValueBytes bytes
// (ErrTooLarge), and may be empty.
//
// A Bucket copies what it is given and what it returns: a caller may keep
// or change a slice it passed in or got back.
type Bucket interface {
	// Get returns the value of key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put sets the value of key. It is durable when it returns (for a Store
	// that is durable at all).
	Put(ctx context.Context, key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns up to limit keys that start with prefix and sort after
	// the key after (exclusive; "" starts at the first), in ascending byte
	// order, and whether more such keys follow. To page through a bucket,
	// pass the last key returned as the next call's after. A limit above
	// MaxListKeys is lowered to it; a limit below 1 is ErrInvalidArgument.
	List(ctx context.Context, prefix, after string, limit int) (keys []string, more bool, err error)
	// Update atomically replaces the value of key with what fn returns for
	// the current one (old is nil and exists false when the key is
	// missing): returning a nil value deletes the key (an empty non-nil
	// value stores an empty value), returning ErrNoChange leaves it as it
	// is, and any other error leaves it and is returned by Update.
	//
	// fn may be called more than once (an implementation may retry on a
	// conflicting write), must be quick (it may hold up other writers) and
	// must not call the Store. It must not keep old.
	Update(ctx context.Context, key string, fn func(old []byte, exists bool) ([]byte, error)) error
}

// Watcher is implemented by a Bucket whose contents can change from
// outside this process: another process, or another Flint node, sharing
// the Store (jsstore's buckets, on NATS JetStream). A caller that keeps
// something derived from a bucket in memory (the engine's functions)
// watches it to follow changes made elsewhere; a caller checks for it with
// a type assertion. The memory and bbolt Stores do not implement it: every
// change to them is made by this process (a bbolt directory is locked to
// one), so there is nothing to follow.
type Watcher interface {
	// Watch calls fn with the key of every change to the bucket — Put,
	// Delete, Update — made by this process or elsewhere, once Get and
	// List on this process return the change, until ctx is done or the
	// Store is closed. Changes are reported from the moment Watch returns
	// (so a caller registers first, then reads what is there).
	//
	// Calls come one at a time from a goroutine of the watch's own, in the
	// order the changes were seen; a key that changes again before fn was
	// called for it is reported once, so fn reads the current value
	// instead of relying on the number of calls. Likewise, changes made
	// elsewhere in quick succession may reach this process as the last of
	// them only: a key created and deleted elsewhere at once may never be
	// reported, since this process never saw it. fn may call the Store. No
	// call starts after ctx is done. Watch fails only with ctx's error or
	// ErrClosed.
	Watch(ctx context.Context, fn func(key string)) error
}

// Blobs is a content-addressed store of immutable byte strings (module
// bytes), named by the lowercase hex SHA-256 digest of their content.
type Blobs interface {
	// Put stores data and returns its digest. Putting the same data again
	// stores nothing new and returns the same digest.
	Put(ctx context.Context, data []byte) (digest string, err error)
	// Get returns the blob with the digest, or ErrNotFound. A durable Store
	// hashes what it reads and fails with ErrCorrupt when it does not match.
	// A digest that is not 64 lowercase hex characters is ErrInvalidDigest.
	Get(ctx context.Context, digest string) ([]byte, error)
	// Delete removes the blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, digest string) error
}

// Queue is a durable work queue with at-least-once delivery: a message is
// delivered (leased to one receiver) when it is due, and delivered again if
// its lease expires before it is acknowledged. Messages are delivered in
// order of the time they become deliverable (their due time, or the expiry
// of a lease), first enqueued first among equal times.
type Queue interface {
	// Enqueue stores a message to become deliverable at due (the zero time:
	// now) and returns its ID. Once Enqueue returns, the message survives a
	// crash of the process (for a durable Store). A body is up to
	// MaxMessageBytes (ErrTooLarge).
	Enqueue(ctx context.Context, body []byte, due time.Time) (id string, err error)
	// Receive waits until a message is due, leases it for lease (which must
	// be positive) and returns it. Until the lease expires, or the message
	// is acked or retried, it is delivered to no one else; after the lease
	// expires it is delivered again, with Deliveries one higher.
	// Concurrent receivers get distinct messages. Receive returns ctx's
	// error when ctx is done first, and ErrClosed when the Store is closed.
	Receive(ctx context.Context, lease time.Duration) (Message, error)
	// Ack removes a message: it was handled. It is ErrNotFound when the
	// message is not in the queue (already acked, or never was).
	Ack(ctx context.Context, id string) error
	// Extend renews the lease of a message this process received, to
	// lease (positive) from now: a worker that may hold a message longer
	// than its lease extends it well before the lease ends, so that a
	// short lease still covers a long attempt, and the message of a worker
	// that died is delivered again after a short lease. It is ErrNotFound
	// when the message is not in the queue, or not leased to this process.
	Extend(ctx context.Context, id string, lease time.Duration) error
	// Retry replaces a message's body and makes it deliverable again at due
	// (zero: now), ending its lease. Its Deliveries and Enqueued are kept;
	// its ID may change (a Store whose messages are immutable, like a
	// stream's, enqueues a new one and drops the old), so the caller must
	// forget id once Retry returns. It is ErrNotFound when the message is
	// not in the queue.
	Retry(ctx context.Context, id string, body []byte, due time.Time) error
	// Stats reports the queue's depth, leases and oldest message.
	Stats(ctx context.Context) (QueueStats, error)
}

// Message is a delivered queue message.
type Message struct {
	// ID names the message in Ack and Retry.
	ID string
	// Body is the message's content, the caller's to keep.
	Body []byte
	// Enqueued is when the message was first enqueued (kept across Retry).
	Enqueued time.Time
	// Deliveries counts the times the message was delivered, this one
	// included: 1 on its first delivery. A delivery whose lease was lost in
	// a crash counts too.
	Deliveries int
}

// QueueStats describes a queue at one moment.
type QueueStats struct {
	// Depth counts all messages in the queue: due, not yet due and leased.
	Depth int
	// Leased counts the messages whose lease has not expired.
	Leased int
	// OldestEnqueued is when the oldest message in the queue was enqueued
	// (the zero time for an empty queue): the age of the backlog.
	OldestEnqueued time.Time
}
