package jsoncodec

import (
	"errors"
	"runtime"
)

// ErrPanic is matched (errors.Is) by the error Marshal or Unmarshal
// returns when the implementation panicked: a hostile event must cost the
// invocation an error, not the instance.
var ErrPanic = errors.New("json: the codec failed")

// PanicError is the error of a codec that panicked.
type PanicError struct {
	Op    string // "marshal" or "unmarshal"
	Value any    // what it panicked with
}

// Error describes the panic.
func (e *PanicError) Error() string {
	msg := "json: " + e.Op + " failed"
	switch v := e.Value.(type) {
	case error:
		msg += ": " + v.Error()
	case string:
		msg += ": " + v
	}
	return msg
}

// Is makes a *PanicError match ErrPanic.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Marshal encodes v as encoding/json.Marshal does.
func Marshal(v any) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, &PanicError{Op: "marshal", Value: r}
		}
	}()
	return marshal(v)
}

// Unmarshal decodes data into v as encoding/json.Unmarshal does.
func Unmarshal(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Op: "unmarshal", Value: r}
		}
	}()
	return unmarshal(data, v)
}

// Primed is called once the caller has primed the codec for its types, in
// init, so that the snapshot keeps the per-type codecs. A codec whose
// priming leaves much garbage (goccy/go-json) collects it here: the first
// invocations then reuse that space instead of growing the linear memory
// past the snapshot's size, which would keep the instance from being
// recycled. The others leave the heap as it is, since a collection in init
// is paid again by every instance started from the snapshot, on its first
// call: go-hello's recycled and pre-initialized first calls took 4x as long
// after one (bench/RESULTS.md).
func Primed() {
	if collectAfterPriming {
		runtime.GC()
	}
}
