package wasmbin_test

import (
	"path/filepath"
	"testing"

	"github.com/flintfaas/flint/engine/internal/wasmbin"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Builders for hand-made modules.

var header = []byte{0x00, 'a', 's', 'm', 1, 0, 0, 0}

func uleb(v uint32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func section(id byte, data []byte) []byte { return cat([]byte{id}, uleb(uint32(len(data))), data) }

func module(sections ...[]byte) []byte { return cat(append([][]byte{header}, sections...)...) }

func name(s string) []byte { return cat(uleb(uint32(len(s))), []byte(s)) }

func imp(mod, field string, desc ...byte) []byte { return cat(name(mod), name(field), desc) }

func importSection(entries ...[]byte) []byte {
	return section(wasmbin.SectionImport, cat(append([][]byte{uleb(uint32(len(entries)))}, entries...)...))
}

// repoFile reads a file of the repository.
func repoFile(t testing.TB, rel string) []byte {
	t.Helper()
	return testguest.File(t, rel)
}

// realModules are modules built by wat2wasm, committed in the repository.
var realModules = []string{
	"guest-examples/wat-echo/echo.wasm",
	"engine/testdata/abuse.wasm",
	"engine/testdata/logs.wasm",
	"engine/testdata/import_memory.wasm",
	"engine/testdata/import_table.wasm",
	"engine/testdata/import_global.wasm",
	"engine/testdata/start_loop.wasm",
}

func TestCheckHeader(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		notWasm bool
		err     string
	}{
		{name: "module header", b: header},
		{name: "header and more", b: append(header[:8:8], 0, 0)},
		{name: "empty", b: nil, notWasm: true},
		{name: "magic only", b: header[:4], notWasm: true},
		{name: "one byte short", b: header[:7], notWasm: true},
		{name: "wrong magic", b: []byte{0x00, 'A', 'S', 'M', 1, 0, 0, 0}, notWasm: true},
		{name: "text format", b: []byte("(module)"), notWasm: true},
		{name: "version 2", b: []byte{0x00, 'a', 's', 'm', 2, 0, 0, 0}, err: "unsupported WebAssembly binary version [2 0 0 0]"},
		{name: "component model layer", b: []byte{0x00, 'a', 's', 'm', 0x0d, 0, 1, 0}, err: "unsupported WebAssembly binary version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wasmbin.CheckHeader(tt.b)
			switch {
			case tt.notWasm:
				assert.ErrorIs(t, err, wasmbin.ErrNotWasm)
			case tt.err != "":
				assert.ErrorContains(t, err, tt.err)
				assert.NotErrorIs(t, err, wasmbin.ErrNotWasm)
			default:
				assert.NoError(t, err)
			}
		})
	}
}

func TestSections(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		ids  []byte
		err  string
	}{
		{name: "header only", b: header, ids: nil},
		{
			name: "wat echo",
			b:    repoFile(t, "guest-examples/wat-echo/echo.wasm"),
			ids:  []byte{1, 2, 3, 5, 7, 10},
		},
		{
			name: "custom and empty sections",
			b:    module(section(0, name("producers")), section(1, nil), section(0, nil)),
			ids:  []byte{0, 1, 0},
		},
		{name: "not wasm", b: []byte("hello world"), err: "not a WebAssembly module"},
		{name: "missing size", b: cat(header, []byte{1}), err: "section 1: size: unexpected end of data"},
		{name: "size past the end", b: cat(header, []byte{1, 5, 0, 0}), err: "section 1: unexpected end of data"},
		{name: "size 2^32-1", b: cat(header, []byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f}), err: "section 1: unexpected end of data"},
		{name: "size LEB128 over 32 bits", b: cat(header, []byte{1, 0xff, 0xff, 0xff, 0xff, 0x7f}), err: "LEB128 value overflows 32 bits"},
		{name: "size LEB128 too long", b: cat(header, []byte{1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), err: "LEB128 value too long"},
		{name: "size LEB128 truncated", b: cat(header, []byte{1, 0x80, 0x80}), err: "unexpected end of data"},
		{name: "second section truncated", b: cat(module(section(1, nil)), []byte{3, 2, 1}), err: "section 3: unexpected end of data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secs, err := wasmbin.Sections(tt.b)
			if tt.err != "" {
				assert.ErrorContains(t, err, tt.err)
				assert.Nil(t, secs)
				return
			}
			require.NoError(t, err)
			var ids []byte
			for _, s := range secs {
				ids = append(ids, s.ID)
			}
			assert.Equal(t, tt.ids, ids)
		})
	}

	t.Run("section data", func(t *testing.T) {
		secs, err := wasmbin.Sections(module(section(0, name("note")), section(5, []byte{1, 0, 1})))
		require.NoError(t, err)
		require.Len(t, secs, 2)
		assert.Equal(t, name("note"), secs[0].Data)
		assert.Equal(t, []byte{1, 0, 1}, secs[1].Data)
	})
}

