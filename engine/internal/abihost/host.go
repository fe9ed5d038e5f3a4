package abihost

import (
	"context"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/flintfaas/flint/abi"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// hostFunc is one function of the flint host module.
type hostFunc struct {
	name    string
	params  []api.ValueType
	names   []string
	results []api.ValueType
	fn      api.GoModuleFunc
}

// hostFuncs lists ABI v1 in SPEC.md's order.
func hostFuncs() []hostFunc {
	return []hostFunc{
		{"input_read", []api.ValueType{i32, i32}, []string{"ptr", "cap"}, []api.ValueType{i32}, inputRead},
		{"output_write", []api.ValueType{i32, i32}, []string{"ptr", "len"}, []api.ValueType{i32}, outputWrite},
		{"error_set", []api.ValueType{i32, i32, i32, i32}, []string{"type_ptr", "type_len", "msg_ptr", "msg_len"}, []api.ValueType{i32}, errorSet},
		{"log", []api.ValueType{i32, i32, i32}, []string{"level", "ptr", "len"}, []api.ValueType{i32}, logLine},
		{"context_get", []api.ValueType{i32, i32, i32}, []string{"field", "ptr", "cap"}, []api.ValueType{i32}, contextGet},
		{"deadline_ms", nil, nil, []api.ValueType{i64}, deadlineMS},
		{"result_read", []api.ValueType{i32, i32}, []string{"ptr", "cap"}, []api.ValueType{i32}, resultRead},
		{"kv_get", []api.ValueType{i32, i32, i32, i32}, []string{"store_ptr", "store_len", "key_ptr", "key_len"}, []api.ValueType{i32}, kvGet},
		{"kv_put", []api.ValueType{i32, i32, i32, i32, i32, i32}, []string{"store_ptr", "store_len", "key_ptr", "key_len", "val_ptr", "val_len"}, []api.ValueType{i32}, kvPut},
		{"kv_delete", []api.ValueType{i32, i32, i32, i32}, []string{"store_ptr", "store_len", "key_ptr", "key_len"}, []api.ValueType{i32}, kvDelete},
		{"kv_list", []api.ValueType{i32, i32, i32, i32, i32, i32, i32}, []string{"store_ptr", "store_len", "prefix_ptr", "prefix_len", "after_ptr", "after_len", "limit"}, []api.ValueType{i32}, kvList},
		{"http_fetch", []api.ValueType{i32, i32}, []string{"req_ptr", "req_len"}, []api.ValueType{i32}, httpFetch},
		{"fn_invoke", []api.ValueType{i32, i32, i32, i32}, []string{"name_ptr", "name_len", "payload_ptr", "payload_len"}, []api.ValueType{i32}, fnInvoke},
		{"config_get", []api.ValueType{i32, i32}, []string{"name_ptr", "name_len"}, []api.ValueType{i32}, configGet},
		{"app_call", []api.ValueType{i32, i32, i32, i32}, []string{"name_ptr", "name_len", "payload_ptr", "payload_len"}, []api.ValueType{i32}, appCall},
		// Additions to v1 (older guests do not import them).
		{"output_flush", nil, nil, []api.ValueType{i32}, outputFlush},
	}
}

// Instantiate defines the flint host module in r. Call it once per runtime,
// before instantiating guests.
func Instantiate(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(abi.ModuleName)
	for _, f := range hostFuncs() {
		b.NewFunctionBuilder().
			WithGoModuleFunction(f.fn, f.params, f.results).
			WithParameterNames(f.names...).
			Export(f.name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("abi: define host module %q: %w", abi.ModuleName, err)
	}
	return nil
}

// read returns the guest bytes at [ptr, ptr+n), or false when any of them
// lies outside memory. The slice aliases guest memory: copy what outlives
// the call.
func read(m api.Module, ptr, n uint64) ([]byte, bool) {
	mem := m.Memory()
	if mem == nil {
		return nil, false
	}
	// wazero checks offset+count in 64 bits, so a wrapped-around range is
	// refused rather than read.
	return mem.Read(uint32(ptr), uint32(n))
}

// inRange reports whether [ptr, ptr+n) lies inside memory.
func inRange(m api.Module, ptr, n uint64) bool {
	mem := m.Memory()
	return mem != nil && ptr+n <= uint64(mem.Size())
}

func invoking(ctx context.Context) (*State, abi.Errno) {
	s := StateFrom(ctx)
	if s == nil || s.Phase != PhaseInvoke {
		return nil, abi.ErrnoState
	}
	return s, abi.ErrnoOK
}

// writeSized implements the "result is the full length; nothing is written
// when it exceeds cap" convention.
func writeSized(m api.Module, ptr, capacity uint64, val string) uint64 {
	if !inRange(m, ptr, capacity) {
		return abi.ErrnoBounds.Result()
	}
	if uint64(len(val)) <= capacity {
		m.Memory().WriteString(uint32(ptr), val)
	}
	return uint64(uint32(len(val)))
}

// input_read(ptr, cap) -> len | -errno
func inputRead(ctx context.Context, m api.Module, stack []uint64) {
	s, errno := invoking(ctx)
	if errno != abi.ErrnoOK {
		stack[0] = errno.Result()
		return
	}
	ptr, capacity := uint64(uint32(stack[0])), uint64(uint32(stack[1]))
	if !inRange(m, ptr, capacity) {
		stack[0] = abi.ErrnoBounds.Result()
		return
	}
	if uint64(len(s.Input)) <= capacity {
		m.Memory().Write(uint32(ptr), s.Input)
	}
	stack[0] = uint64(uint32(len(s.Input)))
}

// output_write(ptr, len) -> 0 | -errno
func outputWrite(ctx context.Context, m api.Module, stack []uint64) {
	s, errno := invoking(ctx)
	if errno != abi.ErrnoOK {
		stack[0] = errno.Result()
		return
	}
	b, ok := read(m, uint64(uint32(stack[0])), uint64(uint32(stack[1])))
	if !ok {
		stack[0] = abi.ErrnoBounds.Result()
		return
	}
	if !s.outputFits(len(b)) {
		s.OutputTooLarge = true
		stack[0] = abi.ErrnoTooLarge.Result()
		return
	}
	s.Output = append(s.Output, b...)
	stack[0] = 0
}

// output_flush() -> 0 | -errno: sends what output_write appended since the
// last flush when the invocation streams its response; otherwise nothing.
func outputFlush(ctx context.Context, _ api.Module, stack []uint64) {
	s, errno := invoking(ctx)
	switch {
	case errno != abi.ErrnoOK:
		stack[0] = errno.Result()
	case s.Stream == nil:
		stack[0] = 0 // buffered: the response goes whole when the handler returns
	case !s.Flush():
		stack[0] = abi.ErrnoUnavailable.Result()
	default:
		stack[0] = 0
	}
}

// error_set(type_ptr, type_len, msg_ptr, msg_len) -> 0 | -errno
func errorSet(ctx context.Context, m api.Module, stack []uint64) {
	s := StateFrom(ctx)
	if s == nil || (s.Phase != PhaseInvoke && s.Phase != PhaseInit) {
		stack[0] = abi.ErrnoState.Result()
		return
	}
	typ, ok1 := read(m, uint64(uint32(stack[0])), uint64(uint32(stack[1])))
	msg, ok2 := read(m, uint64(uint32(stack[2])), uint64(uint32(stack[3])))
	switch {
	case !ok1 || !ok2:
		stack[0] = abi.ErrnoBounds.Result()
	case len(typ) > abi.MaxErrorType || len(msg) > abi.MaxErrorMessage:
		stack[0] = abi.ErrnoTooLarge.Result()
	default:
		s.ErrorSet = true
		s.ErrorType = ""
		if printable(typ) {
			s.ErrorType = string(typ)
		}
		s.ErrorMessage = string(msg)
		stack[0] = 0
	}
}

// printable reports whether an error type shows something: a type made
// only of control characters, spaces and bytes that are not UTF-8 is no
// type a reader could see (and its bytes could act on a terminal), so the
// default type stands instead.
func printable(typ []byte) bool {
	for len(typ) > 0 {
		r, size := utf8.DecodeRune(typ)
		if r != utf8.RuneError && unicode.IsGraphic(r) && !unicode.IsSpace(r) {
			return true
		}
		typ = typ[size:]
	}
	return false
}

// log(level, ptr, len) -> 0 | -errno
func logLine(ctx context.Context, m api.Module, stack []uint64) {
	s := StateFrom(ctx)
	if s == nil {
		stack[0] = abi.ErrnoState.Result()
		return
	}
	level := abi.Level(int32(uint32(stack[0])))
	if level < abi.LevelDebug || level > abi.LevelError {
		stack[0] = abi.ErrnoInvalid.Result()
		return
	}
	msg, ok := read(m, uint64(uint32(stack[1])), uint64(uint32(stack[2])))
	if !ok {
		stack[0] = abi.ErrnoBounds.Result()
		return
	}
	if s.Log != nil {
		s.Log.Log(level, msg)
	}
	stack[0] = 0
}

// context_get(field, ptr, cap) -> len | -errno
func contextGet(ctx context.Context, m api.Module, stack []uint64) {
	s := StateFrom(ctx)
	if s == nil {
		stack[0] = abi.ErrnoState.Result()
		return
	}
	// An i32 argument's upper 32 bits are not defined: read the low ones.
	field := uint32(stack[0])
	var val string
	switch field {
	case abi.FieldFunctionName:
		val = s.FunctionName
	case abi.FieldFunctionVersion:
		val = s.FunctionVersion
	case abi.FieldRequestID, abi.FieldInvokedARN, abi.FieldTenant:
		if s.Phase != PhaseInvoke {
			stack[0] = abi.ErrnoState.Result()
			return
		}
		switch field {
		case abi.FieldRequestID:
			val = s.RequestID
		case abi.FieldInvokedARN:
			val = s.ARNPrefix + s.InvokedTarget
		default:
			val = s.Tenant
		}
	case abi.FieldMetadata:
		if s.Phase != PhaseInvoke {
			stack[0] = abi.ErrnoState.Result()
			return
		}
		stack[0] = writeSizedBytes(m, uint64(uint32(stack[1])), uint64(uint32(stack[2])), s.Metadata)
		return
	default:
		stack[0] = abi.ErrnoInvalid.Result()
		return
	}
	stack[0] = writeSized(m, uint64(uint32(stack[1])), uint64(uint32(stack[2])), val)
}

// deadline_ms() -> unix milliseconds | -errno
func deadlineMS(ctx context.Context, _ api.Module, stack []uint64) {
	s, errno := invoking(ctx)
	if errno != abi.ErrnoOK {
		stack[0] = uint64(-int64(errno))
		return
	}
	stack[0] = uint64(s.Deadline.UnixMilli())
}
