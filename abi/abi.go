// Package abi is the contract of Flint's host ABI: the "flint" host
// module's name and version, the exports a guest must and may have, and
// the codes, fields, levels and limits both sides agree on. It holds no
// implementation: the host side is the engine's (engine/internal/abihost)
// and the Go guest side is abi/guest.
//
// SPEC.md in this folder is the contract in full, from which a guest in
// any language can be written; POLICY.md describes execution policies.
package abi

// Module and export names fixed by ABI v1.
const (
	// ModuleName is the import module of every host function.
	ModuleName = "flint"
	// Version is the ABI version this host speaks.
	Version = 1
	// VersionExportPrefix starts the marker export by which a guest states
	// the ABI version it was built for: "flint_abi_version_1" for v1.
	VersionExportPrefix = "flint_abi_version_"
	// VersionExport is the marker export for Version.
	VersionExport = "flint_abi_version_1"
	// DefaultHandler is the handler export called when a function's
	// configuration names none.
	DefaultHandler = "handle"
	// InitExport is the optional guest init hook: () -> i32, zero on success.
	InitExport = "flint_init"
	// ShutdownExport is the optional guest hook run when an instance retires.
	ShutdownExport = "flint_shutdown"
	// MemoryExport is the linear memory the host reads and writes.
	MemoryExport = "memory"
	// ReactorInit is the WASI reactor's language-runtime initializer.
	ReactorInit = "_initialize"
	// CommandStart is the WASI command entry point, which Flint refuses.
	CommandStart = "_start"
	// WASIModuleName is the import module of WASI preview 1.
	WASIModuleName = "wasi_snapshot_preview1"
	// HTTPHandlerExport is the optional handler of HTTP requests, (i32
	// input_len) -> (i32 status): a function that exports it receives a
	// function URL's request as an HTTP/1.1 request message and answers with
	// an HTTP/1.1 response message, instead of the payload format 2.0 event
	// and its JSON response (abi/SPEC.md, "HTTP requests as messages").
	HTTPHandlerExport = "flint_http_handle"
	// SourceIPHeader is the header by which the host tells an HTTP
	// handler the client's address; the host drops the client's own.
	SourceIPHeader = "Flint-Source-Ip"
)

// StatusDecline is what the HTTP handler export returns to decline a
// request message: the host then calls the function's handler with the
// payload format 2.0 event instead, on the same instance.
const StatusDecline = 2

// Handler status codes: what a handler export returns.
const (
	// StatusOK means the output written is the response payload.
	StatusOK = 0
	// StatusError means the handler failed in a way it handled; error_set
	// gave the type and message.
	StatusError = 1
)

// Errno is an error code a host function returns to the guest, negated:
// a host function result below zero is -Errno.
type Errno int32

// Error codes of ABI v1. Their numbers are part of the contract.
const (
	ErrnoOK       Errno = 0
	ErrnoBounds   Errno = 1 // a pointer or length falls outside linear memory
	ErrnoTooLarge Errno = 2 // a size limit was exceeded
	ErrnoInvalid  Errno = 3 // an argument is not valid (unknown field, level...)
	ErrnoNotFound Errno = 4 // the thing asked for does not exist
	ErrnoState    Errno = 5 // the call makes no sense now (input_read during init)
	ErrnoDenied   Errno = 6 // the execution policy denies the call
	ErrnoInternal Errno = 7 // the host failed; the message is in the log
	// ErrnoFunction: the invoked function failed; the pending result holds
	// {"errorType": ..., "errorMessage": ...}.
	ErrnoFunction Errno = 8
	// ErrnoLimit: a limit was reached (invocation depth, concurrency).
	ErrnoLimit Errno = 9
	// ErrnoUnavailable: the target could not be reached (network error,
	// timeout, throttled); trying again later may work.
	ErrnoUnavailable Errno = 10
)

var errnoNames = [...]string{
	ErrnoOK:          "ok",
	ErrnoBounds:      "out of bounds",
	ErrnoTooLarge:    "too large",
	ErrnoInvalid:     "invalid argument",
	ErrnoNotFound:    "not found",
	ErrnoState:       "not allowed in this phase",
	ErrnoDenied:      "denied by policy",
	ErrnoInternal:    "host error",
	ErrnoFunction:    "function error",
	ErrnoLimit:       "limit reached",
	ErrnoUnavailable: "unavailable",
}

// String names the error code.
func (e Errno) String() string {
	if e >= 0 && int(e) < len(errnoNames) {
		return errnoNames[e]
	}
	return "unknown error"
}

// Result encodes the errno as a host function's i32 result.
func (e Errno) Result() uint64 { return uint64(uint32(-int32(e))) }

// Context fields readable with context_get.
const (
	FieldRequestID       = 0
	FieldFunctionName    = 1
	FieldFunctionVersion = 2
	FieldInvokedARN      = 3
	// FieldTenant is the tenant (or user) on whose behalf the invocation
	// runs, as its caller gave it (engine.WithTenant); empty when none.
	FieldTenant = 4
	// FieldMetadata is the invocation's metadata from its caller
	// (engine.WithMetadata), encoded by EncodeMetadata.
	FieldMetadata = 5
)

// Level is the severity of a log line written with the log host function.
type Level int32

// Log levels of ABI v1.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
	// LevelHost marks the host's own lines (denials, truncation); guests
	// cannot log at it.
	LevelHost Level = 4
)

var levelNames = [...]string{"DEBUG", "INFO", "WARN", "ERROR", "FLINT"}

// String returns the level's name as it appears in logs.
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "LEVEL?"
}

// Size limits the host enforces on single ABI calls, checked before
// anything else: a longer argument fails with ErrnoTooLarge (error_set's)
// or ErrnoInvalid (a capability call's).
const (
	// MaxErrorType caps error_set's type argument.
	MaxErrorType = 256
	// MaxErrorMessage caps error_set's message argument.
	MaxErrorMessage = 64 << 10
	// MaxStoreName caps a kv_* store name.
	MaxStoreName = 64
	// MaxKey caps a kv_* key (and kv_list's prefix and after).
	MaxKey = 1024
	// MaxTargetName caps fn_invoke's target.
	MaxTargetName = 256
	// MaxConfigName caps config_get's name.
	MaxConfigName = 256
	// MaxListLimit caps kv_list's limit.
	MaxListLimit = 1000
	// MaxCapabilityName caps app_call's name (policy.MaxAppNameLen).
	MaxCapabilityName = 128
)
