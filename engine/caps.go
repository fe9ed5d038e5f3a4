package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine/internal/abihost"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine/internal/egress"
	"github.com/flintfaas/flint/engine/internal/sandboxfs"
	"github.com/flintfaas/flint/engine/store"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// kvBucketPrefix keeps guest stores apart from the engine's own buckets.
const kvBucketPrefix = "kv/"

// caps is one instance's abihost.Capabilities: where the calls its policy
// allowed go. The abi package has checked the policy before any of these
// runs.
type caps struct {
	in  *instance
	inv invocation // the running invocation's: its depth and context
}

var _ abihost.Capabilities = (*caps)(nil)

func (c *caps) engine() *Engine { return c.in.v.engine }

// withDeadline bounds a capability call by the invocation's deadline. ctx
// (the instance's call context) is already done when the instance is
// killed.
//
// A call that lasts until the deadline times the invocation out when it
// ends (its cancel func kills the call): its context may expire a moment
// before the watchdog fires, and a guest that returns at once after the
// failed call would otherwise succeed after its deadline.
func (c *caps) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	d := c.in.state.Deadline
	if d.IsZero() {
		return context.WithTimeout(ctx, c.engine().cfg.InitTimeout)
	}
	ctx, cancel := context.WithDeadline(ctx, d)
	call := c.in.call
	return ctx, func() {
		cancel()
		if !time.Now().Before(d) {
			call.kill(context.DeadlineExceeded)
		}
	}
}

func (c *caps) bucket(name string) (store.Bucket, error) {
	b, err := c.engine().store.Bucket(kvBucketPrefix + name)
	if err != nil {
		return nil, storeError(err)
	}
	return b, nil
}

// storeError translates a store error into the code the guest sees.
func storeError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return abihost.Errorf(abi.ErrnoNotFound, "not found")
	case errors.Is(err, store.ErrTooLarge):
		return abihost.Errorf(abi.ErrnoTooLarge, "%v", err)
	case errors.Is(err, store.ErrInvalidName), errors.Is(err, store.ErrInvalidKey), errors.Is(err, store.ErrInvalidArgument):
		return abihost.Errorf(abi.ErrnoInvalid, "%v", err)
	}
	return err
}

// KVGet implements abihost.Capabilities.
func (c *caps) KVGet(ctx context.Context, name, key string) ([]byte, error) {
	b, err := c.bucket(name)
	if err != nil {
		return nil, err
	}
	v, err := b.Get(ctx, key)
	if err != nil {
		return nil, storeError(err)
	}
	return v, nil
}

// KVPut implements abihost.Capabilities.
func (c *caps) KVPut(ctx context.Context, name, key string, value []byte) error {
	b, err := c.bucket(name)
	if err != nil {
		return err
	}
	return storeError(b.Put(ctx, key, value))
}

// KVDelete implements abihost.Capabilities.
func (c *caps) KVDelete(ctx context.Context, name, key string) error {
	b, err := c.bucket(name)
	if err != nil {
		return err
	}
	return storeError(b.Delete(ctx, key))
}

// KVList implements abihost.Capabilities.
func (c *caps) KVList(ctx context.Context, name, prefix, after string, limit int) ([]string, bool, error) {
	b, err := c.bucket(name)
	if err != nil {
		return nil, false, err
	}
	keys, more, err := b.List(ctx, prefix, after, limit)
	if err != nil {
		return nil, false, storeError(err)
	}
	return keys, more, nil
}

// Fetch implements abihost.Capabilities. A private or loopback address is
// reachable only when the engine allows private networks and the policy
// names the host literally.
func (c *caps) Fetch(ctx context.Context, req *http.Request, allow func(*url.URL) error) (*http.Response, error) {
	e := c.engine()
	pol := c.in.v.cfg.Policy
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	// hop is the URL being requested: egress asks Allow about each hop
	// (the first URL and every redirect) just before it asks PrivateOK
	// about that hop's host, which it gives without the port, while the
	// policy names a host with its port (NamesHost).
	hop := req.URL
	resp, err := e.egress.Do(ctx, req.WithContext(ctx), egress.Options{
		Allow: func(u *url.URL) error {
			if err := allow(u); err != nil {
				return err
			}
			hop = u
			return nil
		},
		PrivateOK: func(host string) bool {
			return e.cfg.AllowPrivateNetworks && strings.EqualFold(hop.Hostname(), host) && pol.NamesHost(policyHost(hop))
		},
	})
	var he *abihost.HostError
	switch {
	case err == nil:
		return resp, nil
	case errors.As(err, &he):
		return nil, he
	case errors.Is(err, egress.ErrBlockedAddress):
		reason := err.Error()
		if blocked := (*egress.BlockedError)(nil); errors.As(err, &blocked) {
			reason = blocked.Error()
		}
		c.in.logs.Log(abi.LevelHost, []byte(policy.HTTPFetch.String()+" on "+hop.String()+": refused by the private-address guard: "+reason))
		c.Denied(policy.HTTPFetch.String(), hop.String())
		return nil, &abihost.HostError{Errno: abi.ErrnoDenied, Msg: err.Error(), Pending: []byte(abihost.GuardPrefix + reason)}
	case errors.Is(err, egress.ErrResponseTooLarge):
		return nil, abihost.Errorf(abi.ErrnoTooLarge, "%v", err)
	case errors.Is(err, egress.ErrInvalidRequest):
		return nil, abihost.Errorf(abi.ErrnoInvalid, "%v", err)
	}
	return nil, abihost.Errorf(abi.ErrnoUnavailable, "%v", err)
}

