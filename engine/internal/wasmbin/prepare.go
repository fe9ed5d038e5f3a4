package wasmbin

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Export names the rewriter adds to a module; a module that already uses
// them is refused.
const (
	// InterruptExport is an i32 mutable global: while it is zero the
	// module runs normally; set to non-zero, the module traps
	// (unreachable) at its next loop iteration.
	InterruptExport = "__flint_interrupt"
	// StartExport is the module's former start function, which the host
	// calls itself (under a timeout) after instantiation.
	StartExport = "__flint_start"
)

// More section ids.
const (
	SectionFunction  = 3
	SectionTable     = 4
	SectionMemory    = 5
	SectionGlobal    = 6
	SectionExport    = 7
	SectionStart     = 8
	SectionElement   = 9
	SectionCode      = 10
	SectionData      = 11
	SectionDataCount = 12
	SectionTag       = 13
)

// sectionRank orders the known sections as the binary format requires.
var sectionRank = map[byte]int{
	SectionType: 1, SectionImport: 2, SectionFunction: 3, SectionTable: 4, SectionMemory: 5,
	SectionTag: 6, SectionGlobal: 7, SectionExport: 8, SectionStart: 9, SectionElement: 10,
	SectionDataCount: 11, SectionCode: 12, SectionData: 13,
}

// Prepared is a module rewritten for the engine, and what was done to it.
type Prepared struct {
	// Code is the rewritten module.
	Code []byte
	// HasStart is true when the module had a start function, now exported
	// as StartExport.
	HasStart bool
	// Loops is the number of loop heads that got a check (every function
	// entry gets one too).
	Loops int
	// DataSegments is how many data segments the module had.
	DataSegments int
	// Image is the memory image the module's data segments write, when
	// Prepare moved them out of the module (all active, at constant
	// offsets): the host writes it into a new instance's memory itself
	// (or a snapshot's image instead), so no data segment runs at
	// instantiation. Nil when the module has no data, or kept its data
	// section (then SnapshotBlocker says why).
	Image []byte
	// Globals are the globals the module defines (not the rewriter's);
	// the mutable ones are exported as GlobalExport(index), so a snapshot
	// can read them.
	Globals []Global
	// SnapshotBlocker says why the module's state cannot be captured in a
	// snapshot (it changes tables, uses passive data segments, shares its
	// memory...); empty when it can.
	SnapshotBlocker string
}

