package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/flintfaas/flint/engine/internal/abihost"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine/internal/wasmbin"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

// instance is one execution environment of a function version: a module
// instance with its ABI state, log buffer and memory. It serves one call at
// a time; the pool hands it to one goroutine at a time.
type instance struct {
	v       *version
	mod     api.Module
	handler api.Function
	// httpHandler is abi.HTTPHandlerExport, when the module has it.
	httpHandler api.Function
	shutdown    api.Function
	stack       [1]uint64 // reused for every call: no per-call allocation
	state       abihost.State
	logs        *logBuffer
	alloc       allocator
	call        *callContext
	caps        caps
	watch       *watchdog   // invocation timeouts
	phase       *time.Timer // init and shutdown timeouts
	stopCtx     func() bool
	watched     context.Context // the caller's context stopCtx watches
	snap        *snapshot       // the snapshot it started from, if any
	interrupt   api.MutableGlobal
	// snapshotting marks the instance a snapshot is being taken of.
	snapshotting bool
	// skipShutdown says the guest's shutdown hook must not run when the
	// instance is destroyed: recycle ran it already (and the reset then
	// failed), or the init of a reset instance failed.
	skipShutdown bool
	closers      []io.Closer // the instance's mounts and /tmp
	tmp          *tmpFS

	initDuration time.Duration
	// fresh says the instance was made (not reset) and has not been
	// called yet; prefaulted is what it holds of Config.PrefaultBytes
	// until then (prefault.go).
	fresh      bool
	prefaulted int64
}

// callContext is the context every call into one instance runs under. It is
// built once per instance, so a call allocates no context. It carries the
// instance's ABI state to the host functions. Killing it (timeout or
// cancellation) sets the module's interrupt global, so the guest traps at
// its next loop iteration (see wasmbin.Prepare), and closes Done, which
// wakes host calls that wait (sleep, I/O). A killed instance is never
// reused.
type callContext struct {
	parent    context.Context
	done      chan struct{}
	mu        sync.Mutex
	err       error
	interrupt api.MutableGlobal
	afters    map[*afterFunc]struct{}
}

type afterFunc struct{ f func() }

// AfterFunc arranges for f to run when the context is killed. The context
// package uses it (through an unexported interface) when a context is
// derived from this one, instead of starting a goroutine to watch Done:
// capability calls derive a deadline context on every call.
func (c *callContext) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	if c.afters == nil {
		c.afters = map[*afterFunc]struct{}{}
	}
	c.afters[a] = struct{}{}
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.afters[a]
		delete(c.afters, a)
		return ok
	}
}

func (c *callContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *callContext) Done() <-chan struct{}       { return c.done }
func (c *callContext) Value(key any) any           { return c.parent.Value(key) }
func (c *callContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// killer returns a function that kills c: bound to c, not to whichever
// call context its instance has when it runs.
func (c *callContext) killer(err error) func() { return func() { c.kill(err) } }

func (c *callContext) kill(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
		if c.interrupt != nil {
			c.interrupt.Set(1)
		}
		for a := range c.afters {
			go a.f()
		}
		c.afters = nil
	}
}

// setInterrupt records the instance's interrupt global once instantiated;
// a kill that came first is applied at once.
func (c *callContext) setInterrupt(g api.MutableGlobal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.interrupt = g
	if c.err != nil {
		g.Set(1)
	}
}

// newInstance creates an instance of v and runs its init: from v's
// snapshot when it has one (the module restored to its state after init,
// the memory image mapped copy-on-write), else the module's start
// function, the language runtime's _initialize, then the guest's
// flint_init if exported. It is the one place instances are made. On
// failure it returns an *initError.
func (v *version) newInstance(ctx context.Context) (*instance, error) {
	return v.makeInstance(ctx, v.snap, false)
}