// policyHost is u's host as a policy's http patterns name it (see
// policy.NamesHost): in lower case, with its port unless it is the
// scheme's default.
func policyHost(u *url.URL) string {
	host := strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(host, ":80")) || (u.Scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return host
}

// Invoke implements abihost.Capabilities: a synchronous invocation one level
// deeper, within the caller's deadline.
func (c *caps) Invoke(ctx context.Context, target string, payload []byte) (abihost.InvokeResult, error) {
	e := c.engine()
	if c.inv.depth+1 > e.cfg.MaxInvokeDepth {
		return abihost.InvokeResult{}, abihost.Errorf(abi.ErrnoLimit,
			"invocation depth limit (%d) reached invoking %s: a recursive loop?", e.cfg.MaxInvokeDepth, target)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	nested := c.inv // the callee inherits the invocation's context
	nested.depth++
	res, err := e.invoke(ctx, target, payload, nested, invokeOptions{})
	switch {
	case err == nil:
	case errors.Is(err, ErrFunctionNotFound):
		return abihost.InvokeResult{}, abihost.Errorf(abi.ErrnoNotFound, "%v", err)
	case errors.Is(err, ErrPayloadTooLarge):
		return abihost.InvokeResult{}, abihost.Errorf(abi.ErrnoTooLarge, "%v", err)
	case errors.Is(err, ErrThrottled), errors.Is(err, ErrClosed):
		return abihost.InvokeResult{}, abihost.Errorf(abi.ErrnoUnavailable, "%v", err)
	default:
		return abihost.InvokeResult{}, err
	}
	if fe := res.FunctionError; fe != nil {
		return abihost.InvokeResult{Failed: true, ErrorType: fe.Type, ErrorMessage: fe.Message}, nil
	}
	return abihost.InvokeResult{Payload: res.Payload}, nil
}

// Config implements abihost.Capabilities.
func (c *caps) Config(_ context.Context, name string) (string, error) {
	v, ok := c.engine().cfg.Parameters[name]
	if !ok {
		return "", abihost.Errorf(abi.ErrnoNotFound, "no configuration value %q", name)
	}
	return v, nil
}

// Denied implements abihost.Capabilities.
func (c *caps) Denied(string, string) { c.in.v.denials.Add(1) }

// mounts returns the instance's file system configuration: the engine's
// mounts, each confined to its directory and checked against the policy
// on every operation. Nil when the engine has none. The instance closes
// them when it retires.
func (in *instance) mounts() (wazero.FSConfig, error) {
	ms := in.v.engine.cfg.Mounts
	check := func(write bool, guestPath string) error {
		if in.snapshotting {
			// What the initializers read would be frozen into every
			// instance, and what they wrote done once for all: no
			// snapshot (see takeSnapshot), nor denial to count.
			in.state.CalledCapability = true
			return errors.New("no file access while a snapshot is taken")
		}
		action := policy.FSRead
		if write {
			action = policy.FSWrite
		}
		resource := "fs:" + guestPath
		if in.state.Allow(action, resource) { // logs and counts a denial
			return nil
		}
		return fmt.Errorf("denied %s on %s", action, resource)
	}
	cfg := wazero.NewFSConfig()
	for _, m := range ms {
		fs, err := sandboxfs.New(m.HostDir, m.GuestPath, check)
		if err != nil {
			return nil, fmt.Errorf("mount %s at %s: %w", m.HostDir, m.GuestPath, err)
		}
		if c, ok := fs.(io.Closer); ok {
			in.closers = append(in.closers, c)
		}
		cfg = cfg.(sysfs.FSConfig).WithSysFSMount(fs, m.GuestPath)
	}
	// Last, so that the mounts' descriptors are the same with or without
	// it (a snapshot records them).
	in.tmp = &tmpFS{
		base: in.v.engine.tmpBase,
		max:  int64(in.v.cfg.EphemeralStorageMB) << 20,
		check: func(write bool, _ string) error {
			if write && in.snapshotting {
				// What init writes would be in every instance's /tmp
				// at once, or in none: no snapshot (see takeSnapshot).
				in.state.CalledCapability = true
				return errors.New("no writing to /tmp while a snapshot is taken")
			}
			return nil
		},
		full: func() { in.state.NoSpace = true },
	}
	in.closers = append(in.closers, in.tmp)
	return cfg.(sysfs.FSConfig).WithSysFSMount(in.tmp, tmpPath), nil
}