// Prepare rewrites a module so that the engine can run it cheaply and stop
// it safely:
//
//   - Interruption: it adds the exported mutable global InterruptExport and,
//     at every function entry and loop head, a check that traps when the
//     global is set (the technique of wasmtime's epoch interruption): any
//     unbounded computation passes one of those points (wazero leaves tail
//     calls off), and host calls are interrupted by the host. The same
//     checks return to Go now and then (see instrumentCode).
//   - Start function: the start section is removed and the function
//     exported as StartExport, so the host can run it under its init
//     timeout instead of inside instantiation, where it could not be
//     interrupted.
//   - Data segments: when every data segment is active, in memory 0, at a
//     constant offset, they are removed and returned as the memory image
//     they build (Image), which the host writes into new instances' memory.
//     Go's linker emits tens of thousands of small segments, each an
//     allocation at every instantiation; and a snapshot's image must not be
//     overwritten by the module's initial data.
//   - Globals: the module's mutable globals are exported (GlobalExport), so
//     a snapshot can read them and restore them.
//   - Tables: their entries, which take host memory outside the guest's
//     memory limit, are capped (see MaxTableEntries and capTables).
//
// Custom sections that refer to code offsets (DWARF, source maps) are
// dropped, as the code moves. Prepare refuses what it cannot read.
func Prepare(b []byte) (*Prepared, error) {
	secs, err := Sections(b)
	if err != nil {
		return nil, err
	}
	if err := checkVectors(secs); err != nil {
		return nil, err
	}
	p := &Prepared{}
	var nImportedGlobals, nGlobals uint32
	var startFunc uint32
	hasStart, hasGlobalSec, hasExportSec, hasMemory := false, false, false, false
	for _, s := range secs {
		switch s.ID {
		case SectionImport:
			imps, err := parseImports(s.Data)
			if err != nil {
				return nil, err
			}
			for _, imp := range imps {
				switch imp.Kind {
				case KindGlobal:
					nImportedGlobals++
				case KindMemory:
					hasMemory = true
				}
			}
		case SectionMemory:
			r := reader{b: s.Data}
			n, err := r.u32()
			if err != nil {
				return nil, fmt.Errorf("memory section: %w", err)
			}
			hasMemory = hasMemory || n > 0
		case SectionGlobal:
			hasGlobalSec = true
			r := reader{b: s.Data}
			if nGlobals, err = r.u32(); err != nil {
				return nil, fmt.Errorf("global section: %w", err)
			}
			if p.Globals, err = parseGlobals(s.Data, nImportedGlobals); err != nil {
				return nil, err
			}
		case SectionExport:
			hasExportSec = true
			names, err := exportNames(s.Data)
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				if n == InterruptExport || n == StartExport || strings.HasPrefix(n, GlobalExportPrefix) {
					return nil, fmt.Errorf("export %q is reserved for the host", n)
				}
			}
		case SectionStart:
			r := reader{b: s.Data}
			if startFunc, err = r.u32(); err != nil {
				return nil, fmt.Errorf("start section: %w", err)
			}
			hasStart = true
		}
	}
	interrupt := nImportedGlobals + nGlobals
	p.HasStart = hasStart

	var dataCount []byte // the data count section, if any
	keptData := false
	// usesData is set when instructions refer to data segments by index
	// (memory.init, data.drop): the segments must then stay, even active
	// ones, which those instructions may name too.
	usesData := false
	out := make([]byte, 0, len(b)+len(b)/16)
	out = append(out, b[:8]...)
	emit := func(id byte, data []byte) []byte {
		out = append(out, id)
		out = appendU32(out, uint32(len(data)))
		return append(out, data...)
	}
	// insertMissing emits the global and export sections before the first
	// section that must follow them, when the module has none.
	insertMissing := func(beforeRank int) {
		if !hasGlobalSec && beforeRank > sectionRank[SectionGlobal] {
			out = emit(SectionGlobal, appendGlobals(appendU32(nil, addedGlobals)))
			hasGlobalSec = true
		}
		if !hasExportSec && beforeRank > sectionRank[SectionExport] {
			out = emit(SectionExport, appendExports(nil, 0, p.added(interrupt, hasStart, startFunc)))
			hasExportSec = true
		}
	}
	for _, s := range secs {
		if rank, ok := sectionRank[s.ID]; ok {
			insertMissing(rank)
		}
		switch s.ID {
		case SectionCustom:
			r := reader{b: s.Data}
			name, err := r.name()
			if err != nil {
				return nil, fmt.Errorf("custom section: %w", err)
			}
			if strings.HasPrefix(name, ".debug_") || name == "sourceMappingURL" || name == "external_debug_info" {
				continue
			}
			out = emit(s.ID, s.Data)
		case SectionGlobal:
			data := appendU32(nil, nGlobals+addedGlobals)
			r := reader{b: s.Data}
			_, _ = r.u32()
			data = append(data, s.Data[r.pos:]...)
			out = emit(s.ID, appendGlobals(data))
		case SectionExport:
			r := reader{b: s.Data}
			n, _ := r.u32()
			out = emit(s.ID, appendExports(nil, n, p.added(interrupt, hasStart, startFunc), s.Data[r.pos:]...))
		case SectionStart:
			// Exported instead; see StartExport.
		case SectionTable:
			data, err := capTables(s.Data)
			if err != nil {
				return nil, err
			}
			out = emit(s.ID, data)
		case SectionCode:
			data, loops, blocker, codeUsesData, err := instrumentCode(s.Data, interrupt, hasMemory)
			if err != nil {
				return nil, err
			}
			p.Loops = loops
			usesData = codeUsesData
			if p.SnapshotBlocker == "" {
				p.SnapshotBlocker = blocker
			}
			out = emit(s.ID, data)
		case SectionData:
			image, n, err := extractData(s.Data)
			if err != nil {
				return nil, err
			}
			p.DataSegments = n
			if (image == nil && n > 0) || usesData {
				if p.SnapshotBlocker == "" {
					p.SnapshotBlocker = "has passive data segments or segments at non-constant offsets"
				}
				out = emit(s.ID, s.Data)
				keptData = true
				continue
			}
			p.Image = image
		case SectionDataCount:
			dataCount = s.Data // kept only if the data section is
		default:
			out = emit(s.ID, s.Data)
		}
	}
	insertMissing(1 << 30)
	if keptData && dataCount != nil {
		// The data count section precedes the code; put it back there.
		if out, err = insertDataCount(out, dataCount); err != nil {
			return nil, err
		}
	}
	p.Code = out
	return p, nil
}

// addedGlobals is how many globals the rewriter adds: the interrupt
// global, then the counter.
const addedGlobals = 2

// yieldMask sets how often a guest exits to Go: every yieldMask+1 calls
// and loop iterations (see instrumentCode).
const yieldMask = 1<<16 - 1

