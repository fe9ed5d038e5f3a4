package wasmbin_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flintfaas/flint/engine/internal/wasmbin"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

// More builders for hand-made modules (see wasmbin_test.go).

func vec(items ...[]byte) []byte { return cat(append([][]byte{uleb(uint32(len(items)))}, items...)...) }

// sleb encodes v as a signed LEB128.
func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func i32(v int32) []byte { return cat([]byte{0x41}, sleb(int64(v))) }

// Value types, export kinds and instructions the builders use.
const (
	i32t, i64t, f32t, f64t, v128t, funcref = 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70
	kindFunc, kindMemory, kindGlobal       = 0x00, 0x02, 0x03
	end                                    = 0x0b
)

var voidType = section(wasmbin.SectionType, vec([]byte{0x60, 0, 0}))

func funcs(n int) []byte {
	idx := make([][]byte, n)
	for i := range idx {
		idx[i] = uleb(0)
	}
	return section(wasmbin.SectionFunction, vec(idx...))
}

var (
	memory1 = section(wasmbin.SectionMemory, vec([]byte{0x00, 1}))
	table1  = section(wasmbin.SectionTable, vec([]byte{funcref, 0x00, 1}))
)

func global(typ byte, mutable bool, init ...byte) []byte {
	mut := byte(0)
	if mutable {
		mut = 1
	}
	return cat([]byte{typ, mut}, init, []byte{end})
}

func globals(entries ...[]byte) []byte { return section(wasmbin.SectionGlobal, vec(entries...)) }

func export(n string, kind byte, idx uint32) []byte { return cat(name(n), []byte{kind}, uleb(idx)) }

func exports(entries ...[]byte) []byte { return section(wasmbin.SectionExport, vec(entries...)) }

// body is a function body without locals.
func body(code ...byte) []byte {
	inner := cat([]byte{0}, code, []byte{end})
	return cat(uleb(uint32(len(inner))), inner)
}

func code(bodies ...[]byte) []byte { return section(wasmbin.SectionCode, vec(bodies...)) }

func active(offset int32, data string) []byte {
	return cat([]byte{0x00}, i32(offset), []byte{end}, name(data))
}

func activeIn(mem uint32, offset int32, data string) []byte {
	return cat([]byte{0x02}, uleb(mem), i32(offset), []byte{end}, name(data))
}

func passive(data string) []byte { return cat([]byte{0x01}, name(data)) }

func data(segments ...[]byte) []byte { return section(wasmbin.SectionData, vec(segments...)) }

func dataCount(n uint32) []byte { return section(wasmbin.SectionDataCount, uleb(n)) }

// withMemory is a module with one function (body), one page of memory
// exported as "memory", and the sections given after the code.
func withMemory(fn []byte, after ...[]byte) []byte {
	return module(append([][]byte{voidType, funcs(1), memory1, exports(export("memory", kindMemory, 0)), code(fn)}, after...)...)
}

// image is a memory image with the given bytes at the given offsets.
func image(size int, at ...any) []byte {
	b := make([]byte, size)
	for i := 0; i < len(at); i += 2 {
		copy(b[at[i].(int):], at[i+1].(string))
	}
	return b
}

// validator compiles modules without generating machine code, to check
// that they are valid: wazero validates every module it compiles.
func validator(t testing.TB) (validate func(b []byte) error) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	t.Cleanup(func() { _ = r.Close(ctx) })
	return func(b []byte) error {
		m, err := r.CompileModule(ctx, b)
		if err == nil {
			_ = m.Close(ctx)
		}
		return err
	}
}

// memoryAfterInstantiation instantiates mod (which must import nothing)
// and returns its memory's first n bytes: what its data segments wrote.
func memoryAfterInstantiation(t testing.TB, mod []byte, n int) []byte {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	inst, err := r.Instantiate(ctx, mod)
	require.NoError(t, err)
	b, ok := inst.Memory().Read(0, uint32(n))
	require.True(t, ok)
	return bytes.Clone(b)
}

// preparedExport is an export entry of a prepared module.
type preparedExport struct {
	Kind  byte
	Index uint32
}

