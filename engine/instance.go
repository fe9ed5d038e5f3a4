package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

// instance is one execution environment of a function version: a module
// instance with its ABI state, log buffer and memory. It serves one call at
// a time; the pool hands it to one goroutine at a time.
type instance struct {
	v        *version
	mod      api.Module
	handler  api.Function
	shutdown api.Function
	stack    [1]uint64 // reused for every call: no per-call allocation
	state    abi.State
	logs     *logBuffer
	alloc    allocator
	call     *callContext
	timer    *time.Timer
	stopCtx  func() bool

	initDuration time.Duration
}

// callContext is the context every call into one instance runs under. It is
// built once per instance, so a call allocates no context. It carries the
// instance's ABI state to the host functions, and its Done channel closes
// when the instance is killed (timeout or cancellation): wazero, built with
// CloseOnContextDone, then stops the guest at its next function entry or
// loop back-edge. A killed instance is never reused.
type callContext struct {
	parent context.Context
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

func (c *callContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *callContext) Done() <-chan struct{}       { return c.done }
func (c *callContext) Value(key any) any           { return c.parent.Value(key) }
func (c *callContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *callContext) kill(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}

// newInstance creates an instance of v and runs its init: the language
// runtime's _initialize, then the guest's flint_init if exported. It is the
// one place instances are made. On failure it returns an *initError.
func (v *version) newInstance(ctx context.Context) (*instance, error) {
	e := v.engine
	in := &instance{v: v, logs: newLogBuffer(e.cfg.MaxLogBytes)}
	in.state = abi.State{
		FunctionName:    v.name,
		FunctionVersion: v.version,
		MaxOutput:       e.cfg.MaxResponseBytes,
		Log:             in.logs,
	}
	in.alloc.limit = uint64(v.cfg.MemoryMB) << 20
	parent := experimental.WithMemoryAllocator(abi.WithState(context.Background(), &in.state), &in.alloc)
	in.call = &callContext{parent: parent, done: make(chan struct{})}
	in.timer = time.AfterFunc(time.Hour, func() { in.call.kill(context.DeadlineExceeded) })
	in.timer.Stop()

	start := time.Now()
	in.state.Phase = abi.PhaseInit
	in.arm(ctx, e.cfg.InitTimeout)
	fe := in.init(v)
	if killed := in.disarm(); killed && fe == nil {
		fe = in.failure(context.DeadlineExceeded)
	}
	in.state.Phase = abi.PhaseIdle
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
	return in, nil
}

// init instantiates the module and runs its initializers.
func (in *instance) init(v *version) *FunctionError {
	cfg := v.modCfg.WithStdout(&in.logs.stdout).WithStderr(&in.logs.stderr).WithNanosleep(in.nanosleep)
	mod, err := v.engine.runtime.InstantiateModule(in.call, v.mod.compiled, cfg)
	if err != nil {
		return in.failure(err)
	}
	in.mod = mod
	in.handler = mod.ExportedFunction(v.cfg.Handler)
	if v.mod.hasShutdown {
		in.shutdown = mod.ExportedFunction(abi.ShutdownExport)
	}
	if v.mod.hasReactorInit {
		if err := mod.ExportedFunction(abi.ReactorInit).CallWithStack(in.call, in.stack[:]); err != nil {
			return in.failure(err)
		}
	}
	if v.mod.hasInit {
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

// arm starts the clock on a guest call: the instance is killed after
// timeout, or when ctx is done.
func (in *instance) arm(ctx context.Context, timeout time.Duration) {
	in.timer.Reset(timeout)
	if ctx.Done() != nil {
		in.stopCtx = context.AfterFunc(ctx, func() {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				in.call.kill(context.DeadlineExceeded)
			} else {
				in.call.kill(context.Canceled)
			}
		})
	}
}

// disarm stops the clock and reports whether the instance was killed.
func (in *instance) disarm() (killed bool) {
	in.timer.Stop()
	if in.stopCtx != nil {
		in.stopCtx()
		in.stopCtx = nil
	}
	select {
	case <-in.call.done:
		return true
	default:
		return false
	}
}

// invoke runs the handler on payload and fills res. It reports whether the
// instance is broken and must be discarded.
func (in *instance) invoke(ctx context.Context, payload []byte, res *Result) (broken bool) {
	s := &in.state
	s.Phase = abi.PhaseInvoke
	s.Input = payload
	s.RequestID = res.RequestID
	in.logs.reqID = res.RequestID

	now := time.Now()
	deadline := now.Add(in.v.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	s.Deadline = deadline
	in.arm(ctx, deadline.Sub(now))
	in.stack[0] = uint64(len(payload))
	err := in.handler.CallWithStack(in.call, in.stack[:])
	res.Duration = time.Since(now)
	killed := in.disarm()

	status := int32(in.stack[0])
	switch {
	case err != nil:
		res.FunctionError = in.failure(err)
		broken = true
	case s.OutputTooLarge:
		res.FunctionError = unhandled(ErrResponseTooLarge, ErrorTypeResponseTooLarge,
			"response payload size exceeded the maximum allowed payload size (%d bytes)", s.MaxOutput)
	case status == abi.StatusOK:
		res.Payload = bytes.Clone(s.Output)
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
	res.Logs = in.logs.take()
	in.logs.reqID = ""
	s.Reset()
	s.Phase = abi.PhaseIdle
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
	if in.state.Phase == abi.PhaseInit {
		phase = "init"
	}
	if killErr := in.call.Err(); killErr != nil {
		if errors.Is(killErr, context.Canceled) {
			return unhandled(ErrCanceled, ErrorTypeCanceled, "%s canceled by the caller", phase)
		}
		limit := in.v.cfg.Timeout
		if in.state.Phase == abi.PhaseInit {
			limit = in.v.engine.cfg.InitTimeout
		}
		return unhandled(ErrTimeout, ErrorTypeTimeout, "%s timed out after %.2f seconds", phase, limit.Seconds())
	}
	if in.alloc.mem != nil && in.alloc.mem.refused {
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
	return unhandled(ErrTrap, ErrorTypeTrap, "%s", first)
}

// destroy retires the instance; a healthy one first runs its guest's
// shutdown hook, bounded by the engine's ShutdownTimeout.
func (in *instance) destroy(broken bool) {
	if in.mod == nil {
		in.timer.Stop()
		return
	}
	if !broken && in.shutdown != nil && !in.mod.IsClosed() {
		in.state.Phase = abi.PhaseShutdown
		in.arm(context.Background(), in.v.engine.cfg.ShutdownTimeout)
		_ = in.shutdown.CallWithStack(in.call, in.stack[:])
		in.disarm()
		in.state.Phase = abi.PhaseIdle
	}
	in.v.dropLogs(in.logs.take())
	in.timer.Stop()
	_ = in.mod.Close(context.Background())
}
