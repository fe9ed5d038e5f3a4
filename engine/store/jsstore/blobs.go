package jsstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/flintfaas/flint/engine/store"
)

// blobs is Blobs on a JetStream object store, objects named by digest.
type blobs struct {
	s  *jetStore
	os jetstream.ObjectStore
}

var _ store.Blobs = (*blobs)(nil)

// openBlobs creates or opens the Store's object store.
func openBlobs(ctx context.Context, s *jetStore) (*blobs, error) {
	if err := s.connected(); err != nil {
		return nil, err
	}
	name := s.opts.Prefix + "_blobs"
	var os jetstream.ObjectStore
	err := retrying(ctx, func(ctx context.Context) (err error) {
		os, err = s.js.ObjectStore(ctx, name)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			os, err = s.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
				Bucket:      name,
				Description: "Flint blobs (module bytes), named by their SHA-256 digest",
				Storage:     jetstream.FileStorage,
				Replicas:    s.opts.Replicas,
			})
			if errors.Is(err, jetstream.ErrBucketExists) {
				os, err = s.js.ObjectStore(ctx, name)
			}
		}
		return err
	})
	if err != nil {
		return nil, s.fail(ctx, "open blobs", err)
	}
	return &blobs{s: s, os: os}, nil
}

// Put implements store.Blobs. A blob that is there already is not sent
// again.
func (b *blobs) Put(ctx context.Context, data []byte) (string, error) {
	if err := b.s.check(ctx); err != nil {
		return "", err
	}
	if err := b.s.connected(); err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	info, err := b.os.GetInfo(ctx, digest)
	switch {
	case err == nil && !info.Deleted:
		return digest, nil
	case err != nil && !errors.Is(err, jetstream.ErrObjectNotFound):
		return "", b.s.fail(ctx, "put blob", err)
	}
	if _, err := b.os.PutBytes(ctx, digest, data); err != nil {
		return "", b.s.fail(ctx, "put blob", err)
	}
	return digest, nil
}

// Get implements store.Blobs. What it reads is hashed again: ErrCorrupt
// when it does not match the digest (or the object store's own digest).
func (b *blobs) Get(ctx context.Context, digest string) ([]byte, error) {
	if err := b.s.check(ctx); err != nil {
		return nil, err
	}
	if err := store.CheckDigest(digest); err != nil {
		return nil, err
	}
	if err := b.s.connected(); err != nil {
		return nil, err
	}
	data, err := b.os.GetBytes(ctx, digest)
	switch {
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return nil, fmt.Errorf("%w: blob %s", store.ErrNotFound, digest)
	case errors.Is(err, jetstream.ErrDigestMismatch):
		return nil, fmt.Errorf("%w: blob %s: %w", store.ErrCorrupt, digest, err)
	case err != nil:
		return nil, b.s.fail(ctx, "get blob", err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != digest {
		return nil, fmt.Errorf("%w: blob %s: its content hashes to %x", store.ErrCorrupt, digest, sum)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Delete implements store.Blobs.
func (b *blobs) Delete(ctx context.Context, digest string) error {
	if err := b.s.check(ctx); err != nil {
		return err
	}
	if err := store.CheckDigest(digest); err != nil {
		return err
	}
	if err := b.s.connected(); err != nil {
		return err
	}
	if err := b.os.Delete(ctx, digest); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return b.s.fail(ctx, "delete blob", err)
	}
	return nil
}