// appendGlobals appends the interrupt global and the counter of calls and
// iterations, both i32, mutable, initially 0.
func appendGlobals(b []byte) []byte {
	return append(b, 0x7F, 0x01, 0x41, 0x00, 0x0B, 0x7F, 0x01, 0x41, 0x00, 0x0B)
}

// export is an export entry the rewriter adds.
type export struct {
	name  string
	kind  ExternKind
	index uint32
}

// added lists the exports the rewriter adds: the interrupt global, the
// former start function, and the module's mutable globals.
func (p *Prepared) added(interrupt uint32, hasStart bool, startFunc uint32) []export {
	out := []export{{InterruptExport, KindGlobal, interrupt}}
	if hasStart {
		out = append(out, export{StartExport, KindFunc, startFunc})
	}
	for _, g := range p.Globals {
		if g.Mutable {
			out = append(out, export{g.Export, KindGlobal, g.Index})
		}
	}
	return out
}

// appendExports writes the export count (n plus the added), the original
// entries, then the added ones.
func appendExports(b []byte, n uint32, added []export, entries ...byte) []byte {
	b = appendU32(b, n+uint32(len(added)))
	b = append(b, entries...)
	for _, e := range added {
		b = appendName(b, e.name)
		b = append(b, byte(e.kind))
		b = appendU32(b, e.index)
	}
	return b
}

func exportNames(data []byte) ([]string, error) {
	r := reader{b: data}
	n, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("export section: %w", err)
	}
	if int(n) > len(data) {
		return nil, fmt.Errorf("export section: count %d exceeds its size", n)
	}
	names := make([]string, 0, n)
	for i := range n {
		name, err := r.name()
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		if _, err := r.byte(); err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		if _, err := r.u32(); err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		names = append(names, name)
	}
	return names, nil
}

