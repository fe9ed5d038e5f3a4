package engine

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"sort"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/abi/policy"
)

// Limits of an invocation's context (WithTenant, WithMetadata).
const (
	// MaxTenantBytes caps a tenant id.
	MaxTenantBytes = 128
	// MaxMetadataBytes caps an invocation's metadata: its keys and values
	// together.
	MaxMetadataBytes = 16 << 10
	// maxMetadataKey caps one metadata key.
	maxMetadataKey = 128
)

// invocation is what an invocation carries besides its payload: its depth
// in a chain of invocations, and the context its caller gave it, which
// the invocations it makes inherit. Its fields are never modified once
// made, so copies share them safely.
type invocation struct {
	depth    int
	tenant   string
	metadata Metadata
	// session are the invocation's own policies (WithPolicy), inherited
	// ones first.
	session []*policy.Policy
}

// invocationKey is the context key of the *invocation a host
// capability's context carries, so that Invoke with that context
// continues the chain.
type invocationKey struct{}

// invocationOf returns the invocation that Invoke with ctx and o starts:
// a new chain, or when ctx is a host capability's (or derived from one),
// the next link of the chain that called it, inheriting its context.
func (e *Engine) invocationOf(ctx context.Context, o invokeOptions) (invocation, error) {
	var inv invocation
	if parent, ok := ctx.Value(invocationKey{}).(*invocation); ok && parent != nil {
		inv = *parent
		inv.depth++
		if inv.depth > e.cfg.MaxInvokeDepth {
			return invocation{}, fmt.Errorf("%w: %d nested invocations (Config.MaxInvokeDepth): a recursive loop?",
				ErrInvokeDepth, e.cfg.MaxInvokeDepth)
		}
	}
	if o.tenant != "" {
		inv.tenant = o.tenant
	}
	if o.metadata != nil {
		md, err := inv.metadata.with(o.metadata)
		if err != nil {
			return invocation{}, err
		}
		inv.metadata = md
	}
	if o.policies != nil {
		inv.session = append(slices.Clip(inv.session), o.policies...)
	}
	return inv, nil
}

// validTenant reports whether s is a tenant id WithTenant accepts.
func validTenant(s string) bool {
	if len(s) == 0 || len(s) > MaxTenantBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isNameByte(c) && c != '@' && c != ':' && c != '+' && c != '=' {
			return false
		}
	}
	return true
}

// validMetadataKey reports whether s is a metadata key WithMetadata
// accepts.
func validMetadataKey(s string) bool {
	if len(s) == 0 || len(s) > maxMetadataKey {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// isNameByte reports whether c is an ASCII letter, digit, '_', '.' or '-'.
func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// Metadata is an invocation's key-value metadata (WithMetadata): what the
// embedder tells a function and its host capabilities about the call
// beside the payload (a user, a plan, a trace id). It is read-only; the
// zero Metadata is empty.
type Metadata struct {
	pairs []metaPair // sorted by key, keys unique
	// encoded is pairs as abi.EncodeMetadata encodes them, for the
	// guest's context_get.
	encoded []byte
}

// metaPair is one key and its value.
type metaPair struct{ key, value string }

// Get returns the value of key, and whether the metadata has it.
func (m Metadata) Get(key string) (string, bool) {
	i, ok := slices.BinarySearchFunc(m.pairs, key, func(p metaPair, k string) int { return cmp.Compare(p.key, k) })
	if !ok {
		return "", false
	}
	return m.pairs[i].value, true
}

// Len returns the number of keys.
func (m Metadata) Len() int { return len(m.pairs) }

// All yields every key and its value, in key order.
func (m Metadata) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, p := range m.pairs {
			if !yield(p.key, p.value) {
				return
			}
		}
	}
}

// with returns m with pairs added (a key given again takes the last
// value), checked against MaxMetadataBytes.
func (m Metadata) with(pairs []metaPair) (Metadata, error) {
	all := make([]metaPair, 0, len(m.pairs)+len(pairs))
	all = append(append(all, m.pairs...), pairs...)
	// A stable sort keeps equal keys in the order given: the last wins.
	sort.SliceStable(all, func(i, j int) bool { return all[i].key < all[j].key })
	out := all[:0]
	size := 0
	for i, p := range all {
		if i+1 < len(all) && all[i+1].key == p.key {
			continue
		}
		out = append(out, p)
		size += len(p.key) + len(p.value)
	}
	if size > MaxMetadataBytes {
		return Metadata{}, invalid("metadata is %d bytes, over the %d-byte limit", size, MaxMetadataBytes)
	}
	md := Metadata{pairs: slices.Clip(out)}
	md.encoded = abi.EncodeMetadata(md.All())
	return md, nil
}