// makeInstance makes an instance from snap (nil: from the module), or, with
// snapshotting, the instance a snapshot is taken of.
func (v *version) makeInstance(ctx context.Context, snap *snapshot, snapshotting bool) (*instance, error) {
	e := v.engine
	in := &instance{v: v, logs: newLogBuffer(e.cfg.MaxLogBytes), snap: snap, snapshotting: snapshotting, fresh: !snapshotting}
	in.caps = caps{in: in}
	in.state = abihost.State{
		FunctionName:    v.name,
		FunctionVersion: v.version,
		ARNPrefix:       e.arnPrefix,
		MaxOutput:       e.cfg.MaxResponseBytes,
		Log:             in.logs,
		Policy:          v.cfg.Policy,
		Caps:            &in.caps,
		MaxAppPayload:   e.cfg.MaxRequestBytes,
		MaxAppResult:    e.cfg.MaxResponseBytes,
		Snapshotting:    snapshotting,
	}
	in.alloc.limit = uint64(v.cfg.MemoryMB) << 20
	in.alloc.regions = e.regions
	switch {
	case snap != nil:
		in.alloc.file, in.alloc.initial, in.alloc.size = snap.file, snap.memory, snap.size
		in.logs.buf = append(in.logs.buf, snap.initLogs...)
	default:
		in.alloc.initial = v.mod.image
	}
	// The state goes outermost: host functions look it up on every call.
	parent := abihost.WithState(experimental.WithMemoryAllocator(context.Background(), &in.alloc), &in.state)
	in.call = &callContext{parent: parent, done: make(chan struct{})}
	timedOut := func() { in.call.kill(context.DeadlineExceeded) }
	in.watch = newWatchdog(e.start, in.call.killer(context.DeadlineExceeded))

	start := time.Now()
	in.state.Phase = abihost.PhaseInit
	in.phase = time.AfterFunc(e.cfg.InitTimeout, timedOut)
	in.watchContext(ctx)
	fe := in.init(v)
	in.phase.Stop()
	if killed := in.endCall(); killed && fe == nil {
		fe = in.failure(context.DeadlineExceeded)
	}
	in.state.Phase = abihost.PhaseIdle
	in.initDuration = time.Since(start)
	if fe != nil {
		ie := &initError{
			fe: &FunctionError{Type: ErrorTypeInit, Message: fe.Error(), Unhandled: true,
				cause: errors.Join(ErrInitFailed, fe.cause)},
			logs:     in.logs.take(),
			duration: in.initDuration,
		}
		in.destroy(true)
		return nil, ie
	}
	in.state.Reset() // an error_set made during init must not stand in for the first invocation's
	in.alloc.clearRefused()
	return in, nil
}

// init instantiates the module and runs its initializers.
func (in *instance) init(v *version) *FunctionError {
	cfg := v.modCfg.WithStdout(&in.logs.stdout).WithStderr(&in.logs.stderr).WithNanosleep(in.nanosleep)
	fsc, err := in.mounts()
	if err != nil {
		return unhandled(ErrInitFailed, ErrorTypeInit, "%v", err)
	}
	cfg = cfg.WithFSConfig(fsc)
	m := v.mod
	runStart, runReactor, runInit := m.hasStart, m.hasReactorInit, m.hasInit
	switch {
	case in.snap != nil:
		// The snapshot holds the state the initializers made.
		runStart, runReactor = false, false
		runInit = runInit && !in.snap.includesInit
	case in.snapshotting:
		runInit = runInit && v.cfg.SnapshotInit
	}
	mod, err := v.engine.runtime.InstantiateModule(in.call, m.compiled, cfg)
	if err != nil {
		return in.failure(err)
	}
	if in.snap != nil {
		for _, g := range in.snap.globals {
			mg, ok := mod.ExportedGlobal(g.export).(api.MutableGlobal)
			if !ok {
				in.mod = mod
				return unhandled(ErrInitFailed, ErrorTypeInit, "snapshot global %s is missing", g.export)
			}
			mg.Set(g.value)
		}
	}
	in.mod = mod
	g, ok := mod.ExportedGlobal(wasmbin.InterruptExport).(api.MutableGlobal)
	if !ok {
		return unhandled(ErrInitFailed, ErrorTypeInit, "module lacks its interrupt global")
	}
	in.call.setInterrupt(g)
	in.interrupt = g
	in.handler = mod.ExportedFunction(v.cfg.Handler)
	if v.mod.hasShutdown {
		in.shutdown = mod.ExportedFunction(abi.ShutdownExport)
	}
	if v.mod.hasHTTPHandler {
		in.httpHandler = mod.ExportedFunction(abi.HTTPHandlerExport)
	}
	if runStart {
		if err := mod.ExportedFunction(wasmbin.StartExport).CallWithStack(in.call, in.stack[:]); err != nil {
			return in.failure(err)
		}
	}
	if runReactor {
		if err := mod.ExportedFunction(abi.ReactorInit).CallWithStack(in.call, in.stack[:]); err != nil {
			return in.failure(err)
		}
	}
	if runInit {
		if err := mod.ExportedFunction(abi.InitExport).CallWithStack(in.call, in.stack[:]); err != nil {
			return in.failure(err)
		}
		if status := int32(in.stack[0]); status != abi.StatusOK {
			return &FunctionError{Type: in.errorType("InitError"), Message: in.errorMessage(
				fmt.Sprintf("init hook returned status %d", status)), Unhandled: true}
		}
	}
	return nil
}

