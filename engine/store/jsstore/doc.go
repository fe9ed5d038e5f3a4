// Package jsstore implements Flint's storage interface, store.Store, on
// NATS JetStream, so that any number of Flint nodes share one state: a
// function deployed through one node is served by all of them, an event
// enqueued on one is handled by whichever is free. It passes the
// conformance suite of package storetest, with the two exceptions named
// below.
//
// New takes a JetStream context (package broker's, on the node's embedded
// server or an existing NATS cluster) and lays the Store out under a
// prefix (Options.Prefix, "flint" by default):
//
//	store.Bucket "functions"   KV bucket  <prefix>_functions       keys: the store key in lowercase hex
//	store.Queue "async"        stream     QUEUE_<prefix>_async     subjects <prefix>.queue.async.{r,s}.<token>
//	store.Blobs                object     <prefix>_blobs           objects named by their SHA-256 digest
//
// Names are escaped for JetStream ('_' '.' '/' become "_u" "_d" "_s";
// "kv/tenant-1/fn_a.v2" is "kv_stenant-1_sfn_ua_dv2"), and a name whose
// escaped form is over 64 characters is replaced by a hash of it.
// Options.Replicas (3 in a cluster) applies when a stream is created.
//
// # Buckets: a view in memory, writes checked by revision
//
// Each bucket a node opens is loaded into memory and kept up to date by a
// KV watch, so Get and List never touch the network (about 0.1 µs, as
// fast as the memory Store). A node's own Put, Delete and Update are in
// its view when they return. Another node's change is in it once the
// watch delivered it: on three servers on loopback, a Put on one node was
// readable on another 190 µs after the Put began at the median and 550 µs
// at the 99th percentile (BenchmarkPropagation), the Put's own replication
// included. How stale a read can be has no bound while the node is cut off
// from NATS: it reads what it had, and catches up when it is back.
//
// Update is a compare-and-set loop on the key's revision: its function
// sees the view's value, the write is conditional on that revision, and
// when another writer got there first the value is read from JetStream
// and the function runs again. Two nodes updating one key never lose an
// update. An Update whose function decides on no change (ErrNoChange) may,
// like Get, have decided on a slightly stale value.
//
// A bucket whose contents can change from other nodes implements
// store.Watcher: the engine watches its buckets to follow deployments,
// aliases and settings changed elsewhere. A KV bucket keeps one revision
// per key, so a node whose watch is behind skips revisions superseded
// meanwhile and sees the latest: views converge on the last state, not
// necessarily through every intermediate one.
//
// # Queues: a work-queue stream, a pull consumer, message schedules
//
// A message due now is published ready, on its own subject, and delivered
// by the queue's durable pull consumer; a message due later is a
// JetStream message schedule ("@at" its due time, nats-server 2.12 or
// later), which the server turns into the ready message when it is due
// (its scheduler runs at most every 250 ms, so a message is due up to
// that much late, never early). Receive is one pull request for one
// message; the lease is the consumer's AckWait (Options.Lease, the
// engine's queue lease), and a Receive asking for another lease sets it
// with a delayed negative acknowledgement. Ack deletes the message from
// the stream, which also ends its lease, and tells a message that is gone
// (ErrNotFound) exactly. Retry publishes the new body under the message's
// token with its Enqueued time and deliveries in headers, conditional on
// the message being the token's latest: of two calls on one message, one
// wins. A message's ID is its stream sequence number, so it changes on
// Retry, and when a scheduled message becomes due (the ID Enqueue
// returned then names the schedule: acking it before it is due cancels
// it).
//
// What JetStream gives in a weaker form than the store contract, named as
// storetest exceptions:
//
//   - storetest.PastDuesInEnqueueOrder: messages due in the past when
//     enqueued are delivered in enqueue order, not due order (the async
//     invoker enqueues everything "now").
//   - storetest.LeasedCountsExpired: QueueStats.Leased counts the
//     consumer's messages pending acknowledgement, which includes expired
//     leases until the message is delivered again.
//
// And, outside what the suite checks:
//
//   - a Retry on a node that did not receive the message keeps the
//     deliveries counted before the message's last rewrite (the consumer's
//     count is known only to the receiver);
//   - a Retry to a later time of a ready message is a schedule then a
//     delete: if the process dies between the two, the old body is
//     delivered once more when its lease ends (at least once, never lost);
//   - a Receive whose context ends as a message reaches it hands the
//     message back for immediate redelivery, its delivery counted;
//   - QueueStats.OldestEnqueued is the Enqueued time of the stream's
//     first message; a message retried behind a younger one is not
//     looked at.
//
// # When NATS is away
//
// A node that loses its connection to NATS keeps serving reads from its
// views; every write, Receive, blob and Stats call fails at once with
// store.ErrUnavailable. A node whose server is up but cut off from the
// rest of the cluster (no quorum) fails writes with ErrUnavailable when
// JetStream does not answer: after its short wait for a responder, its
// request timeout (5 s), or the caller's deadline, whichever is first.
// The KV watches resume where they stopped when the connection is back,
// and the views catch up.
//
// # Costs
//
// JetStream acknowledges a write once its servers have it (on a majority
// of the replicas), but its file store syncs to disk every two minutes by
// default (sync_interval): unlike bbolt, a single-replica Store can lose
// acknowledged writes in a power failure; three replicas survive losing
// one machine. Every bucket is a stream (with three replicas, a Raft
// group), so each name the kv capability's guests use costs one; and
// every node holds the buckets it opened in memory. A value or message
// body of 1 MiB needs a server max_payload above NATS's default 1 MiB
// (MinMaxPayload); Flint's embedded server sets 2 MiB.
package jsstore
