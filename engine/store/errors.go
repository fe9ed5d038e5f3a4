package store

import "errors"

// Sentinel errors. Match them with errors.Is; the errors returned wrap them
// with the detail (which key, which size, which limit).
var (
	// ErrClosed: the Store was closed; every call on it, or on a Bucket,
	// Blobs or Queue taken from it, fails with ErrClosed from then on.
	ErrClosed = errors.New("store: closed")
	// ErrNotFound: no such key, blob or message (a message that was acked
	// is not found any more).
	ErrNotFound = errors.New("store: not found")
	// ErrInvalidName: a bucket or queue name is empty, longer than
	// MaxNameBytes, or holds a character outside [A-Za-z0-9_.-/].
	ErrInvalidName = errors.New("store: invalid name")
	// ErrInvalidKey: a key is empty.
	ErrInvalidKey = errors.New("store: invalid key")
	// ErrInvalidDigest: a blob digest is not 64 lowercase hexadecimal
	// characters (a SHA-256 digest as Blobs.Put returns it).
	ErrInvalidDigest = errors.New("store: invalid digest")
	// ErrInvalidArgument: a limit or a lease that is zero or negative.
	ErrInvalidArgument = errors.New("store: invalid argument")
	// ErrTooLarge: a key, value or message body is over its limit
	// (MaxKeyBytes, MaxValueBytes, MaxMessageBytes).
	ErrTooLarge = errors.New("store: too large")
	// ErrCorrupt: stored data failed its integrity check (a blob whose
	// content no longer hashes to its digest, a record that cannot be
	// decoded). The data must be restored or written again.
	ErrCorrupt = errors.New("store: data corrupt")
	// ErrInUse: the data directory is held by another process (or another
	// Store in this one); stop it, or use another directory.
	ErrInUse = errors.New("store: data directory is in use by another process")
	// ErrUnsupportedFormat: the data directory was written by a newer Flint
	// whose on-disk format this one does not understand.
	ErrUnsupportedFormat = errors.New("store: unsupported data directory format")
	// ErrUnavailable: the Store's backend cannot be reached now (a
	// JetStream Store whose connection to NATS is down, or whose NATS
	// cluster has no quorum). Nothing was changed; reads served from a
	// local view may still work. Try again once the backend is back.
	ErrUnavailable = errors.New("store: unavailable")
	// ErrNoChange is returned by an Update function to leave the value as it
	// is; Update then returns nil.
	ErrNoChange = errors.New("store: no change")
)