// reset returns an instance started from a mapped snapshot to the
// snapshot's state — its memory remapped from the image, its globals set
// back — so that it serves as a fresh instance without being instantiated
// again (wazero rebuilds a Go guest's function table at every
// instantiation). It reports whether it could: not when the memory grew
// (wazero cannot shrink it, and a guest's allocator could notice), not
// after the guest exited, not when the engine has mounts (files the guest
// opened stay open in its WASI table).
func (in *instance) reset() bool {
	if !in.resettable() || !in.alloc.remap(in.snap.file) {
		return false
	}
	snap := in.snap
	for _, g := range snap.globals {
		mg, ok := in.mod.ExportedGlobal(g.export).(api.MutableGlobal)
		if !ok {
			return false
		}
		mg.Set(g.value)
	}
	if in.call.Err() != nil {
		// Killed: a new call context and watchdog, the interrupt cleared.
		in.call = &callContext{parent: in.call.parent, done: make(chan struct{})}
		in.interrupt.Set(0)
		in.call.setInterrupt(in.interrupt)
		in.watch.stop()
		in.watch = newWatchdog(in.v.engine.start, in.call.killer(context.DeadlineExceeded))
	}
	in.state.Reset()
	in.logs.take()
	in.logs.buf = append(in.logs.buf, snap.initLogs...)
	in.skipShutdown = false // a fresh instance again
	if in.v.mod.hasInit && !snap.includesInit {
		// The guest's own init runs in every fresh instance. One whose
		// init failed is destroyed without its shutdown hook, as a new
		// instance would be.
		in.skipShutdown = !in.runInitHook()
		return !in.skipShutdown
	}
	return true
}

// resettable reports whether reset can work: see reset.
func (in *instance) resettable() bool {
	snap := in.snap
	if snap == nil || snap.file == nil || in.mod == nil || in.mod.IsClosed() || len(in.v.engine.cfg.Mounts) > 0 ||
		(in.tmp != nil && in.tmp.used()) {
		return false // files it opened would stay open, and /tmp would not be empty
	}
	mem := in.mod.Memory()
	return mem != nil && uint64(mem.Size()) == snap.size
}

// runInitHook runs flint_init on a reset instance, under the init
// timeout; false when it fails (the instance is then discarded).
func (in *instance) runInitHook() bool {
	in.state.Phase = abihost.PhaseInit
	in.phase.Reset(in.v.engine.cfg.InitTimeout)
	err := in.mod.ExportedFunction(abi.InitExport).CallWithStack(in.call, in.stack[:])
	in.phase.Stop()
	in.state.Phase = abihost.PhaseIdle
	ok := err == nil && int32(in.stack[0]) == abi.StatusOK && in.call.Err() == nil
	in.state.Reset()
	return ok
}

// initError is a failed instance creation, returned through the pool.
type initError struct {
	fe       *FunctionError
	logs     []byte
	duration time.Duration
}

func (e *initError) Error() string { return e.fe.Error() }
func (e *initError) Unwrap() error { return e.fe }

// nanosleep is WASI's sleep for this instance: it wakes early when the
// instance is killed, so a sleeping guest cannot outlive its timeout.
func (in *instance) nanosleep(ns int64) {
	t := time.NewTimer(time.Duration(ns))
	select {
	case <-t.C:
	case <-in.call.done:
		t.Stop()
	}
}

// watchContext kills the instance when ctx is done, for the call about to
// start. Contexts that cannot be done cost nothing.
func (in *instance) watchContext(ctx context.Context) {
	if ctx.Done() != nil {
		call := in.call // not a later call context, should the kill come late
		in.stopCtx = context.AfterFunc(ctx, func() { call.kill(callerError(ctx)) })
		in.watched = ctx
	}
}

func callerError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return context.Canceled
}