// exportsOf reads the export section of a module.
func exportsOf(t testing.TB, mod []byte) map[string]preparedExport {
	t.Helper()
	secs, err := wasmbin.Sections(mod)
	require.NoError(t, err)
	out := map[string]preparedExport{}
	for _, s := range secs {
		if s.ID != wasmbin.SectionExport {
			continue
		}
		b := s.Data
		readU32 := func() uint32 {
			var v uint32
			for shift := 0; ; shift += 7 {
				require.NotEmpty(t, b)
				c := b[0]
				b = b[1:]
				v |= uint32(c&0x7f) << shift
				if c&0x80 == 0 {
					return v
				}
			}
		}
		for range readU32() {
			n := readU32()
			name := string(b[:n])
			b = b[n:]
			kind := b[0]
			b = b[1:]
			out[name] = preparedExport{kind, readU32()}
		}
	}
	return out
}

// sectionIDs lists the ids of a module's sections, custom ones excepted.
func sectionIDs(t testing.TB, mod []byte) []byte {
	t.Helper()
	secs, err := wasmbin.Sections(mod)
	require.NoError(t, err)
	var ids []byte
	for _, s := range secs {
		if s.ID != wasmbin.SectionCustom {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// TestPrepareData checks how Prepare moves data segments out of modules:
// the image it returns holds what instantiation would have written
// (segments in order, later ones overwriting earlier ones), and what it
// cannot move (passive segments, offsets that are not constants, segments
// that instructions refer to) stays in the module and blocks snapshots.
func TestPrepareData(t *testing.T) {
	nop := body()
	tests := []struct {
		name     string
		mod      []byte
		image    []byte // the Image wanted; nil: none
		segments int
		blocker  string // a substring of SnapshotBlocker; "": none
		kept     bool   // the data section stays in the module
		invalid  bool   // wazero refuses the module itself
	}{
		{name: "no data section", mod: withMemory(nop)},
		{name: "no segments", mod: withMemory(nop, data()), image: []byte{}},
		{name: "one segment", mod: withMemory(nop, data(active(16, "abc"))), image: image(19, 16, "abc"), segments: 1},
		{name: "at offset 0", mod: withMemory(nop, data(active(0, "xyz"))), image: []byte("xyz"), segments: 1},
		{name: "out of order", mod: withMemory(nop, data(active(100, "xy"), active(10, "hello"))),
			image: image(102, 10, "hello", 100, "xy"), segments: 2},
		{name: "overlapping, the later wins", mod: withMemory(nop, data(active(0, "aaaa"), active(2, "bb"))),
			image: []byte("aabb"), segments: 2},
		{name: "overlapping, the later covers the earlier", mod: withMemory(nop, data(active(2, "bb"), active(0, "aaaa"))),
			image: []byte("aaaa"), segments: 2},
		{name: "same offset twice", mod: withMemory(nop, data(active(8, "first"), active(8, "2nd"))),
			image: image(13, 8, "2ndst"), segments: 2},
		{name: "empty segment past the others", mod: withMemory(nop, data(active(0, "a"), active(40, ""))),
			image: image(40, 0, "a"), segments: 2},
		{name: "memory 0 named", mod: withMemory(nop, data(activeIn(0, 5, "z"))), image: image(6, 5, "z"), segments: 1},
		{name: "up to the end of the memory", mod: withMemory(nop, data(active(65534, "!!"))), image: image(65536, 65534, "!!"), segments: 1},
		{name: "past the end of the memory", mod: withMemory(nop, data(active(65535, "!!"))), image: image(65537, 65535, "!!"), segments: 1},
		{name: "many segments", mod: withMemory(nop, data(active(1, "a"), active(3, "b"), active(5, "c"), active(2, "X"), active(0, ""))),
			image: image(6, 1, "aXb", 5, "c"), segments: 5},
		{name: "passive segment", mod: withMemory(nop, data(active(0, "a"), passive("b"))),
			segments: 2, blocker: "passive data segments", kept: true},
		{name: "passive segment with a data count", mod: module(voidType, funcs(1), memory1, exports(export("memory", kindMemory, 0)),
			dataCount(1), code(nop), data(passive("b"))), segments: 1, blocker: "passive data segments", kept: true},
		{name: "offset not a constant", mod: module(voidType, importSection(imp("m", "g", 0x03, i32t, 0x00)), funcs(1), memory1,
			exports(export("memory", kindMemory, 0)), code(nop), data(cat([]byte{0x00, 0x23, 0x00, end}, name("g")))),
			segments: 1, blocker: "non-constant offsets", kept: true},
		{name: "offset past 4 GiB", mod: withMemory(nop, data(active(-1, "ab"))), segments: 1, kept: true, blocker: "data"},
		{name: "memory.init", mod: module(voidType, funcs(1), memory1, exports(export("memory", kindMemory, 0)), dataCount(1),
			code(body(cat(i32(0), i32(0), i32(0), []byte{0xfc, 8, 0, 0})...)), data(passive("abc"))),
			segments: 1, blocker: "memory.init", kept: true},
		{name: "data.drop of an active segment", mod: module(voidType, funcs(1), memory1, exports(export("memory", kindMemory, 0)), dataCount(1),
			code(body(0xfc, 9, 0)), data(active(0, "abc"))),
			segments: 1, blocker: "data.drop", kept: true},
		{name: "memory.init of an active segment", mod: module(voidType, funcs(1), memory1, exports(export("memory", kindMemory, 0)), dataCount(1),
			code(body(cat(i32(0), i32(0), i32(0), []byte{0xfc, 8, 0, 0})...)), data(active(0, "abc"))),
			segments: 1, blocker: "memory.init", kept: true},
	}
	validate := validator(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origErr := validate(tt.mod)
			if tt.invalid {
				require.Error(t, origErr)
			} else {
				require.NoError(t, origErr, "the test module is valid")
			}
			p, err := wasmbin.Prepare(tt.mod)
			require.NoError(t, err)
			assert.Equal(t, tt.segments, p.DataSegments)
			if tt.image == nil {
				assert.Nil(t, p.Image)
			} else {
				assert.Equal(t, tt.image, p.Image)
			}
			if tt.blocker == "" {
				assert.Empty(t, p.SnapshotBlocker)
			} else {
				assert.Contains(t, p.SnapshotBlocker, tt.blocker)
			}
			ids := sectionIDs(t, p.Code)
			assert.Equal(t, tt.kept, slices.Contains(ids, wasmbin.SectionData), "data section kept: %v", ids)
			if !tt.kept {
				assert.NotContains(t, ids, byte(wasmbin.SectionDataCount))
			}
			if origErr == nil {
				require.NoError(t, validate(p.Code), "the prepared module is valid")
			}
			// The image is what instantiation writes, where it can.
			if origErr == nil && len(p.Image) > 0 && len(p.Image) <= 65536 {
				assert.Equal(t, p.Image, memoryAfterInstantiation(t, tt.mod, len(p.Image)))
			}
		})
	}
}

// TestPrepareSnapshotBlockers checks the instructions that change state a
// snapshot does not capture: tables, passive data, shared memory.
func TestPrepareSnapshotBlockers(t *testing.T) {
	refNull := []byte{0xd0, funcref}
	elemPassive := section(wasmbin.SectionElement, vec(cat([]byte{0x01, 0x00}, vec(uleb(0)))))
	withTable := func(fn []byte, after ...[]byte) []byte {
		return module(append([][]byte{voidType, funcs(1), table1, memory1, exports(export("memory", kindMemory, 0))},
			append(after, code(fn))...)...)
	}
	tests := []struct {
		name    string
		mod     []byte
		blocker string // "": none
		invalid bool   // wazero refuses it without the threads feature
	}{
		{name: "nothing", mod: withTable(body())},
		{name: "memory.fill and memory.copy", mod: withTable(body(cat(i32(0), i32(0), i32(0), []byte{0xfc, 11, 0}, i32(0), i32(0), i32(0), []byte{0xfc, 10, 0, 0})...))},
		{name: "table.get", mod: withTable(body(cat(i32(0), []byte{0x25, 0, 0x1a})...))},
		{name: "table.size", mod: withTable(body(0xfc, 16, 0, 0x1a))},
		{name: "table.set", mod: withTable(body(cat(i32(0), refNull, []byte{0x26, 0})...)), blocker: "table.set"},
		{name: "table.grow", mod: withTable(body(cat(refNull, i32(1), []byte{0xfc, 15, 0, 0x1a})...)), blocker: "table.grow"},
		{name: "table.fill", mod: withTable(body(cat(i32(0), refNull, i32(0), []byte{0xfc, 17, 0})...)), blocker: "table.fill"},
		{name: "table.copy", mod: withTable(body(cat(i32(0), i32(0), i32(0), []byte{0xfc, 14, 0, 0})...)), blocker: "table.copy"},
		{name: "table.init", mod: withTable(body(cat(i32(0), i32(0), i32(0), []byte{0xfc, 12, 0, 0})...), elemPassive), blocker: "table.init"},
		{name: "elem.drop", mod: withTable(body(0xfc, 13, 0), elemPassive), blocker: "elem.drop"},
		{name: "atomic.fence", mod: withTable(body(0xfe, 0x03, 0x00)), blocker: "atomic", invalid: true},
		{name: "i32.atomic.load", mod: withTable(body(cat(i32(0), []byte{0xfe, 0x10, 2, 0, 0x1a})...)), blocker: "atomic", invalid: true},
		{name: "in a later function", mod: module(voidType, funcs(2), table1, memory1, exports(export("memory", kindMemory, 0)),
			code(body(), body(cat(i32(0), refNull, []byte{0x26, 0})...))), blocker: "function body 1 sets a table"},
		{name: "the first reason is kept", mod: withTable(body(cat(i32(0), refNull, []byte{0x26, 0}, refNull, i32(1), []byte{0xfc, 15, 0, 0x1a})...)),
			blocker: "table.set"},
	}
	validate := validator(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origErr := validate(tt.mod)
			if tt.invalid {
				require.Error(t, origErr)
			} else {
				require.NoError(t, origErr, "the test module is valid")
			}
			p, err := wasmbin.Prepare(tt.mod)
			require.NoError(t, err)
			if tt.blocker == "" {
				assert.Empty(t, p.SnapshotBlocker)
			} else {
				assert.Contains(t, p.SnapshotBlocker, tt.blocker)
			}
			if !tt.invalid {
				assert.NoError(t, validate(p.Code))
			}
		})
	}
}