// instrumentCode adds the checks of instrumentBody to every function.
//
// When the module has a memory, the checks also count calls and loop
// iterations and, every yieldMask+1 of them, run memory.grow 0, which
// wazero implements as an exit from machine code to Go. The Go runtime
// cannot preempt a goroutine while it runs guest machine code, so without
// such exits, guests looping on every processor (GOMAXPROCS of them) would
// keep the timeout's timer from ever running, and a stop-the-world garbage
// collection from ever starting.
//
// It also reports the first instruction that makes a snapshot unsafe
// (blocker), and whether any instruction refers to a data segment.
func instrumentCode(data []byte, interrupt uint32, yield bool) (_ []byte, loops int, blocker string, usesData bool, _ error) {
	r := reader{b: data}
	n, err := r.u32()
	if err != nil {
		return nil, 0, "", false, fmt.Errorf("code section: %w", err)
	}
	if int(n) > len(data) {
		return nil, 0, "", false, fmt.Errorf("code section: count %d exceeds its size", n)
	}
	out := appendU32(make([]byte, 0, len(data)+len(data)/32), n)
	var body []byte
	for i := range n {
		size, err := r.u32()
		if err != nil {
			return nil, 0, "", false, fmt.Errorf("function body %d: %w", i, err)
		}
		raw, err := r.bytes(int(size))
		if err != nil {
			return nil, 0, "", false, fmt.Errorf("function body %d: %w", i, err)
		}
		var found int
		var why string
		var bodyUsesData bool
		body, found, why, bodyUsesData, err = instrumentBody(body[:0], raw, interrupt, yield)
		if err != nil {
			return nil, 0, "", false, fmt.Errorf("function body %d: %w", i, err)
		}
		usesData = usesData || bodyUsesData
		if blocker == "" && why != "" {
			blocker = fmt.Sprintf("function body %d %s", i, why)
		}
		loops += found
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if r.pos != len(data) {
		return nil, 0, "", false, errors.New("code section: trailing bytes")
	}
	return out, loops, blocker, usesData, nil
}

// snapshotUnsafe says why an instruction makes a snapshot of memory and
// globals incomplete: it changes state a snapshot does not capture (tables,
// passive data segments). op is the opcode; r is positioned after it.
func snapshotUnsafe(op byte, r *reader) string {
	switch op {
	case 0x26:
		return "sets a table (table.set)"
	case 0xFC:
		save := r.pos
		sub, err := r.u32()
		r.pos = save
		if err != nil {
			return ""
		}
		switch sub {
		case 8, 9:
			return "uses passive data segments (memory.init, data.drop)"
		case 12, 13, 14, 15, 17:
			return "changes a table (table.init, elem.drop, table.copy, table.grow, table.fill)"
		}
	case 0xFE:
		return "uses atomic instructions (shared memory)"
	}
	return ""
}

// Instructions used by the checks.
const (
	opIf        = 0x04
	opEnd       = 0x0B
	opLocalGet  = 0x20
	opLocalTee  = 0x22
	opGlobalGet = 0x23
	opGlobalSet = 0x24
	opI32Const  = 0x41
	opI32Eqz    = 0x45
	opI32Add    = 0x6A
	opI32And    = 0x71
	opI32Or     = 0x72
)

// slowPath is the body of the rarely taken branch: trap if interrupted,
// else return to Go for a moment (memory.grow 0).
func slowPath(b []byte, interrupt uint32) []byte {
	b = appendU32(append(b, opGlobalGet), interrupt)
	b = append(b, opIf, 0x40, 0x00, opEnd)               // if; unreachable; end
	return append(b, opI32Const, 0x00, 0x40, 0x00, 0x1A) // i32.const 0; memory.grow 0; drop
}

// countCheck appends the check run at every function entry and loop head:
// interrupted, or the call-and-iteration counter incremented to a
// multiple of yieldMask+1, takes the slow path.
//
//	global.get $interrupt
//	global.get $counter  i32.const 1  i32.add  global.set $counter
//	global.get $counter  i32.const yieldMask  i32.and  i32.eqz
//	i32.or
//	if  <slow path>  end
func countCheck(b []byte, interrupt uint32) []byte {
	counter := interrupt + 1
	b = appendU32(append(b, opGlobalGet), interrupt)
	b = appendU32(append(b, opGlobalGet), counter)
	b = append(b, opI32Const, 0x01, opI32Add)
	b = appendU32(append(b, opGlobalSet), counter)
	b = appendU32(append(b, opGlobalGet), counter)
	b = appendS32(append(b, opI32Const), yieldMask)
	b = append(b, opI32And, opI32Eqz, opI32Or, opIf, 0x40)
	b = slowPath(b, interrupt)
	return append(b, opEnd)
}

// straightLine reports whether an instruction always falls through to the
// next: opening a block, moving locals or globals, constants, nop.
func straightLine(op byte) bool {
	switch {
	case op == 0x01 || op == 0x02: // nop, block
		return true
	case op >= 0x20 && op <= 0x24: // local.get/set/tee, global.get/set
		return true
	case op >= 0x41 && op <= 0x44: // constants
		return true
	}
	return false
}

// interruptCheck appends the check used when the module has no memory to
// yield with: global.get $interrupt; if; unreachable; end.
func interruptCheck(b []byte, interrupt uint32) []byte {
	b = appendU32(append(b, opGlobalGet), interrupt)
	return append(b, opIf, 0x40, 0x00, opEnd)
}

// instrumentBody copies one function body with a check at its entry and at
// the head of each loop. Entry checks catch recursion without loops; loop
// checks catch loops. A function that reaches a loop head straight from
// its entry needs no entry check of its own. The counter they share lives in a global because
// locals restart at every call. (A local would be cheaper in principle,
// but measured no faster here: wazero spills it around the slow path.)
func instrumentBody(out, raw []byte, interrupt uint32, yield bool) (_ []byte, loops int, blocker string, usesData bool, _ error) {
	r := reader{b: raw}
	groups, err := r.u32()
	if err != nil {
		return nil, 0, "", false, fmt.Errorf("locals: %w", err)
	}
	var locals uint64
	for range groups {
		n, err := r.u32()
		if err != nil {
			return nil, 0, "", false, fmt.Errorf("locals: %w", err)
		}
		if locals += uint64(n); locals > MaxLocals {
			// wazero would allocate for them all: see checkVectors.
			return nil, 0, "", false, fmt.Errorf("%w: over %d locals", ErrOversized, MaxLocals)
		}
		if err := r.skipValueType(); err != nil {
			return nil, 0, "", false, fmt.Errorf("locals: %w", err)
		}
	}
	codeStart := r.pos
	var loopEnds []int // offsets just after each loop's block type
	// entryCovered: every call reaches a loop head before anything else
	// happens (only blocks opened and locals or globals moved before it),
	// so the loop's check covers the entry. Go's wasm functions all start
	// so, with their dispatch loop.
	entryCovered, straight := false, true
	for r.pos < len(raw) {
		at := r.pos
		op, _ := r.byte()
		if blocker == "" {
			blocker = snapshotUnsafe(op, &r)
		}
		if op == 0xFC && !usesData {
			usesData = refersToData(&r)
		}
		if err := r.skipInstruction(op); err != nil {
			return nil, 0, "", false, fmt.Errorf("offset %d: %w", at, err)
		}
		if op == 0x03 {
			loopEnds = append(loopEnds, r.pos)
			entryCovered = entryCovered || straight
		}
		straight = straight && straightLine(op)
	}
	check := interruptCheck(nil, interrupt)
	if yield {
		check = countCheck(nil, interrupt)
	}
	out = append(out, raw[:codeStart]...)
	if !entryCovered {
		out = append(out, check...)
	}
	copied := codeStart
	for _, end := range loopEnds {
		out = append(out, raw[copied:end]...)
		out = append(out, check...)
		copied = end
	}
	return append(out, raw[copied:]...), len(loopEnds), blocker, usesData, nil
}

// refersToData reports whether the 0xFC-prefixed instruction r is
// positioned in (after the prefix) names a data segment: memory.init or
// data.drop. It leaves r unmoved.
func refersToData(r *reader) bool {
	save := r.pos
	sub, err := r.u32()
	r.pos = save
	return err == nil && (sub == 8 || sub == 9)
}

// segment is an active data segment at a constant offset in memory 0.
type segment struct {
	offset uint32
	data   []byte
}

// extractData builds the memory image of a data section whose segments
// are all active, in memory 0, at i32.const offsets. It returns a nil
// image (and the segment count) when they are not.
func extractData(data []byte) (image []byte, n int, err error) {
	r := reader{b: data}
	count, err := r.u32()
	if err != nil {
		return nil, 0, fmt.Errorf("data section: %w", err)
	}
	if int(count) > len(data) {
		return nil, 0, fmt.Errorf("data section: count %d exceeds its size", count)
	}
	segs := make([]segment, 0, count)
	simple := true
	var end uint64
	for i := range count {
		flags, err := r.u32()
		if err != nil {
			return nil, 0, fmt.Errorf("data segment %d: %w", i, err)
		}
		var offset int64
		switch flags {
		case 0, 2:
			if flags == 2 {
				if mem, err := r.u32(); err != nil || mem != 0 {
					simple = false
				}
			}
			offset, err = r.constI32()
			if err != nil {
				simple = false
				if err = r.skipConstExpr(); err != nil {
					return nil, 0, fmt.Errorf("data segment %d: offset: %w", i, err)
				}
			}
		case 1:
			simple = false
		default:
			return nil, 0, fmt.Errorf("data segment %d: unknown kind %d", i, flags)
		}
		size, err := r.u32()
		if err != nil {
			return nil, 0, fmt.Errorf("data segment %d: %w", i, err)
		}
		b, err := r.bytes(int(size))
		if err != nil {
			return nil, 0, fmt.Errorf("data segment %d: %w", i, err)
		}
		segs = append(segs, segment{offset: uint32(offset), data: b})
		end = max(end, uint64(uint32(offset))+uint64(len(b)))
	}
	if r.pos != len(data) {
		return nil, 0, errors.New("data section: trailing bytes")
	}
	// A segment past 4 GiB (a negative offset) could never be applied:
	// keep the section and let instantiation fail as it would have.
	if !simple || end > 1<<32 {
		return nil, int(count), nil
	}
	image = make([]byte, end)
	for _, s := range segs {
		copy(image[s.offset:], s.data)
	}
	return image, int(count), nil
}

// constI32 reads a constant expression that is exactly "i32.const N end".
// It leaves r unmoved when the expression is anything else.
func (r *reader) constI32() (int64, error) {
	save := r.pos
	op, err := r.byte()
	if err == nil && op == 0x41 {
		v, err := r.s64()
		if err == nil {
			if end, err := r.byte(); err == nil && end == 0x0B {
				return v, nil
			}
		}
	}
	r.pos = save
	return 0, errors.New("not a constant i32 expression")
}

// skipConstExpr skips a constant expression up to its end opcode.
func (r *reader) skipConstExpr() error {
	for {
		op, err := r.byte()
		if err != nil {
			return err
		}
		if op == 0x0B {
			return nil
		}
		if err := r.skipInstruction(op); err != nil {
			return err
		}
	}
}

// insertDataCount puts a data count section back before the code section
// (or the data section) of an encoded module.
func insertDataCount(b, data []byte) ([]byte, error) {
	secs, err := Sections(b)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write(b[:8])
	placed := false
	for _, s := range secs {
		if !placed && (s.ID == SectionCode || s.ID == SectionData) {
			out.WriteByte(SectionDataCount)
			out.Write(appendU32(nil, uint32(len(data))))
			out.Write(data)
			placed = true
		}
		out.WriteByte(s.ID)
		out.Write(appendU32(nil, uint32(len(s.Data))))
		out.Write(s.Data)
	}
	return out.Bytes(), nil
}
