// Package wasmbin reads the parts of the WebAssembly binary format that
// wazero's public API does not expose: the section list and every import,
// whatever its kind. It validates only what it reads; full validation is
// wazero's job.
package wasmbin

import (
	"bytes"
	"errors"
	"fmt"
)

// Magic is the four bytes every WebAssembly module starts with.
var Magic = []byte{0x00, 0x61, 0x73, 0x6d}

// ErrNotWasm is returned for bytes that do not start with the module header.
var ErrNotWasm = errors.New("not a WebAssembly module (missing \\0asm header)")

// Section ids of the binary format.
const (
	SectionCustom = 0
	SectionType   = 1
	SectionImport = 2
)

// ExternKind is the kind of an import or export.
type ExternKind byte

// Extern kinds.
const (
	KindFunc   ExternKind = 0
	KindTable  ExternKind = 1
	KindMemory ExternKind = 2
	KindGlobal ExternKind = 3
	KindTag    ExternKind = 4
)

// String names the kind as the text format does.
func (k ExternKind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	case KindTag:
		return "tag"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// Import is one entry of the import section.
type Import struct {
	Module, Name string
	Kind         ExternKind
}

// Section is one section of a module: its id and its contents.
type Section struct {
	ID   byte
	Data []byte
}

// CheckHeader reports whether b starts with the magic and version 1.
func CheckHeader(b []byte) error {
	if len(b) < 8 || !bytes.Equal(b[:4], Magic) {
		return ErrNotWasm
	}
	if v := b[4:8]; !bytes.Equal(v, []byte{1, 0, 0, 0}) {
		return fmt.Errorf("unsupported WebAssembly binary version %v", v)
	}
	return nil
}

// Sections splits a module into its sections, checking their framing.
func Sections(b []byte) ([]Section, error) {
	if err := CheckHeader(b); err != nil {
		return nil, err
	}
	r := reader{b: b, pos: 8}
	var out []Section
	for r.pos < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("section %d: size: %w", id, err)
		}
		data, err := r.bytes(int(size))
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		out = append(out, Section{ID: id, Data: data})
	}
	return out, nil
}

// Imports lists a module's imports of every kind.
func Imports(b []byte) ([]Import, error) {
	secs, err := Sections(b)
	if err != nil {
		return nil, err
	}
	for _, s := range secs {
		if s.ID == SectionImport {
			return parseImports(s.Data)
		}
	}
	return nil, nil
}

func parseImports(data []byte) ([]Import, error) {
	r := reader{b: data}
	n, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("import section: count: %w", err)
	}
	if int(n) > len(data) { // each entry takes at least one byte
		return nil, fmt.Errorf("import section: count %d exceeds its size", n)
	}
	imports := make([]Import, 0, n)
	for i := range n {
		mod, err := r.name()
		if err != nil {
			return nil, fmt.Errorf("import %d: module name: %w", i, err)
		}
		name, err := r.name()
		if err != nil {
			return nil, fmt.Errorf("import %d: name: %w", i, err)
		}
		kind, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("import %d: kind: %w", i, err)
		}
		if err := r.skipImportDesc(ExternKind(kind)); err != nil {
			return nil, fmt.Errorf("import %d (%s.%s): %w", i, mod, name, err)
		}
		imports = append(imports, Import{Module: mod, Name: name, Kind: ExternKind(kind)})
	}
	return imports, nil
}

// reader decodes the primitive encodings of the binary format.
type reader struct {
	b   []byte
	pos int
}

var errTruncated = errors.New("unexpected end of data")

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, errTruncated
	}
	out := r.b[r.pos : r.pos+n]
	r.pos += n
	return out, nil
}

// u32 decodes an unsigned LEB128 value of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	var v uint32
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift == 28 && c&0x70 != 0 {
			return 0, errors.New("LEB128 value overflows 32 bits")
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("LEB128 value too long")
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(int(n))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func (r *reader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.u32()
	}
	return err
}

func (r *reader) skipImportDesc(k ExternKind) error {
	switch k {
	case KindFunc:
		_, err := r.u32()
		return err
	case KindTable:
		if _, err := r.byte(); err != nil {
			return err
		}
		return r.limits()
	case KindMemory:
		return r.limits()
	case KindGlobal:
		if _, err := r.byte(); err != nil {
			return err
		}
		_, err := r.byte()
		return err
	case KindTag:
		if _, err := r.byte(); err != nil {
			return err
		}
		_, err := r.u32()
		return err
	}
	return fmt.Errorf("unknown import kind 0x%x", byte(k))
}
