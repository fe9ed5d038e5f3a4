package guest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/flintfaas/flint/abi/guest/internal/host"
	"github.com/flintfaas/flint/abi/guest/internal/jsoncodec"
)

// Handler handles one invocation: event is the request payload, the
// returned bytes the response. A returned error is a handled function
// error; its type is ErrorType() of the first error in its chain that has
// that method (see Error and DeniedError), else "Error".
type Handler func(ctx Context, event []byte) ([]byte, error)

// StreamHandler handles one invocation whose response it writes to w as
// it goes, rather than returning it. When the invocation streams its
// response (Lambda's InvokeWithResponseStream, or a function URL whose
// InvokeMode is RESPONSE_STREAM), each w.Flush sends what was written since
// the last one to the caller at once; otherwise Flush does nothing and the
// caller gets the whole response when the handler returns. A returned
// error is a handled function error, as for Handler; what was flushed
// before it has reached the caller.
type StreamHandler func(ctx Context, event []byte, w *ResponseWriter) error

var (
	handler       Handler
	streamHandler StreamHandler
	initHook      func() error
	shutdownFn    func()
)

// Handle registers the function's handler. Call it from an init function.
func Handle(h Handler) { handler, streamHandler = h, nil }

// HandleStream registers a handler that writes its response to a
// ResponseWriter and may send it in pieces (see StreamHandler). Call it
// from an init function, instead of Handle.
func HandleStream(h StreamHandler) { handler, streamHandler = nil, h }

// ResponseWriter writes an invocation's response; see StreamHandler. It
// is an io.Writer, so fmt.Fprintf, json.NewEncoder and io.Copy write to it.
type ResponseWriter struct {
	err error // the first failure: later calls return it
}

// Write appends p to the response. Past the response's size limit it
// fails with an error matching ErrTooLarge, and so do later calls.
func (w *ResponseWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r := host.OutputWrite(host.Bytes(p), uint32(len(p))); r < 0 {
		w.err = &HostError{Call: "output_write", Errno: -r}
		return 0, w.err
	}
	return len(p), nil
}

// WriteString appends s to the response, as Write does.
func (w *ResponseWriter) WriteString(s string) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if len(s) == 0 {
		return 0, nil
	}
	if r := host.OutputWrite(host.String(s), uint32(len(s))); r < 0 {
		w.err = &HostError{Call: "output_write", Errno: -r}
		return 0, w.err
	}
	return len(s), nil
}

// Flush sends what was written since the last Flush to the caller, when
// the invocation streams its response; otherwise it does nothing. Once the
// caller has gone away it fails with an error matching ErrUnavailable
// (and so do later calls): the rest of the response would be dropped, and
// the handler may stop.
func (w *ResponseWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	if r := host.OutputFlush(); r < 0 {
		w.err = &HostError{Call: "output_flush", Errno: -r}
	}
	return w.err
}

// HandleJSON registers a handler that takes and returns JSON: the event is
// decoded into In, and Out encoded as the response, as encoding/json does
// (struct tags, case-insensitive field names, unknown fields ignored,
// json.Marshaler and json.Unmarshaler, HTML-safe escaping). An event that
// does not decode is a handled error of type "InvalidEvent" whose message
// is encoding/json's.
//
// The codec is encoding/json. Build with -tags flintjson_goccy for
// github.com/goccy/go-json, which behaves as encoding/json does but builds
// a codec per type once instead of reflecting on every call: inside
// WebAssembly it is 1.5× to 3× faster per call on events of 14 bytes to
// 10 KB, for about 4.5 MB more of guest, three times the first compile
// and a 1.2× slower cold start. The one difference known: with it, a
// number quoted for the ",string" option may start with "+".
//
// HandleJSON also encodes and decodes zero values once, when it is called
// (in init): the codec builds its per-type codecs on first use, and doing
// it during init puts them in the instance's snapshot, so instances
// started from it do not each rebuild them on their first invocation.
func HandleJSON[In, Out any](h func(ctx Context, in In) (Out, error)) {
	var zeroIn In
	var zeroOut Out
	if b, err := jsoncodec.Marshal(zeroIn); err == nil {
		_ = jsoncodec.Unmarshal(b, &zeroIn)
	}
	if b, err := jsoncodec.Marshal(zeroOut); err == nil {
		_ = jsoncodec.Unmarshal(b, &zeroOut)
	}
	jsoncodec.Primed()
	Handle(func(ctx Context, event []byte) ([]byte, error) {
		var in In
		if len(event) > 0 {
			if err := jsoncodec.Unmarshal(event, &in); err != nil {
				return nil, &Error{Type: "InvalidEvent", Message: err.Error()}
			}
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, err
		}
		return jsoncodec.Marshal(out)
	})
}

// OnInit registers a hook run once per instance, after package init and
// before the first invocation, with its own timeout. An error fails the
// instance's init; it is reported as an init error with this message.
func OnInit(f func() error) { initHook = f }

