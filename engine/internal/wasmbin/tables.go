package wasmbin

import (
	"fmt"
)

// MaxTableEntries caps the entries of a module's tables, all tables
// together. A table lives in host memory outside the guest's linear
// memory (8 bytes an entry in wazero), so the function's memory limit
// does not bound it: a module of a few bytes could declare, or grow to,
// gigabytes of them. Toolchains emit a table of one entry per function
// whose address is taken, thousands at most.
const MaxTableEntries = 1 << 20

// capTables rewrites the table section so that the module's tables cannot
// hold more than MaxTableEntries entries: it refuses tables whose initial
// sizes add up to more, and gives each table a maximum (its declared one
// if smaller) of its share of the limit, so table.grow past it fails (-1)
// as the guest expects of any refused growth.
func capTables(data []byte) ([]byte, error) {
	r := &reader{b: data}
	n, err := r.count()
	if err != nil {
		return nil, fmt.Errorf("table section: %w", err)
	}
	type table struct {
		head     []byte // the optional init-expression prefix and the reference type
		min, max uint32
		hasMax   bool
		tail     []byte // the init expression, if any
	}
	tables := make([]table, 0, n)
	var total uint64
	for i := range n {
		var t table
		start := r.pos
		b, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("table %d: %w", i, err)
		}
		withInit := b == 0x40
		if withInit {
			if _, err := r.byte(); err != nil { // reserved 0x00
				return nil, fmt.Errorf("table %d: %w", i, err)
			}
			if b, err = r.byte(); err != nil {
				return nil, fmt.Errorf("table %d: %w", i, err)
			}
		}
		if b == 0x63 || b == 0x64 { // (ref null? heaptype)
			if _, err := r.s64(); err != nil {
				return nil, fmt.Errorf("table %d: %w", i, err)
			}
		}
		t.head = data[start:r.pos]
		flags, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("table %d: %w", i, err)
		}
		if flags > 1 {
			return nil, fmt.Errorf("table %d: unsupported limits flags 0x%02x", i, flags)
		}
		if t.min, err = r.u32(); err != nil {
			return nil, fmt.Errorf("table %d: %w", i, err)
		}
		if t.hasMax = flags == 1; t.hasMax {
			if t.max, err = r.u32(); err != nil {
				return nil, fmt.Errorf("table %d: %w", i, err)
			}
		}
		if withInit {
			start := r.pos
			if err := r.skipConstExpr(); err != nil {
				return nil, fmt.Errorf("table %d: %w", i, err)
			}
			t.tail = data[start:r.pos]
		}
		total += uint64(t.min)
		tables = append(tables, t)
	}
	if r.pos != len(data) {
		return nil, fmt.Errorf("table section: %d bytes after the tables", len(data)-r.pos)
	}
	if total > MaxTableEntries {
		return nil, fmt.Errorf("its tables declare %d entries, over the host's limit of %d", total, MaxTableEntries)
	}
	out := appendU32(make([]byte, 0, len(data)+4*len(tables)), n)
	share := uint32(MaxTableEntries)
	if n > 0 {
		share /= n
	}
	for _, t := range tables {
		limit := max(t.min, share)
		if !t.hasMax || t.max > limit {
			t.max = limit
		}
		out = append(out, t.head...)
		out = append(out, 1)
		out = appendU32(out, t.min)
		out = appendU32(out, t.max)
		out = append(out, t.tail...)
	}
	return out, nil
}
