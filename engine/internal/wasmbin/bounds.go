package wasmbin

import (
	"errors"
	"fmt"
)

// MaxLocals is the most locals one function may declare: the limit of the
// JavaScript embedding, which toolchains stay under.
const MaxLocals = 50_000

// checkVectors refuses a module that declares more entries in a vector
// than the bytes after the count could hold (every entry takes at least
// one), or a function with more than MaxLocals locals.
//
// wazero's decoder allocates for a vector's declared length before it
// reads the entries: a module of twenty bytes declaring four billion table
// entries makes it ask for hundreds of gigabytes, which is not an error
// but a fatal one, for the whole process. Prepare's output goes to wazero,
// so Prepare refuses such modules first. It checks every vector wazero
// allocates for up front; malformed entries are left for wazero to refuse.
func checkVectors(secs []Section) error {
	for _, s := range secs {
		r := &reader{b: s.Data}
		var err error
		switch s.ID {
		case SectionType:
			err = r.checkTypes()
		case SectionImport, SectionFunction, SectionTable, SectionMemory, SectionGlobal,
			SectionExport, SectionCode, SectionData, SectionTag:
			_, err = r.count()
		case SectionElement:
			err = r.checkElements()
		case SectionCustom:
			if name, nameErr := r.name(); nameErr == nil && name == "name" {
				err = r.checkNames()
			}
		}
		if err != nil {
			return fmt.Errorf("section %d: %w", s.ID, err)
		}
	}
	return nil
}

// ErrOversized is returned for a module that declares more entries in a
// vector than its bytes hold, or a function with more than MaxLocals
// locals (see checkVectors).
var ErrOversized = errors.New("declares more than the module holds")

// count reads a vector's length and checks it against the bytes left.
func (r *reader) count() (uint32, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if uint64(n) > uint64(len(r.b)-r.pos) {
		return 0, fmt.Errorf("%w: a vector of %d entries in %d bytes", ErrOversized, n, len(r.b)-r.pos)
	}
	return n, nil
}

// checkTypes checks the parameter and result vectors of the type section.
func (r *reader) checkTypes() error {
	n, err := r.count()
	if err != nil {
		return err
	}
	for range n {
		b, err := r.byte()
		if err != nil {
			return nil
		}
		group := uint32(1)
		if b == 0x4E { // a recursion group (GC): its types follow
			if group, err = r.count(); err != nil {
				return err
			}
		} else {
			r.pos--
		}
		for range group {
			if form, err := r.byte(); err != nil || form != 0x60 {
				return nil // not a function type: wazero refuses it
			}
			for range 2 { // parameters, then results
				k, err := r.count()
				if err != nil {
					return err
				}
				for range k {
					if err := r.skipValueType(); err != nil {
						return nil
					}
				}
			}
		}
	}
	return nil
}

// skipValueType skips one value type: a byte, or a reference type's
// prefix and heap type.
func (r *reader) skipValueType() error {
	b, err := r.byte()
	if err != nil {
		return err
	}
	if b == 0x63 || b == 0x64 { // (ref null ht), (ref ht)
		_, err = r.s64()
	}
	return err
}

// checkElements checks the vectors of the element section.
func (r *reader) checkElements() error {
	n, err := r.count()
	if err != nil {
		return err
	}
	for range n {
		flags, err := r.u32()
		if err != nil || flags > 7 {
			return nil
		}
		if flags == 2 || flags == 6 { // an explicit table index
			if _, err := r.u32(); err != nil {
				return nil
			}
		}
		if flags&1 == 0 { // active: an offset expression
			if err := r.skipConstExpr(); err != nil {
				return nil
			}
		}
		if flags != 0 && flags != 4 { // an element kind or reference type
			if err := r.skipValueType(); err != nil {
				return nil
			}
		}
		k, err := r.count()
		if err != nil {
			return err
		}
		for range k {
			if flags&4 == 0 {
				_, err = r.u32() // a function index
			} else {
				err = r.skipConstExpr()
			}
			if err != nil {
				return nil
			}
		}
	}
	return nil
}

// checkNames checks the vectors and strings of the name section's
// subsections that wazero decodes: the module's name, the functions'
// names and their locals' names.
func (r *reader) checkNames() error {
	for r.pos < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return nil
		}
		size, err := r.u32()
		if err != nil {
			return nil
		}
		sub, err := r.bytes(int(size))
		if err != nil {
			return nil
		}
		s := &reader{b: sub}
		switch id {
		case 0:
			err = s.skipName()
		case 1:
			err = s.checkNameMap()
		case 2:
			var n uint32
			if n, err = s.count(); err == nil {
				for range n {
					if _, err = s.u32(); err != nil {
						break
					}
					if err = s.checkNameMap(); err != nil {
						break
					}
				}
			}
		}
		if err != nil {
			return fmt.Errorf("name section: %w", err)
		}
	}
	return nil
}

// checkNameMap checks a name map: a vector of (index, name).
func (r *reader) checkNameMap() error {
	n, err := r.count()
	if err != nil {
		return err
	}
	for range n {
		if _, err := r.u32(); err != nil {
			return err
		}
		if err := r.skipName(); err != nil {
			return err
		}
	}
	return nil
}

// skipName skips a name, refusing one longer than the bytes left (wazero
// allocates for its declared length too).
func (r *reader) skipName() error {
	n, err := r.count()
	if err == nil {
		r.pos += int(n)
	}
	return err
}
