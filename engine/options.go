package engine

import (
	"io"
	"time"

	"github.com/flintfaas/flint/abi/policy"
)

// InvokeOption adjusts one invocation (Invoke, InvokeAsync).
type InvokeOption func(*invokeOptions)

// invokeOptions are an invocation's options, the zero value the defaults.
type invokeOptions struct {
	requestID string
	// stream receives a streamed response (WithResponseStream).
	stream io.Writer
	// target is what the caller invoked ("name", "name:7", "name:live"):
	// the invoked function ARN is the engine's ARN prefix and it.
	target string
	// For asynchronous invocations: overrides of the function's
	// EventInvokeConfig.
	retries   *int
	maxAge    time.Duration
	onFailure string
	// The invocation's context (synchronous invocations only).
	tenant   string
	metadata []metaPair // in the order given
	policies []*policy.Policy
	// httpMsg and httpEvent: WithHTTPRequest.
	httpMsg   []byte
	httpEvent func() []byte
}

// hasContext reports whether o sets any of the invocation's context,
// which only synchronous invocations carry.
func (o *invokeOptions) hasContext() bool {
	return o.tenant != "" || o.metadata != nil || o.policies != nil
}

// invokeOptionsOf applies opts, and checks what they set.
func invokeOptionsOf(opts []InvokeOption) (invokeOptions, error) {
	if len(opts) == 0 {
		return invokeOptions{}, nil // o would escape to the heap below
	}
	var o invokeOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.requestID != "" && !validRequestID(o.requestID) {
		return o, invalid("request id %q: use 1 to 64 letters, digits, hyphens and underscores (a UUID, say)", truncated(o.requestID, 80))
	}
	if o.tenant != "" && !validTenant(o.tenant) {
		return o, invalid("tenant %q: use 1 to %d letters, digits and _ . - @ : + =", truncated(o.tenant, 80), MaxTenantBytes)
	}
	for _, p := range o.metadata {
		if !validMetadataKey(p.key) {
			return o, invalid("metadata key %q: use 1 to %d letters, digits and _ . -", truncated(p.key, 80), maxMetadataKey)
		}
	}
	return o, nil
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// truncated cuts s to n bytes, for messages.
func truncated(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// WithRequestID makes id the invocation's request id instead of a new one:
// a caller that has already given the request an id (a gateway that put it
// in the event, a schedule whose fire time names it) passes it, so that the
// id in the function's logs is the caller's. It is 1 to 64 letters, digits,
// hyphens and underscores.
func WithRequestID(id string) InvokeOption {
	return func(o *invokeOptions) { o.requestID = id }
}

// WithRetryPolicy overrides, for one asynchronous invocation, how many
// times a failure is retried (0 to 185; negative keeps the function's
// setting) and how old the event may grow before it is given up (60 s to
// 24 h; zero keeps the function's setting): EventBridge Scheduler's
// bounds, wider than a function's own. Invoke ignores it.
func WithRetryPolicy(maxRetries int, maxEventAge time.Duration) InvokeOption {
	return func(o *invokeOptions) {
		if maxRetries >= 0 {
			o.retries = &maxRetries
		}
		o.maxAge = maxEventAge
	}
}

// WithFailureDestination overrides, for one asynchronous invocation, where
// its record goes when it fails: a destination as in
// EventInvokeConfig.OnFailure. Invoke ignores it.
func WithFailureDestination(destination string) InvokeOption {
	return func(o *invokeOptions) { o.onFailure = destination }
}

// WithTenant runs the invocation on behalf of tenant (or user) id: host
// capabilities see it in HostCall.Tenant (and can name their resources
// after it), the function reads it from its context (context_get field
// 4; guest.Context.Tenant in the Go SDK), and what the invocation invokes
// in turn (fn_invoke, or Invoke with a host capability's context)
// inherits it. It is 1 to MaxTenantBytes letters, digits and _ . - @ : + =.
// InvokeAsync refuses it.
func WithTenant(id string) InvokeOption {
	return func(o *invokeOptions) { o.tenant = id }
}

// WithMetadata adds key=value to the invocation's metadata, which host
// capabilities see in HostCall.Metadata and the function reads from its
// context (context_get field 5; guest.Context.Metadata), without it being
// part of the payload; nested invocations inherit it. Give it once per
// key (for a key given twice, the last value counts). Keys are 1 to 128
// letters, digits and _ . -; keys and values together are at most
// MaxMetadataBytes. InvokeAsync refuses it.
func WithMetadata(key, value string) InvokeOption {
	return func(o *invokeOptions) { o.metadata = append(o.metadata, metaPair{key, value}) }
}

// WithPolicy runs the invocation under p as well as under its function's
// execution policy: every capability call, the host application's own
// (app:NAME) as much as kv, http, fn, fs and config, must be allowed by
// both, so p narrows what the function may do and never widens it (a
// session policy, in IAM's terms). Choose it per invocation, or per tenant
// from a table of the embedder's; deploy a plugin with the widest policy
// any caller may grant it, and let each invocation's policy say what this
// caller grants. A nil p denies every call. Invocations made from this one
// (fn_invoke, or Invoke with a host capability's context) run under it
// too, besides their own function's policy; given more than once, every
// one applies. InvokeAsync refuses it.
func WithPolicy(p *policy.Policy) InvokeOption {
	return func(o *invokeOptions) { o.policies = append(o.policies, p) }
}

// WithResponseStream streams the invocation's response to w as the function
// produces it, as Lambda's InvokeWithResponseStream does: every time the
// guest calls output_flush (a Go guest: guest.HandleStream's Flush, or an
// http.Flusher under httpguest), what it wrote since is written to w, and
// what is left when the handler returns is written last. Result.Payload is
// then nil and Result.Streamed counts the bytes written. A function that
// never flushes is streamed in one write at its end; a function that fails
// after a flush has had part of its response written, which the caller
// learns from Result.FunctionError. The stream is capped by
// Config.MaxStreamBytes rather than MaxResponseBytes.
//
// Write is called on the invocation's goroutine while the guest waits for
// it, and must not retain the slice. The function's timeout cannot
// interrupt a Write that blocks, so w should give up by itself (the gateway's
// writer fails once the client is gone or the function's time is up); a
// failed Write makes the guest's later flushes fail (UNAVAILABLE) and the
// rest of the response is dropped. If w implements StreamStarter, its
// StartStream learns which version runs the invocation before the handler
// starts. InvokeAsync ignores this option.
func WithResponseStream(w io.Writer) InvokeOption {
	return func(o *invokeOptions) { o.stream = w }
}

// WithHTTPRequest offers the invocation's request as an HTTP/1.1 request
// message, msg, to a function that takes one (abi/SPEC.md, "HTTP requests
// as messages"): when the version that runs exports flint_http_handle
// (a Go guest built with httpguest does), the engine calls it with msg
// instead of calling the handler with the payload, and the response is an
// HTTP/1.1 response message (Result.HTTPResponse is then true). When the
// version does not, or declines the message, or the response is streamed
// (WithResponseStream), the function gets the payload as usual; if
// Invoke's payload is nil, event (when not nil) is called to make it: a
// function URL's payload format 2.0 event, made only when the function
// will read it (once, unless a redeploy makes the engine start the
// invocation again). msg is at most
// Config.MaxRequestBytes, as a payload is. InvokeAsync refuses it.
func WithHTTPRequest(msg []byte, event func() []byte) InvokeOption {
	return func(o *invokeOptions) { o.httpMsg, o.httpEvent = msg, event }
}

// StreamStarter is implemented by a response stream (WithResponseStream)
// that wants to know, before the first byte, which function version runs
// the invocation: the gateway sends it as a header before the body.
type StreamStarter interface {
	// StartStream is called once, when the invocation has an instance of
	// version and is about to run its handler. It is not called when no
	// instance could be made (the Result then carries the init error).
	StartStream(version string)
}
