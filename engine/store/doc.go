// Package store keeps what a Flint engine must not lose with a call or a
// process: function metadata and guest key-value data (Buckets), module
// bytes (Blobs, content-addressed by SHA-256) and the asynchronous
// invocation queue (Queues, with leases and at-least-once delivery).
//
// There are three Stores behind one interface. NewMemory keeps everything
// in memory: the embeddable library's default. Open keeps everything in a
// data directory, for the server; package jsstore keeps everything in NATS
// JetStream, shared by the nodes of a Flint cluster. Package storetest is
// the conformance suite all three pass. Open's directory holds:
//
//	<dir>/flint.db                          bbolt: buckets, queues, format version
//	<dir>/blobs/sha256/<ab>/<abcdef...>     one file per blob, named by its digest
//
// Inside flint.db, the top-level bucket "kv" holds one nested bucket per
// Bucket name, "queues" one per Queue name (its messages' state and bodies
// apart, keyed by sequence number), and "meta" the format version.
//
// # Durability and its cost
//
// A durable Store's write returns once it is committed: bbolt writes the
// changed pages and its meta page and fsyncs the file (fdatasync, twice per
// commit), which costs from a fraction of a millisecond to several
// milliseconds depending on the disk: a lone writer gets hundreds to a few
// thousand writes a second. Concurrent writes share commits (a group
// commit: every write that arrives while a commit is in progress goes into
// the next one), so many writers get several times that.
// Reads never wait for a write. A blob is written to a temporary file,
// fsynced, renamed into place and its directory fsynced, and is hashed
// again whenever it is read (ErrCorrupt when the file changed).
//
// # Queues
//
// A message is deliverable from its due time, earliest first, first
// enqueued first among equal times. Receive leases it: nobody else gets it
// until the lease expires, when it is deliverable again (Deliveries counts
// each delivery). Ack deletes it; Retry replaces its body and makes it due
// again. Receive waits without polling: a waiting receiver is woken by a
// change to the queue or a timer set for the earliest due message.
//
// A durable queue writes each delivery (its lease and count) before
// Receive returns. A process that dies leaves its leases on disk; when the
// directory is opened again they are void, and those messages are due at
// once: a crash between receiving and acknowledging re-delivers a message,
// never loses it. Scheduling state (about 100 bytes a message, not the
// body) is kept in memory, read from disk when a queue is first used.
//
// # Scale-out
//
// Every call touches one bucket, blob or queue, with no transaction across
// them, so that the interface is also implemented on NATS JetStream
// (package jsstore: key-value buckets, an object store, work-queue
// streams) for many Flint nodes. A Bucket whose contents can change from
// another process implements Watcher, so that what a node derives from it
// follows changes made elsewhere. The rules every Store applies to names,
// keys, sizes and IDs are exported (CheckName, CheckKey, ..., ParseID) for
// Stores outside this package. RATIONALE.md in this directory says why the
// rest is as it is.
//
// Locks: every mutex in this package is a leaf (no code takes another lock
// while holding one), and none is held while waiting for a commit. A
// Bucket's Update function runs under its bucket's lock (memory) or inside
// the write transaction (durable), which is why it must not call the
// Store.
package store
