package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine/internal/abihost"
)

// HostCapability is one of the host application's own capabilities: a
// function of the embedder's that Flint functions call by name through
// the ABI's app_call (guest.Call in the Go SDK), each call checked first
// by the calling function's execution policy (and the invocation's, see
// WithPolicy) as the action "app:"+Name on the resource Resource names.
// A denied call does nothing; it is logged in the invocation's log and
// counted in Stats.Denials, as every capability's denial is.
type HostCapability struct {
	// Name is what functions call it by: 1 to 128 ASCII letters, digits,
	// '_', '.' and '-', starting with a letter ("orders.Get"). Its policy
	// action is "app:"+Name ("app:orders.Get").
	Name string
	// Resource names the resource a call is checked on, from the call
	// (its payload, its invocation's tenant and metadata): a string that
	// starts with "app:", such as "app:orders/"+call.Tenant+"/"+id, which
	// policies grant with patterns like "app:orders/tenant-42/*". It runs
	// before the policy check, so it must do nothing but name; an error it
	// returns fails the call as Handler's would (ErrInvalidArgument for a
	// payload it cannot read). Nil: every call is checked on "app:"+Name.
	Resource func(call HostCall) (string, error)
	// Handler performs a call the policies allowed.
	Handler HostFunc
}

// HostFunc performs a call of a host capability, and returns the result
// the calling function reads (at most Config.MaxResponseBytes; the engine
// keeps the slice until the guest has copied it, so do not modify it
// afterwards).
//
// ctx is done when the invocation times out or its caller gives up; its
// deadline is the invocation's. It also carries the invocation: Invoke
// called with ctx (or a context derived from it) continues the chain,
// counting towards Config.MaxInvokeDepth and inheriting the tenant,
// metadata and policies. A handler must return when ctx is done: the
// calling function cannot be stopped while it waits for its handler.
//
// The error chooses what the function sees: ErrNotFound, ErrDenied,
// ErrInvalidArgument, ErrUnavailable, ErrPayloadTooLarge and the other
// sentinels listed with them (alone or wrapped) give their ABI code; a
// *CapabilityError gives its type and message; anything else is
// INTERNAL, its text written to Config.Logger and never shown to the
// function. A panic is recovered and reported the same way, with its
// stack.
type HostFunc func(ctx context.Context, call HostCall) ([]byte, error)

// HostCall is one call of a host capability: who made it and what it sent.
type HostCall struct {
	// Capability is the name the function called ("orders.Get").
	Capability string
	// Function and Version name the calling function; RequestID is its
	// invocation's (empty when the call comes from the function's init).
	Function, Version, RequestID string
	// Tenant and Metadata are what the invocation's caller gave it
	// (WithTenant, WithMetadata), or inherited from the invocation that
	// invoked it.
	Tenant   string
	Metadata Metadata
	// Payload is what the function sent: a copy, the handler's to keep.
	Payload []byte
	// Resource is the resource the call was checked on and allowed; empty
	// while HostCapability.Resource runs.
	Resource string
}

// hostCapability is a HostCapability ready to call.
type hostCapability struct {
	HostCapability
	action   string // "app:"+Name
	resource string // the resource when Resource is nil: "app:"+Name
}

// hostCapabilities checks the embedder's capabilities and indexes them by
// name.
func hostCapabilities(list []HostCapability) (map[string]*hostCapability, error) {
	m := make(map[string]*hostCapability, len(list))
	for i, hc := range list {
		switch {
		case !policy.ValidAppName(hc.Name):
			return nil, fmt.Errorf("%w: host capability %d: name %q: use 1 to %d letters, digits and _ . -, starting with a letter",
				ErrInvalidConfig, i, truncated(hc.Name, 80), policy.MaxAppNameLen)
		case hc.Handler == nil:
			return nil, fmt.Errorf("%w: host capability %q has no Handler", ErrInvalidConfig, hc.Name)
		case m[hc.Name] != nil:
			return nil, fmt.Errorf("%w: host capability %q is given twice", ErrInvalidConfig, hc.Name)
		}
		action := policy.AppPrefix + hc.Name
		m[hc.Name] = &hostCapability{HostCapability: hc, action: action, resource: action}
	}
	return m, nil
}

// hostCall describes a call of hc with payload by the instance's current
// invocation.
func (c *caps) hostCall(hc *hostCapability, payload []byte) HostCall {
	in := c.in
	return HostCall{
		Capability: hc.Name, Function: in.v.name, Version: in.v.version, RequestID: in.state.RequestID,
		Tenant: c.inv.tenant, Metadata: c.inv.metadata, Payload: payload,
	}
}

// ResolveApp implements abihost.Capabilities: it finds the capability and
// asks it for the resource of the call.
func (c *caps) ResolveApp(_ context.Context, name, payload []byte) (abihost.AppCall, error) {
	hc := c.engine().hostCaps[string(name)] // no allocation for the lookup
	if hc == nil {
		if !policy.ValidAppName(string(name)) {
			return abihost.AppCall{}, abihost.Errorf(abi.ErrnoInvalid, "%q is not a capability name", name)
		}
		return abihost.AppCall{}, abihost.Errorf(abi.ErrnoNotFound, "no host capability %s", name)
	}
	resource := hc.resource
	if hc.Resource != nil {
		var err error
		if resource, err = c.resourceOf(hc, c.hostCall(hc, payload)); err != nil {
			return abihost.AppCall{}, c.capabilityError(hc, "Resource", err)
		}
	}
	return abihost.AppCall{Action: hc.action, Resource: resource, Payload: payload, Capability: hc}, nil
}