func TestImports(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want []wasmbin.Import
		err  string
	}{
		{name: "no import section", b: module(section(1, nil)), want: nil},
		{name: "empty import section", b: module(importSection()), want: []wasmbin.Import{}},
		{
			name: "wat echo",
			b:    repoFile(t, "guest-examples/wat-echo/echo.wasm"),
			want: []wasmbin.Import{
				{Module: "flint", Name: "input_read", Kind: wasmbin.KindFunc},
				{Module: "flint", Name: "output_write", Kind: wasmbin.KindFunc},
			},
		},
		{
			name: "imported memory",
			b:    repoFile(t, "engine/testdata/import_memory.wasm"),
			want: []wasmbin.Import{{Module: "flint", Name: "memory", Kind: wasmbin.KindMemory}},
		},
		{
			name: "imported table",
			b:    repoFile(t, "engine/testdata/import_table.wasm"),
			want: []wasmbin.Import{{Module: "flint", Name: "table", Kind: wasmbin.KindTable}},
		},
		{
			name: "imported global",
			b:    repoFile(t, "engine/testdata/import_global.wasm"),
			want: []wasmbin.Import{{Module: "wasi_snapshot_preview1", Name: "counter", Kind: wasmbin.KindGlobal}},
		},
		{
			name: "every kind, hand-made",
			b: module(importSection(
				imp("m", "f", 0x00, 0x05),                     // func, type index 5
				imp("m", "t", 0x01, 0x70, 0x01, 0x01, 0x10),   // table funcref, min 1 max 16
				imp("m", "mem", 0x02, 0x00, 0x01),             // memory, min 1
				imp("m", "mem64k", 0x02, 0x01, 0x01, 0x80, 4), // memory, min 1 max 512
				imp("m", "g", 0x03, 0x7f, 0x01),               // global mut i32
				imp("m", "tag", 0x04, 0x00, 0x02),             // tag, type index 2
				imp("", "", 0x00, 0x00),                       // empty names
			)),
			want: []wasmbin.Import{
				{Module: "m", Name: "f", Kind: wasmbin.KindFunc},
				{Module: "m", Name: "t", Kind: wasmbin.KindTable},
				{Module: "m", Name: "mem", Kind: wasmbin.KindMemory},
				{Module: "m", Name: "mem64k", Kind: wasmbin.KindMemory},
				{Module: "m", Name: "g", Kind: wasmbin.KindGlobal},
				{Module: "m", Name: "tag", Kind: wasmbin.KindTag},
				{Module: "", Name: "", Kind: wasmbin.KindFunc},
			},
		},
		{name: "not wasm", b: []byte("\x00asn\x01\x00\x00\x00"), err: "not a WebAssembly module"},
		{name: "count missing", b: module(section(wasmbin.SectionImport, nil)), err: "import section: count: unexpected end of data"},
		{
			name: "count exceeds the section",
			b:    module(section(wasmbin.SectionImport, cat(uleb(1000), imp("m", "f", 0, 0)))),
			err:  "import section: count 1000 exceeds its size",
		},
		{
			name: "count LEB128 over 32 bits",
			b:    module(section(wasmbin.SectionImport, []byte{0xff, 0xff, 0xff, 0xff, 0x7f})),
			err:  "LEB128 value overflows 32 bits",
		},
		{
			name: "fewer entries than counted",
			b:    module(section(wasmbin.SectionImport, cat(uleb(2), imp("m", "f", 0, 0)))),
			err:  "import 1: module name: unexpected end of data",
		},
		{
			name: "module name past the section",
			b:    module(section(wasmbin.SectionImport, cat(uleb(1), uleb(100), []byte("m")))),
			err:  "import 0: module name: unexpected end of data",
		},
		{
			name: "name length 2^32-1",
			b:    module(section(wasmbin.SectionImport, cat(uleb(1), name("m"), []byte{0xff, 0xff, 0xff, 0xff, 0x0f}))),
			err:  "import 0: name: unexpected end of data",
		},
		{
			name: "kind missing",
			b:    module(section(wasmbin.SectionImport, cat(uleb(1), name("m"), name("f")))),
			err:  "import 0: kind: unexpected end of data",
		},
		{
			name: "unknown kind",
			b:    module(importSection(imp("m", "x", 0x05, 0x00))),
			err:  "import 0 (m.x): unknown import kind 0x5",
		},
		{
			name: "func type index missing",
			b:    module(importSection(imp("m", "f", 0x00))),
			err:  "import 0 (m.f): unexpected end of data",
		},
		{
			name: "memory maximum missing",
			b:    module(importSection(imp("m", "mem", 0x02, 0x01, 0x01))),
			err:  "import 0 (m.mem): unexpected end of data",
		},
		{
			name: "table limits missing",
			b:    module(importSection(imp("m", "t", 0x01, 0x70))),
			err:  "import 0 (m.t): unexpected end of data",
		},
		{
			name: "global mutability missing",
			b:    module(importSection(imp("m", "g", 0x03, 0x7f))),
			err:  "import 0 (m.g): unexpected end of data",
		},
		{
			name: "tag type missing",
			b:    module(importSection(imp("m", "e", 0x04, 0x00))),
			err:  "import 0 (m.e): unexpected end of data",
		},
		{
			name: "section framing broken after the imports",
			b:    cat(module(importSection(imp("m", "f", 0, 0))), []byte{3, 9}),
			err:  "section 3: unexpected end of data",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wasmbin.Imports(tt.b)
			if tt.err != "" {
				assert.ErrorContains(t, err, tt.err)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestExternKindString(t *testing.T) {
	for kind, want := range map[wasmbin.ExternKind]string{
		wasmbin.KindFunc: "func", wasmbin.KindTable: "table", wasmbin.KindMemory: "memory",
		wasmbin.KindGlobal: "global", wasmbin.KindTag: "tag", 9: "kind(9)",
	} {
		assert.Equal(t, want, kind.String())
	}
}

// TestTruncatedModules cuts real modules at every byte: parsing never
// panics, and succeeds exactly when the cut falls between sections.
func TestTruncatedModules(t *testing.T) {
	for _, path := range realModules {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b := repoFile(t, path)
			b = b[:len(b):len(b)] // so that cap tells where a section ends
			secs, err := wasmbin.Sections(b)
			require.NoError(t, err)
			want, err := wasmbin.Imports(b)
			require.NoError(t, err)

			// Where each section ends; Data aliases b up to its end.
			boundary := map[int]bool{len(header): true}
			importsEnd := -1
			for _, s := range secs {
				end := len(b) - cap(s.Data) + len(s.Data)
				boundary[end] = true
				if s.ID == wasmbin.SectionImport {
					importsEnd = end
				}
			}
			require.True(t, boundary[len(b)], "the sections cover the module")

			for n := range len(b) {
				cut := b[:n]
				var (
					secErr, impErr error
					got            []wasmbin.Import
				)
				require.NotPanics(t, func() {
					_ = wasmbin.CheckHeader(cut)
					_, secErr = wasmbin.Sections(cut)
					got, impErr = wasmbin.Imports(cut)
				}, "cut at %d", n)
				if !boundary[n] {
					assert.Error(t, secErr, "cut at %d", n)
					assert.Error(t, impErr, "cut at %d", n)
					continue
				}
				assert.NoError(t, secErr, "cut at %d, between sections", n)
				require.NoError(t, impErr, "cut at %d, between sections", n)
				if n >= importsEnd && importsEnd > 0 {
					assert.Equal(t, want, got, "cut at %d, after the imports", n)
				} else {
					assert.Empty(t, got, "cut at %d, before the imports", n)
				}
			}
		})
	}
}

// FuzzImports feeds arbitrary bytes to the parser: it must never panic,
// and what it returns must be consistent. The seed corpus in
// testdata/fuzz/FuzzImports holds real modules (wat-echo among them).
func FuzzImports(f *testing.F) {
	f.Add(header)
	f.Add(module(importSection(imp("flint", "log", 0x00, 0x01), imp("m", "g", 0x03, 0x7f, 0x00))))
	f.Fuzz(func(t *testing.T, b []byte) {
		headerErr := wasmbin.CheckHeader(b)
		secs, secErr := wasmbin.Sections(b)
		imports, impErr := wasmbin.Imports(b)
		if headerErr != nil {
			require.Error(t, secErr)
			require.Error(t, impErr)
			return
		}
		if secErr != nil {
			require.Error(t, impErr, "Imports reads every section's framing")
			return
		}
		size := len(header)
		for _, s := range secs {
			size += 1 + len(s.Data)
		}
		require.LessOrEqual(t, size, len(b), "sections lie within the module")
		if impErr != nil {
			return
		}
		for _, imp := range imports {
			require.LessOrEqual(t, imp.Kind, wasmbin.KindTag, "only known kinds are returned")
			require.LessOrEqual(t, len(imp.Module)+len(imp.Name), len(b))
		}
	})
}
