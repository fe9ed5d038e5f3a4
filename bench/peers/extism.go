//go:build extism

package peers

import (
	"context"
	_ "embed"
	"fmt"

	extism "github.com/extism/go-sdk"
)

// extismEcho is extism_echo.wat, built.
//
//go:embed extism_echo.wasm
var extismEcho []byte

// ExtismEchoFunc is the export of the Extism echo plugin.
const ExtismEchoFunc = "echo"

// Extism runs the echo plugin on Extism's Go SDK, compiled once. Its
// methods are safe for concurrent use.
type Extism struct {
	compiled *extism.CompiledPlugin
}

// NewExtismEcho compiles the echo plugin.
func NewExtismEcho(ctx context.Context) (*Extism, error) {
	manifest := extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: extismEcho}}}
	c, err := extism.NewCompiledPlugin(ctx, manifest, extism.PluginConfig{}, nil)
	if err != nil {
		return nil, fmt.Errorf("peers: extism: %w", err)
	}
	return &Extism{compiled: c}, nil
}

// Cold serves one request on a new plugin instance, closed after the call.
func (e *Extism) Cold(ctx context.Context, payload []byte) ([]byte, error) {
	p, err := e.Instance(ctx)
	if err != nil {
		return nil, err
	}
	out, err := p.Call(ctx, payload)
	if cerr := p.Close(ctx); err == nil && cerr != nil {
		err = cerr
	}
	return out, err
}

// Instance creates a plugin instance, to call many times.
func (e *Extism) Instance(ctx context.Context) (*ExtismInstance, error) {
	p, err := e.compiled.Instance(ctx, extism.PluginInstanceConfig{})
	if err != nil {
		return nil, fmt.Errorf("peers: extism instance: %w", err)
	}
	return &ExtismInstance{p: p}, nil
}

// Close releases the compiled plugin and its runtime.
func (e *Extism) Close(ctx context.Context) error { return e.compiled.Close(ctx) }

// ExtismInstance is one plugin instance; not safe for concurrent use.
type ExtismInstance struct {
	p *extism.Plugin
}

// Call runs the plugin's echo export on payload.
func (i *ExtismInstance) Call(ctx context.Context, payload []byte) ([]byte, error) {
	rc, out, err := i.p.CallWithContext(ctx, ExtismEchoFunc, payload)
	if err != nil {
		return nil, fmt.Errorf("peers: extism call: %w", err)
	}
	if rc != 0 {
		return nil, fmt.Errorf("peers: extism call returned %d", rc)
	}
	return out, nil
}

// Close closes the instance.
func (i *ExtismInstance) Close(ctx context.Context) error { return i.p.Close(ctx) }
