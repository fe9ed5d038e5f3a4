package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/flintfaas/flint/engine"
)

// Embedding Flint: start an engine, deploy a WebAssembly module as a
// function, invoke it and read the result.
func Example() {
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Config{}) // in memory, default limits
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)

	code, err := os.ReadFile("../guest-examples/wat-echo/echo.wasm")
	if err != nil {
		log.Fatal(err)
	}
	_, err = eng.Deploy(ctx, engine.Function{
		Name:     "echo",
		Code:     code,
		Timeout:  time.Second,
		MemoryMB: 16,
	})
	if err != nil {
		log.Fatal(err)
	}

	for _, payload := range []string{"hello", "again"} {
		res, err := eng.Invoke(ctx, "echo", []byte(payload))
		if err != nil {
			log.Fatal(err) // the function could not run: not found, throttled, closed...
		}
		if res.FunctionError != nil {
			log.Fatal(res.FunctionError) // it ran and failed
		}
		fmt.Printf("%s (version %s, cold start: %v)\n", res.Payload, res.Version, res.Cold)
	}
	// Output:
	// hello (version $LATEST, cold start: true)
	// again (version $LATEST, cold start: false)
}

// A function that fails reports it in Result.FunctionError; Invoke's own
// error is kept for invocations that could not run at all.
func ExampleEngine_Invoke_errors() {
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)

	code, err := os.ReadFile("testdata/unreachable.wasm") // traps on a non-empty payload
	if err != nil {
		log.Fatal(err)
	}
	if _, err := eng.Deploy(ctx, engine.Function{Name: "crash", Code: code}); err != nil {
		log.Fatal(err)
	}

	res, err := eng.Invoke(ctx, "crash", []byte("boom"))
	if err != nil {
		log.Fatal(err)
	}
	fe := res.FunctionError
	fmt.Println(fe.Type, fe.Message, fe.Unhandled, errors.Is(fe, engine.ErrTrap))

	_, err = eng.Invoke(ctx, "nope", nil)
	fmt.Println(errors.Is(err, engine.ErrFunctionNotFound))
	// Output:
	// Runtime.Trap wasm error: unreachable true true
	// true
}

// Deploy refuses a module it cannot run with a *ModuleError that says why.
func ExampleEngine_Deploy_invalidModule() {
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)

	code, err := os.ReadFile("testdata/abi_v2.wasm")
	if err != nil {
		log.Fatal(err)
	}
	_, err = eng.Deploy(ctx, engine.Function{Name: "future", Code: code})
	var me *engine.ModuleError
	if errors.As(err, &me) {
		fmt.Println(errors.Is(err, engine.ErrInvalidModule))
		fmt.Println(me.Reason)
	}
	// Output:
	// true
	// built for Flint ABI v2; this host speaks v1
}

// Settings live beside a function's versions: here, a reserved concurrency
// of 0 switches the function off, as on Lambda, and provisioned
// concurrency keeps an instance initialized so that the next invocation is
// not a cold start.
func ExampleEngine_UpdateSettings() {
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)
	code, err := os.ReadFile("../guest-examples/wat-echo/echo.wasm")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := eng.Deploy(ctx, engine.Function{Name: "echo", Code: code}); err != nil {
		log.Fatal(err)
	}

	off := 0
	if _, err := eng.UpdateSettings(ctx, "echo", func(s *engine.Settings) error {
		s.ReservedConcurrency = &off
		return nil
	}); err != nil {
		log.Fatal(err)
	}
	_, err = eng.Invoke(ctx, "echo", []byte("hello"))
	fmt.Println(errors.Is(err, engine.ErrThrottled))

	// On again, with one instance kept ready: UpdateSettings returns once
	// it is.
	if _, err := eng.UpdateSettings(ctx, "echo", func(s *engine.Settings) error {
		s.ReservedConcurrency = nil
		s.ProvisionedConcurrency = map[string]int{engine.LatestVersion: 1}
		return nil
	}); err != nil {
		log.Fatal(err)
	}
	res, err := eng.Invoke(ctx, "echo", []byte("hello"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s, cold start: %v\n", res.Payload, res.Cold)
	// Output:
	// true
	// hello, cold start: false
}

// Spare instances: while a function is in use, the pool's filler keeps
// SpareInstances idle instances ready, so that a new caller (here, every
// invocation of a single-use function) takes one made ahead instead of
// creating it on the request path. Only the first invocation, before any
// stock, is a cold start.
func ExampleConfig_spareInstances() {
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Config{SpareInstances: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)

	code, err := os.ReadFile("../guest-examples/wat-echo/echo.wasm")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := eng.Deploy(ctx, engine.Function{Name: "once", Code: code, SingleUse: true}); err != nil {
		log.Fatal(err)
	}
	for _, payload := range []string{"a", "b", "c"} {
		res, err := eng.Invoke(ctx, "once", []byte(payload))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: cold start %v\n", res.Payload, res.Cold)
		// The filler restocks in the background; a caller arriving later
		// than that finds the spare.
		for st, _ := eng.Stats("once"); st.Idle < 1; st, _ = eng.Stats("once") {
			time.Sleep(time.Millisecond)
		}
	}
	// Output:
	// a: cold start true
	// b: cold start false
	// c: cold start false
}