// endCall stops watching the caller's context and reports whether the
// instance was killed during the call.
func (in *instance) endCall() (killed bool) {
	if in.stopCtx != nil {
		if !in.stopCtx() {
			// The caller's context ended, and its kill runs in a goroutine
			// that may not have run yet: kill now, so that the kill counts
			// for this call and cannot land on the next caller's.
			in.call.kill(callerError(in.watched))
		}
		in.stopCtx, in.watched = nil, nil
	}
	select {
	case <-in.call.done:
		return true
	default:
		return false
	}
}

// invoke runs the handler on payload for inv, with its caller's options o,
// and fills res. It reports whether the instance is broken and must be
// discarded.
func (in *instance) invoke(ctx context.Context, payload []byte, asHTTP bool, inv invocation, res *Result, o *invokeOptions) (broken bool) {
	s := &in.state
	s.Phase = abihost.PhaseInvoke
	in.caps.inv = inv
	s.Tenant, s.Metadata, s.Session = inv.tenant, inv.metadata.encoded, inv.session
	s.Input = payload
	s.RequestID = res.RequestID
	s.InvokedTarget = o.target
	if o.stream != nil {
		s.Stream, s.MaxStream = o.stream, int64(in.v.engine.cfg.MaxStreamBytes)
	}
	in.logs.reqID = res.RequestID

	now := time.Now()
	deadline := now.Add(in.v.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	s.Deadline = deadline
	in.watch.arm(now, deadline)
	in.watchContext(ctx)
	var err error
	if asHTTP {
		// The request as an HTTP/1.1 message; a guest may decline it
		// (StatusDecline), and then gets the event the way any function
		// does.
		s.Input = o.httpMsg
		in.stack[0] = uint64(len(o.httpMsg))
		err = in.httpHandler.CallWithStack(in.call, in.stack[:])
		if err == nil && int32(in.stack[0]) == abi.StatusDecline && !s.OutputTooLarge {
			asHTTP = false
			s.Output, s.ErrorSet, s.ErrorType, s.ErrorMessage = s.Output[:0], false, "", ""
			if payload == nil && o.httpEvent != nil {
				payload = o.httpEvent()
			}
			if limit := in.v.engine.cfg.MaxRequestBytes; len(payload) > limit {
				res.FunctionError = unhandled(ErrPayloadTooLarge, ErrorTypeRequestTooLarge,
					"the function declined the HTTP request message, and its event is %d bytes, over the %d-byte limit", len(payload), limit)
			}
		}
	}
	if !asHTTP && res.FunctionError == nil {
		s.Input = payload
		in.stack[0] = uint64(len(payload))
		err = in.handler.CallWithStack(in.call, in.stack[:])
	}
	res.Duration = time.Since(now)
	if in.watch.disarm() {
		// The watchdog decided the call timed out; its kill may still be
		// on its way. Kill now, for the same reason as endCall.
		in.call.kill(context.DeadlineExceeded)
	}
	killed := in.endCall()

	status := int32(in.stack[0])
	switch {
	case err != nil || killed:
		// A guest can return normally after the kill, when nothing it ran
		// since checked for it (a WASI sleep cut short, then a return):
		// it still ran out of time, and what it returns is not trusted.
		res.FunctionError = in.failure(err)
		broken = true
	case s.OutputTooLarge:
		limit := int64(s.MaxOutput)
		if s.Stream != nil {
			limit = s.MaxStream
		}
		res.FunctionError = unhandled(ErrResponseTooLarge, ErrorTypeResponseTooLarge,
			"response payload size exceeded the maximum allowed payload size (%d bytes)", limit)
	case status == abi.StatusOK && s.Stream != nil:
		s.Flush() // the rest; a failed write leaves the caller to notice
	case res.FunctionError != nil:
		// set above: the event of a declined HTTP request
	case status == abi.StatusOK:
		res.Payload = bytes.Clone(s.Output)
		res.HTTPResponse = asHTTP
	case status == abi.StatusError:
		res.FunctionError = &FunctionError{
			Type:    in.errorType("Error"),
			Message: in.errorMessage("the handler reported an error without calling error_set"),
		}
	default:
		res.FunctionError = unhandled(ErrTrap, ErrorTypeTrap, "handler returned unknown status %d", status)
		broken = true
	}
	if mem := in.mod.Memory(); mem != nil {
		res.MemoryUsed = uint64(mem.Size())
	}
	in.alloc.clearRefused() // judged: the next invocation starts clean
	res.Streamed = s.Streamed
	res.Logs = in.logs.take()
	in.logs.reqID = ""
	s.Reset()
	in.caps.inv = invocation{} // an init hook that runs next belongs to no invocation
	s.Phase = abihost.PhaseIdle
	return broken || killed
}

func (in *instance) errorType(def string) string {
	if in.state.ErrorSet && in.state.ErrorType != "" {
		return in.state.ErrorType
	}
	return def
}

func (in *instance) errorMessage(def string) string {
	if in.state.ErrorSet {
		return in.state.ErrorMessage
	}
	return def
}

// failure sorts the error of a guest call into a typed FunctionError:
// killed (timeout or cancellation), over the memory cap, exited, trapped.
func (in *instance) failure(err error) *FunctionError {
	phase := "invocation"
	if in.state.Phase == abihost.PhaseInit {
		phase = "init"
	}
	if killErr := in.call.Err(); killErr != nil {
		if errors.Is(killErr, context.Canceled) {
			return unhandled(ErrCanceled, ErrorTypeCanceled, "%s canceled by the caller", phase)
		}
		limit := in.v.cfg.Timeout
		if in.state.Phase == abihost.PhaseInit {
			limit = in.v.engine.cfg.InitTimeout
		}
		return unhandled(ErrTimeout, ErrorTypeTimeout, "%s timed out after %.2f seconds", phase, limit.Seconds())
	}
	if in.alloc.refusedGrowth() {
		return unhandled(ErrMemoryLimit, ErrorTypeMemory, "%s exceeded the memory limit of %d MB", phase, in.v.cfg.MemoryMB)
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		msg := fmt.Sprintf("exit status %d", exit.ExitCode())
		if in.state.ErrorSet {
			msg = in.state.ErrorMessage + " (" + msg + ")"
		}
		return unhandled(ErrExit, in.errorType(ErrorTypeExit), "%s", msg)
	}
	// A trap: wazero's message is "wasm error: <what>" then a stack trace,
	// which goes to the log; the first line is the message.
	text := err.Error()
	first, _, _ := strings.Cut(text, "\n")
	in.logs.line("ERROR", []byte(text), true)
	if in.state.ErrorSet {
		// The guest said why before it crashed (a Go guest's panic
		// message, set by the SDK, ends in an abort trap).
		return unhandled(ErrTrap, in.errorType(ErrorTypeTrap), "%s (%s)", in.state.ErrorMessage, first)
	}
	return unhandled(ErrTrap, ErrorTypeTrap, "%s", first)
}

// destroy retires the instance; a healthy one first runs its guest's
// shutdown hook, bounded by the engine's ShutdownTimeout.
func (in *instance) destroy(broken bool) {
	in.releasePrefault()
	in.watch.stop()
	defer func() {
		for _, c := range in.closers {
			_ = c.Close()
		}
	}()
	if in.mod == nil {
		in.alloc.release() // instantiation failed after allocating memory
		return
	}
	if !broken && in.shutdown != nil && !in.skipShutdown && !in.mod.IsClosed() {
		in.state.Phase = abihost.PhaseShutdown
		in.phase.Reset(in.v.engine.cfg.ShutdownTimeout)
		_ = in.shutdown.CallWithStack(in.call, in.stack[:])
		in.phase.Stop()
		in.state.Phase = abihost.PhaseIdle
	}
	in.v.dropLogs(in.logs.take())
	_ = in.mod.Close(context.Background())
	in.alloc.release()
}

// recycle resets an instance that must not be reused as it is: a healthy
// one first runs its shutdown hook, as a retiring instance would.
//
// The shutdown hook runs at most once per life of an instance: when the
// reset fails after it ran, the instance is retired without running it
// again (destroy checks skipShutdown).
func (in *instance) recycle(broken bool) bool {
	if !in.resettable() {
		return false
	}
	if !broken && in.shutdown != nil {
		in.state.Phase = abihost.PhaseShutdown
		in.phase.Reset(in.v.engine.cfg.ShutdownTimeout)
		err := in.shutdown.CallWithStack(in.call, in.stack[:])
		in.phase.Stop()
		in.state.Phase = abihost.PhaseIdle
		in.skipShutdown = true
		in.v.dropLogs(in.logs.take())
		if err != nil || in.call.Err() != nil {
			return false
		}
	}
	return in.reset()
}