// TestPrepareGlobals checks that a module's mutable globals are exported
// under their index in the global index space (imported globals first),
// that immutable ones are not, and that the rewriter's own globals come
// after them all.
func TestPrepareGlobals(t *testing.T) {
	tests := []struct {
		name      string
		mod       []byte
		globals   []wasmbin.Global
		interrupt uint32
	}{
		{name: "none", mod: withMemory(body()), interrupt: 0},
		{name: "defined only", mod: module(voidType, funcs(1), memory1,
			globals(global(i32t, true, i32(7)...), global(i32t, false, i32(1)...), global(i64t, true, 0x42, 0)),
			exports(export("memory", kindMemory, 0)), code(body())),
			globals: []wasmbin.Global{
				{Index: 0, Type: wasmbin.TypeI32, Mutable: true, Export: "__flint_global_0"},
				{Index: 1, Type: wasmbin.TypeI32},
				{Index: 2, Type: wasmbin.TypeI64, Mutable: true, Export: "__flint_global_2"},
			}, interrupt: 3},
		{name: "after imported globals", mod: module(voidType,
			importSection(imp("m", "f", 0x00, 0x00), imp("m", "g1", 0x03, i32t, 0x00), imp("m", "g2", 0x03, i64t, 0x01)),
			funcs(1), memory1,
			globals(global(f32t, true, 0x43, 0, 0, 0, 0), global(f64t, false, 0x44, 0, 0, 0, 0, 0, 0, 0, 0), global(i32t, true, i32(-5)...)),
			exports(export("memory", kindMemory, 0), export("visible", kindGlobal, 4)), code(body())),
			globals: []wasmbin.Global{
				{Index: 2, Type: wasmbin.TypeF32, Mutable: true, Export: "__flint_global_2"},
				{Index: 3, Type: wasmbin.TypeF64},
				{Index: 4, Type: wasmbin.TypeI32, Mutable: true, Export: "__flint_global_4"},
			}, interrupt: 5},
		{name: "references and vectors", mod: module(voidType, funcs(1), memory1,
			globals(global(funcref, true, 0xd0, funcref), global(v128t, true, cat([]byte{0xfd, 12}, make([]byte, 16))...)),
			exports(export("memory", kindMemory, 0)), code(body())),
			globals: []wasmbin.Global{
				{Index: 0, Type: funcref, Mutable: true, Export: "__flint_global_0"},
				{Index: 1, Type: wasmbin.TypeV128, Mutable: true, Export: "__flint_global_1"},
			}, interrupt: 2},
		{name: "no export section", mod: module(voidType, funcs(1), memory1, globals(global(i32t, true, i32(1)...)), code(body())),
			globals: []wasmbin.Global{{Index: 0, Type: wasmbin.TypeI32, Mutable: true, Export: "__flint_global_0"}}, interrupt: 1},
		{name: "no global or export section", mod: module(voidType, funcs(1), memory1, code(body())), interrupt: 0},
		{name: "nothing but a type", mod: module(voidType), interrupt: 0},
	}
	validate := validator(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, validate(tt.mod), "the test module is valid")
			p, err := wasmbin.Prepare(tt.mod)
			require.NoError(t, err)
			assert.Equal(t, tt.globals, p.Globals)
			require.NoError(t, validate(p.Code), "the prepared module is valid")
			got := exportsOf(t, p.Code)
			assert.Equal(t, preparedExport{kindGlobal, tt.interrupt}, got[wasmbin.InterruptExport])
			want := 0
			for _, g := range tt.globals {
				numeric := g.Type == wasmbin.TypeI32 || g.Type == wasmbin.TypeI64 || g.Type == wasmbin.TypeF32 || g.Type == wasmbin.TypeF64
				assert.Equal(t, numeric, g.Numeric(), "global %d", g.Index)
				if g.Mutable {
					want++
					assert.Equal(t, wasmbin.GlobalExport(g.Index), g.Export)
					assert.Equal(t, preparedExport{kindGlobal, g.Index}, got[g.Export])
				} else {
					assert.Empty(t, g.Export)
				}
			}
			n := 0
			for name := range got {
				if strings.HasPrefix(name, wasmbin.GlobalExportPrefix) {
					n++
				}
			}
			assert.Equal(t, want, n, "one export per mutable global: %v", got)
		})
	}
}

