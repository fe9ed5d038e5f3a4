package wasmbin

import (
	"fmt"
	"strconv"
)

// GlobalExportPrefix starts the names under which Prepare exports a
// module's mutable globals: GlobalExport(7) is "__flint_global_7".
const GlobalExportPrefix = "__flint_global_"

// GlobalExport names the export of the global with index i.
func GlobalExport(i uint32) string { return GlobalExportPrefix + strconv.FormatUint(uint64(i), 10) }

// Value types of globals.
const (
	TypeI32  byte = 0x7F
	TypeI64  byte = 0x7E
	TypeF32  byte = 0x7D
	TypeF64  byte = 0x7C
	TypeV128 byte = 0x7B
)

// Global is a global a module defines.
type Global struct {
	Index   uint32 // in the global index space (imported globals first)
	Type    byte   // a value type: TypeI32, TypeI64, ..., or a reference type
	Mutable bool
	Export  string // GlobalExport(Index) for a mutable global, else ""
}

// Numeric reports whether the global holds a number a snapshot can keep
// in 64 bits.
func (g Global) Numeric() bool {
	switch g.Type {
	case TypeI32, TypeI64, TypeF32, TypeF64:
		return true
	}
	return false
}

func parseGlobals(data []byte, first uint32) ([]Global, error) {
	r := reader{b: data}
	n, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("global section: %w", err)
	}
	if int(n) > len(data) {
		return nil, fmt.Errorf("global section: count %d exceeds its size", n)
	}
	out := make([]Global, 0, n)
	for i := range n {
		typ, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		mut, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		if mut > 1 {
			return nil, fmt.Errorf("global %d: bad mutability 0x%x", i, mut)
		}
		if err := r.skipConstExpr(); err != nil {
			return nil, fmt.Errorf("global %d: initializer: %w", i, err)
		}
		g := Global{Index: first + i, Type: typ, Mutable: mut == 1}
		if g.Mutable {
			g.Export = GlobalExport(g.Index)
		}
		out = append(out, g)
	}
	return out, nil
}
