package storetest

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/flintfaas/flint/engine/store"
)

// Unreachable wraps a Store so that reading a blob fails with
// store.ErrUnavailable while Down is set, as a clustered Store's reads do
// while its streams elect new leaders: for tests of how a Store's users
// wait out a backend they cannot reach. Everything else goes to the
// wrapped Store, which Unreachable does not close.
type Unreachable struct {
	store.Store
	// Down makes Blobs().Get fail while it is set.
	Down atomic.Bool
	// Refused counts the reads that failed.
	Refused atomic.Int64
}

// Blobs returns the wrapped Store's blobs, unreachable for reading while
// Down is set.
func (u *Unreachable) Blobs() store.Blobs { return unreachableBlobs{u} }

type unreachableBlobs struct{ u *Unreachable }

func (b unreachableBlobs) Get(ctx context.Context, digest string) ([]byte, error) {
	if b.u.Down.Load() {
		b.u.Refused.Add(1)
		return nil, fmt.Errorf("storetest: %w: injected: no answer before the deadline", store.ErrUnavailable)
	}
	return b.u.Store.Blobs().Get(ctx, digest)
}

func (b unreachableBlobs) Put(ctx context.Context, data []byte) (string, error) {
	return b.u.Store.Blobs().Put(ctx, data)
}

func (b unreachableBlobs) Delete(ctx context.Context, digest string) error {
	return b.u.Store.Blobs().Delete(ctx, digest)
}