// TestPrepareStart checks that the start function is exported for the host
// to call, and no longer runs at instantiation.
func TestPrepareStart(t *testing.T) {
	mod := module(voidType, funcs(2), memory1, exports(export("memory", kindMemory, 0)),
		section(wasmbin.SectionStart, uleb(1)),
		code(body(), body(cat(i32(0), i32(42), []byte{0x36, 2, 0})...))) // i32.store 42 at 0
	p, err := wasmbin.Prepare(mod)
	require.NoError(t, err)
	assert.True(t, p.HasStart)
	assert.NotContains(t, sectionIDs(t, p.Code), byte(wasmbin.SectionStart))
	assert.Equal(t, preparedExport{kindFunc, 1}, exportsOf(t, p.Code)[wasmbin.StartExport])
	assert.Equal(t, []byte{0, 0, 0, 0}, memoryAfterInstantiation(t, p.Code, 4), "the start function did not run")
	assert.Equal(t, []byte{42, 0, 0, 0}, memoryAfterInstantiation(t, mod, 4))

	p, err = wasmbin.Prepare(withMemory(body()))
	require.NoError(t, err)
	assert.False(t, p.HasStart)
	assert.NotContains(t, exportsOf(t, p.Code), wasmbin.StartExport)
}

// TestPrepareReservedNames: a module that already exports a name the
// rewriter adds is refused, whatever the export's kind.
func TestPrepareReservedNames(t *testing.T) {
	tests := []struct {
		name   string
		export []byte
	}{
		{"interrupt global", export(wasmbin.InterruptExport, kindGlobal, 0)},
		{"interrupt as a function", export(wasmbin.InterruptExport, kindFunc, 0)},
		{"start", export(wasmbin.StartExport, kindFunc, 0)},
		{"a global export", export("__flint_global_0", kindGlobal, 0)},
		{"a global export of no global", export("__flint_global_x", kindFunc, 0)},
		{"the prefix alone", export(wasmbin.GlobalExportPrefix, kindMemory, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mod := module(voidType, funcs(1), memory1, globals(global(i32t, true, i32(0)...)),
				exports(export("memory", kindMemory, 0), tt.export), code(body()))
			p, err := wasmbin.Prepare(mod)
			assert.ErrorContains(t, err, "is reserved for the host")
			assert.Nil(t, p)
		})
	}
	t.Run("similar names are fine", func(t *testing.T) {
		mod := module(voidType, funcs(1), memory1, exports(export("memory", kindMemory, 0),
			export("__flint_interrupts", kindFunc, 0), export("__flint", kindFunc, 0), export("_flint_global_1", kindFunc, 0)), code(body()))
		_, err := wasmbin.Prepare(mod)
		assert.NoError(t, err)
	})
}

