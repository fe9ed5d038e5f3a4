package wazevo

import (
	"runtime"
	"testing"

	"github.com/tetratelabs/wazero/internal/engine/wazevo/wazevoapi"
	"github.com/tetratelabs/wazero/internal/testing/require"
	"github.com/tetratelabs/wazero/internal/wasm"
)

// TestModuleEngine_FunctionInstanceReference_chunks checks the references
// of a table of thousands of entries, whose function instances are
// allocated in chunks: each points to the instance of its function, after
// the chunks grew and after garbage collections (a wasm.Reference is a
// uintptr, which the collector does not follow: the engine's slice of
// chunks keeps them alive), and making them allocates per chunk, not per
// entry.
func TestModuleEngine_FunctionInstanceReference_chunks(t *testing.T) {
	const funcs, refs = 10, 5000
	exe := make([]byte, funcs)
	offsets := make([]int, funcs)
	for i := range offsets {
		offsets[i] = i
	}
	newEngine := func() *moduleEngine {
		m := &moduleEngine{
			parent: &compiledModule{executables: &executables{executable: exe}, functionOffsets: offsets},
			module: &wasm.ModuleInstance{
				Source:  &wasm.Module{ImportFunctionCount: 2, FunctionSection: make([]wasm.Index, funcs)},
				TypeIDs: []wasm.FunctionTypeID{7},
			},
		}
		m.opaque = make(moduleContextOpaque, 16)
		m.opaquePtr = &m.opaque[0]
		return m
	}

	m := newEngine()
	got := make([]wasm.Reference, refs)
	for i := range got {
		got[i] = m.FunctionInstanceReference(wasm.Index(2 + i%funcs))
	}
	runtime.GC()
	runtime.GC()
	seen := map[wasm.Reference]bool{}
	for i, ref := range got {
		require.False(t, seen[ref], "reference %d is not shared", i)
		seen[ref] = true
		fi := wazevoapi.PtrFromUintptr[functionInstance](ref)
		require.Equal(t, wasm.Index(2+i%funcs), fi.indexInModule)
		require.Equal(t, &exe[i%funcs], fi.executable)
		require.Equal(t, m.opaquePtr, fi.moduleContextOpaquePtr)
		require.Equal(t, wasm.FunctionTypeID(7), fi.typeID)
	}
	runtime.KeepAlive(m)

	allocs := testing.AllocsPerRun(10, func() {
		m := newEngine()
		for i := range refs {
			m.FunctionInstanceReference(wasm.Index(2 + i%funcs))
		}
	})
	require.True(t, allocs < 40, "%v allocations for %d references", allocs, refs)
}