// resourceOf runs hc.Resource, turning a panic into an error and checking
// what it names.
func (c *caps) resourceOf(hc *hostCapability, call HostCall) (resource string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &capabilityPanic{value: r, stack: debug.Stack()}
		}
	}()
	resource, err = hc.Resource(call)
	if err == nil && !strings.HasPrefix(resource, policy.AppPrefix) {
		err = fmt.Errorf("the capability's Resource named %q, which does not start with %q", truncated(resource, 80), policy.AppPrefix)
	}
	return resource, err
}

// CallApp implements abihost.Capabilities: it runs the handler of a call
// the policies allowed.
func (c *caps) CallApp(ctx context.Context, call abihost.AppCall) (abihost.InvokeResult, error) {
	hc := call.Capability.(*hostCapability)
	hcall := c.hostCall(hc, call.Payload)
	hcall.Resource = call.Resource
	out, err := c.runHandler(c.hostContext(ctx), hc, hcall)
	if err == nil {
		return abihost.InvokeResult{Payload: out}, nil
	}
	var ce *CapabilityError
	var fe *FunctionError
	switch {
	case errors.As(err, &ce):
		return failedCall(ce.Type, ce.Message), nil
	case errors.As(err, &fe):
		return failedCall(fe.Type, fe.Message), nil
	}
	return abihost.InvokeResult{}, c.capabilityError(hc, "Handler", err)
}

// runHandler calls hc's handler, turning a panic into an error.
func (c *caps) runHandler(ctx context.Context, hc *hostCapability, call HostCall) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &capabilityPanic{value: r, stack: debug.Stack()}
		}
	}()
	return hc.Handler(ctx, call)
}

// failedCall is a host capability's typed failure, as the guest sees a
// failed function: its type (default "Error") and message, cut to the
// ABI's limits for error_set.
func failedCall(typ, msg string) abihost.InvokeResult {
	if typ == "" {
		typ = "Error"
	}
	return abihost.InvokeResult{Failed: true, ErrorType: truncated(typ, abi.MaxErrorType), ErrorMessage: truncated(msg, abi.MaxErrorMessage)}
}

// capabilityPanic is a panic of a host capability's Handler or Resource.
type capabilityPanic struct {
	value any
	stack []byte
}

func (p *capabilityPanic) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// capabilityErrnos map what a host capability may return to the code the
// guest sees, first match first; any other error is INTERNAL.
var capabilityErrnos = [...]struct {
	err   error
	errno abi.Errno
}{
	{ErrNotFound, abi.ErrnoNotFound},
	{ErrFunctionNotFound, abi.ErrnoNotFound},
	{ErrDenied, abi.ErrnoDenied},
	{ErrInvalidArgument, abi.ErrnoInvalid},
	{ErrPayloadTooLarge, abi.ErrnoTooLarge},
	{ErrResponseTooLarge, abi.ErrnoTooLarge},
	{ErrInvokeDepth, abi.ErrnoLimit},
	{ErrUnavailable, abi.ErrnoUnavailable},
	{ErrThrottled, abi.ErrnoUnavailable},
	{ErrClosed, abi.ErrnoUnavailable},
	{context.DeadlineExceeded, abi.ErrnoUnavailable},
	{context.Canceled, abi.ErrnoUnavailable},
}

// capabilityError translates what hc's handler (or Resource, per part)
// returned into the code the guest sees. The error's text is for the
// embedder only: a function, perhaps a tenant's, must not read the host's
// internals, so an INTERNAL error and a panic are written to the engine's
// logger, and the invocation's log says only where to look.
func (c *caps) capabilityError(hc *hostCapability, part string, err error) error {
	for _, m := range capabilityErrnos {
		if errors.Is(err, m.err) {
			return &abihost.HostError{Errno: m.errno, Msg: hc.action + ": " + m.errno.String()}
		}
	}
	in := c.in
	attrs := []any{"capability", hc.Name, "part", part, "function", in.v.name, "version", in.v.version,
		"requestId", in.state.RequestID, "err", err}
	msg := "host capability failed"
	var p *capabilityPanic
	if errors.As(err, &p) {
		msg = "host capability panicked"
		attrs = append(attrs, "stack", string(p.stack))
	}
	c.engine().cfg.Logger.Error(msg, attrs...)
	return &abihost.HostError{Errno: abi.ErrnoInternal,
		Msg: hc.action + ": the host capability failed; the host application's log has the details"}
}

// hostContext is the context a handler runs under for the instance's
// current invocation.
func (c *caps) hostContext(ctx context.Context) context.Context {
	return &hostCallContext{parent: ctx, call: c.in.call, deadline: c.in.state.Deadline, inv: c.inv}
}

// hostCallContext is a host capability's context: done when the calling
// instance is killed (timed out, or its caller gave up), with the
// invocation's deadline, carrying the invocation so that Invoke with it
// continues the chain. Its invocation is a copy: a handler that keeps the
// context never sees a later invocation's.
type hostCallContext struct {
	parent   context.Context
	call     *callContext
	deadline time.Time
	inv      invocation
}

// Deadline returns the invocation's deadline (none during init).
func (h *hostCallContext) Deadline() (time.Time, bool) { return h.deadline, !h.deadline.IsZero() }

// Done is closed when the calling instance is killed.
func (h *hostCallContext) Done() <-chan struct{} { return h.call.Done() }

// Err says why Done was closed.
func (h *hostCallContext) Err() error { return h.call.Err() }

// Value returns the invocation for invocationKey, and the parent's values
// otherwise.
func (h *hostCallContext) Value(key any) any {
	if _, ok := key.(invocationKey); ok {
		return &h.inv
	}
	return h.parent.Value(key)
}

// AfterFunc lets the context package watch the context without a
// goroutine, as callContext does.
func (h *hostCallContext) AfterFunc(f func()) (stop func() bool) { return h.call.AfterFunc(f) }