// TestPrepareIsNotIdempotent documents why Prepare(Prepare(x).Code) fails:
// the first pass exports the reserved names, which the second refuses.
// Preparing twice would add a second set of checks; refusing is the safe
// answer, and it must be an error, not a panic or a broken module.
func TestPrepareIsNotIdempotent(t *testing.T) {
	p, err := wasmbin.Prepare(repoFile(t, "guest-examples/wat-echo/echo.wasm"))
	require.NoError(t, err)
	_, err = wasmbin.Prepare(p.Code)
	assert.ErrorContains(t, err, `export "__flint_interrupt" is reserved for the host`)
}

// preparable lists the modules of the repository that Prepare must turn
// into modules wazero accepts: every committed .wasm that wazero accepts
// as it is, and the Go examples. Under the race detector, where validating
// a Go guest takes seconds, only hello among them (the engine's tests
// deploy, so prepare and validate, every Go example anyway); with -short,
// none.
func preparable(t *testing.T) map[string][]byte {
	t.Helper()
	root := testguest.Root(t)
	mods := map[string][]byte{}
	for _, pattern := range []string{"engine/testdata/*.wasm", "guest-examples/*/*.wasm", "engine/internal/wasmbin/testdata/*.wasm"} {
		files, err := filepath.Glob(filepath.Join(root, pattern))
		require.NoError(t, err)
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			rel, _ := filepath.Rel(root, f)
			mods[rel] = b
		}
	}
	if testing.Short() {
		return mods
	}
	dirs, err := filepath.Glob(filepath.Join(root, "guest-examples", "*", "main.go"))
	require.NoError(t, err)
	for _, d := range dirs {
		name := filepath.Base(filepath.Dir(d))
		if !raceEnabled || name == "hello" {
			mods["go:"+name] = testguest.Go(t, name)
		}
	}
	if !raceEnabled {
		mods["go:memcounter"] = testguest.Go(t, "engine/testdata/memcounter")
	}
	return mods
}