// OnShutdown registers a hook run when the instance retires.
func OnShutdown(f func()) { shutdownFn = f }

// errorType is the type reported for err: its ErrorType() when it has
// one, else "Error". (Naming the Go type would need reflection, which would
// grow every guest and slow its start.)
func errorType(err error) string {
	var typed interface{ ErrorType() string }
	if errors.As(err, &typed) {
		return typed.ErrorType()
	}
	return "Error"
}

func setError(typ, msg string) {
	// The host refuses longer ones (TOO_LARGE) and the error would be lost.
	const maxType, maxMsg = 256, 64 << 10
	if len(typ) > maxType {
		typ = typ[:maxType]
	}
	if len(msg) > maxMsg {
		msg = msg[:maxMsg]
	}
	host.ErrorSet(host.String(typ), uint32(len(typ)), host.String(msg), uint32(len(msg)))
}

// serve runs one invocation: read the event, call the handler, write the
// response. Status 0 is success, 1 a handled error.
func serve(inputLen uint32) uint32 {
	if handler == nil && streamHandler == nil {
		setError("Runtime.NoHandler", "no handler registered: call guest.Handle in an init function")
		return 1
	}
	event := make([]byte, inputLen)
	if n := host.InputRead(host.Bytes(event), inputLen); n < 0 {
		setError("Runtime.HostError", (&HostError{"input_read", -n}).Error())
		return 1
	}
	// A panic crashes the instance, as it would crash a process; record
	// its message first so the invocation's error says what happened.
	defer func() {
		if r := recover(); r != nil {
			setError("Runtime.Panic", host.PanicMessage(r))
			panic(r)
		}
	}()
	if streamHandler != nil {
		if err := streamHandler(Context{}, event, &ResponseWriter{}); err != nil {
			setError(errorType(err), err.Error())
			return 1
		}
		return 0
	}
	out, err := handler(Context{}, event)
	if err != nil {
		setError(errorType(err), err.Error())
		return 1
	}
	host.OutputWrite(host.Bytes(out), uint32(len(out)))
	return 0
}

func runInit() int32 {
	if initHook == nil {
		return 0
	}
	if err := initHook(); err != nil {
		setError(errorType(err), err.Error())
		return 1
	}
	return 0
}

func runShutdown() {
	if shutdownFn != nil {
		shutdownFn()
	}
}

// Level is a log line's severity.
type Level int32

// Log levels.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// Log writes one line to the invocation's log at level. Writing to
// os.Stdout or os.Stderr works too; their lines are tagged STDOUT and
// STDERR.
func Log(level Level, msg string) {
	host.Log(int32(level), host.String(msg), uint32(len(msg)))
}

// Logf formats a line with fmt.Sprintf and logs it at level.
func Logf(level Level, format string, args ...any) { Log(level, fmt.Sprintf(format, args...)) }

// Context is the invocation's context. It implements context.Context: its
// deadline is the invocation's; it is never cancelled from inside the
// guest (the host stops a guest that runs past its deadline).
type Context struct{}

func contextString(field int32) string {
	var buf [64]byte
	n := host.ContextGet(field, host.Bytes(buf[:]), uint32(len(buf)))
	if n < 0 {
		return ""
	}
	if int(n) <= len(buf) {
		return string(buf[:n])
	}
	big := make([]byte, n)
	if m := host.ContextGet(field, host.Bytes(big), uint32(len(big))); m != n {
		return ""
	}
	return string(big)
}

// RequestID returns the invocation's request id.
func (Context) RequestID() string { return contextString(0) }

// FunctionName returns the function's name.
func (Context) FunctionName() string { return contextString(1) }

// FunctionVersion returns the version that is running ("$LATEST", "3").
func (Context) FunctionVersion() string { return contextString(2) }

// InvokedFunctionARN returns the ARN the caller invoked the function by, as
// Lambda's context has it: the function's ARN
// ("arn:aws:lambda:us-east-1:000000000000:function:NAME") for an
// unqualified invocation, with ":VERSION" or ":ALIAS" appended for a
// qualified one (an alias's ARN, not the version it routed to).
func (Context) InvokedFunctionARN() string { return contextString(3) }

// MemoryLimitMB returns the function's memory limit.
func (Context) MemoryLimitMB() int {
	n, _ := strconv.Atoi(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	return n
}

// Deadline returns when the host will stop the invocation.
func (Context) Deadline() (time.Time, bool) {
	ms := host.DeadlineMS()
	if ms <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// RemainingTime returns the time left before the deadline.
func (c Context) RemainingTime() time.Duration {
	d, ok := c.Deadline()
	if !ok {
		return 0
	}
	return time.Until(d)
}

// Done returns nil: the guest is never cancelled cooperatively.
func (Context) Done() <-chan struct{} { return nil }

// Err returns nil.
func (Context) Err() error { return nil }

// Value returns nil: the context carries no values.
func (Context) Value(any) any { return nil }
