// Package engine runs WebAssembly functions the way AWS Lambda runs its
// functions: the embeddable core of Flint.
//
// An Engine holds functions. A function is a WebAssembly module (Flint's
// ABI, abi/SPEC.md) with a configuration: its handler, timeout, memory,
// environment and execution policy (what it may reach through the ABI).
// The engine compiles each version once and keeps instances of it
// initialized in a pool, so that an invocation takes an idle instance (a
// warm start) or makes one from compiled code (a cold start, well under a
// millisecond for most guests, from a snapshot of the instance after init).
//
// The API, by what it is for:
//
//   - Lifecycle: New (the zero Config is an in-memory engine with default
//     limits) and Close.
//   - Functions: Deploy (create or replace $LATEST), Update (change its
//     code or configuration), Remove; Function, Functions and Code read
//     them.
//   - Versions and aliases: PublishVersion, Versions, DeleteVersion;
//     SetAlias, Alias, Aliases, DeleteAlias. Versions are immutable; an
//     alias may route a share of invocations to a second version.
//   - Settings, which Lambda keeps beside the versions: reserved and
//     provisioned concurrency, asynchronous invocation, the invoke policy,
//     function URLs. Settings reads them, UpdateSettings changes them.
//   - Invoking: Invoke (synchronous) and InvokeAsync (queued durably,
//     retried, with destinations and a dead-letter store: DeadLetters,
//     DeadLetter, DeleteDeadLetter, Redrive).
//   - The host application's own capabilities: Config.HostCapabilities
//     (HostCapability, HostFunc, HostCall), which functions call by name,
//     each call checked by their policies; the invocation's context,
//     options of Invoke: WithTenant, WithMetadata and WithPolicy (which
//     narrows the function's policy for that invocation).
//   - Observing: Logs and FollowLogs (per-invocation logs with Lambda's
//     START, END and REPORT lines), Stats, Metrics and Usage.
//
// Errors are values to match with errors.Is: ErrFunctionNotFound,
// ErrThrottled, ErrInvalidFunction, ErrInvalidModule (a *ModuleError says
// why), ErrPayloadTooLarge, ErrClosed... A function that ran and failed is
// not an Invoke error: it is Result.FunctionError, which unwraps to
// ErrTimeout, ErrTrap, ErrMemoryLimit and the like. IsPassing says which
// Invoke errors are worth waiting out (a throttle, an unreachable store).
//
// Storage is in memory unless Config.DataDir names a directory, where the
// engine keeps its functions, code, key-value data, async queue and
// compiled code, and finds them again after a restart. Config.Store takes
// another implementation of engine/store (the server shares one between
// the engine and its own records).
//
// What the engine keeps to itself lives under engine/internal: the
// instance pool, the async queue, the ABI's host functions, the module
// rewriter, the outbound HTTP client and the sandboxed file system.
// docs/RATIONALE.md says why it is built the way it is.
package engine