// TestPreparedModulesValidate prepares every module of the repository and
// compiles the result: whatever wazero accepted, it must accept prepared.
func TestPreparedModulesValidate(t *testing.T) {
	mods := preparable(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range mods {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		mod := mods[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			validate := validator(t)
			// The Go examples are valid by construction: checking them
			// again would double the cost of the slowest cases.
			if !strings.HasPrefix(name, "go:") {
				if err := validate(mod); err != nil {
					t.Skipf("not valid as it is (on purpose): %v", err)
				}
			}
			p, err := wasmbin.Prepare(mod)
			if err != nil {
				assert.ErrorContains(t, err, "reserved for the host", "Prepare refuses only reserved names in a valid module")
				return
			}
			assert.NoError(t, validate(p.Code))
			if strings.HasPrefix(name, "go:") {
				assert.Empty(t, p.SnapshotBlocker, "Go's wasm output is snapshot-safe")
				assert.NotNil(t, p.Image)
				assert.NotContains(t, sectionIDs(t, p.Code), byte(wasmbin.SectionData))
			}
		})
	}
}

// FuzzPrepare feeds arbitrary bytes to Prepare. The properties:
//
//   - it never panics: it returns an error or a module;
//   - when wazero accepts the input, Prepare accepts it too, unless it
//     exports a reserved name, and wazero accepts what Prepare returns;
//   - what Prepare returns has no start section, and no data section
//     when the data was moved into Image;
//   - preparing a prepared module is refused with the reserved-name error
//     (Prepare is not idempotent by design: see TestPrepareIsNotIdempotent).
//
// The seed corpus in testdata/fuzz/FuzzPrepare holds the repository's small
// modules and the edge cases of the table tests.
func FuzzPrepare(f *testing.F) {
	f.Add(withMemory(body(), data(active(0, "aaaa"), active(2, "bb"))))
	f.Add(withMemory(body(), data(active(0, "a"), passive("b"))))
	validate := validator(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := wasmbin.Prepare(b)
		if err != nil {
			require.Nil(t, p)
			if _, secErr := wasmbin.Sections(b); secErr != nil || errors.Is(err, wasmbin.ErrOversized) {
				// Not for wazero, whose decoder allocates for what
				// vectors declare: a fatal out-of-memory error, for a
				// module of a few bytes.
				return
			}
			if validate(b) == nil {
				require.ErrorContains(t, err, "reserved for the host", "a module wazero accepts is refused only for a reserved name")
			}
			return
		}
		origErr := validate(b)
		ids := sectionIDs(t, p.Code)
		require.NotContains(t, ids, byte(wasmbin.SectionStart))
		if p.Image != nil {
			require.NotContains(t, ids, byte(wasmbin.SectionData))
			require.NotContains(t, ids, byte(wasmbin.SectionDataCount))
		}
		for i, g := range p.Globals {
			if i > 0 {
				require.Equal(t, p.Globals[i-1].Index+1, g.Index)
			}
			require.Equal(t, g.Mutable, g.Export != "")
		}
		if origErr == nil {
			require.NoError(t, validate(p.Code), "wazero accepted the module but not its prepared form")
			_, err := wasmbin.Prepare(p.Code)
			require.ErrorContains(t, err, "reserved for the host")
		}
	})
}

// TestPrepareRefusesOversizedVectors: modules of a few bytes that declare
// billions of entries (or locals) are refused before wazero sees them,
// since wazero allocates for the declared count first, which kills the
// process (fatal error: runtime: out of memory), instead of failing.
func TestPrepareRefusesOversizedVectors(t *testing.T) {
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0x0f}
	tests := []struct {
		name string
		mod  []byte
	}{
		{"types", module(section(wasmbin.SectionType, cat(huge, []byte{0x60})))},
		{"parameters", module(section(wasmbin.SectionType, cat([]byte{1, 0x60}, huge, []byte{i32t, 0})))},
		{"results", module(section(wasmbin.SectionType, cat([]byte{1, 0x60, 0}, huge, []byte{i32t})))},
		{"types in a recursion group", module(section(wasmbin.SectionType, cat([]byte{1, 0x4e}, huge, []byte{0x60, 0, 0})))},
		{"imports", module(section(wasmbin.SectionImport, cat(huge, name("m"), name("f"), []byte{0, 0})))},
		{"functions", module(voidType, section(wasmbin.SectionFunction, cat(huge, []byte{0})))},
		{"tables", module(section(wasmbin.SectionTable, cat(huge, []byte{funcref, 0, 1})))},
		{"memories", module(section(wasmbin.SectionMemory, cat(huge, []byte{0, 1})))},
		{"globals", module(section(wasmbin.SectionGlobal, cat(huge, global(i32t, false, i32(0)...))))},
		{"exports", module(section(wasmbin.SectionExport, cat(huge, export("a", kindFunc, 0))))},
		{"elements", module(section(wasmbin.SectionElement, cat(huge, []byte{1, 0, 0})))},
		{"an element's functions", module(voidType, funcs(1), table1,
			section(wasmbin.SectionElement, cat([]byte{1, 0}, i32(0), []byte{end}, huge, []byte{0})), code(body()))},
		{"an element's expressions", module(voidType, funcs(1), table1,
			section(wasmbin.SectionElement, cat([]byte{1, 5, funcref}, huge, []byte{0xd2, 0, end})), code(body()))},
		{"function bodies", module(voidType, funcs(1), section(wasmbin.SectionCode, cat(huge, body())))},
		{"locals", module(voidType, funcs(1), code(cat([]byte{7, 1}, huge, []byte{i32t, end})))},
		{"locals in groups", module(voidType, funcs(1), code(cat([]byte{8, 2, 0xd0, 0x86, 0x03, i32t, 1, i32t, end})))}, // 50,000 + 1
		{"data segments", module(section(wasmbin.SectionData, cat(huge, active(0, "a"))))},
		{"function names", module(section(wasmbin.SectionCustom, cat(name("name"), []byte{1, 6}, huge, []byte{0})))},
		{"local names", module(section(wasmbin.SectionCustom, cat(name("name"), []byte{2, 8, 1, 0}, huge, []byte{0})))},
		{"a function's name", module(section(wasmbin.SectionCustom, cat(name("name"), []byte{1, 7, 1, 0}, huge)))},
		{"the module's name", module(section(wasmbin.SectionCustom, cat(name("name"), []byte{0, 5}, huge)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := wasmbin.Prepare(tt.mod)
			assert.ErrorIs(t, err, wasmbin.ErrOversized)
			assert.Nil(t, p)
		})
	}
	t.Run("the most locals", func(t *testing.T) {
		mod := module(voidType, funcs(1), code(cat([]byte{8, 2, 0xd0, 0x86, 0x03, i32t, 0, i32t, end}))) // 50,000
		_, err := wasmbin.Prepare(mod)
		assert.NoError(t, err)
	})
}
