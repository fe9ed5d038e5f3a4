package wasmbin

import (
	"errors"
	"fmt"
)

// skipInstruction advances r past one instruction whose opcode op has
// already been read. It knows the immediates of every instruction wazero
// accepts (MVP, sign extension, saturating truncation, bulk memory,
// reference types, multi-value, SIMD, threads, tail calls, exceptions).
func (r *reader) skipInstruction(op byte) error {
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04 || op == 0x06: // block loop if try
		return r.blockType()
	case op == 0x0C || op == 0x0D || op == 0x07 || op == 0x08 || op == 0x09 || op == 0x18: // br br_if catch throw rethrow delegate
		_, err := r.u32()
		return err
	case op == 0x0E: // br_table
		n, err := r.u32()
		if err != nil {
			return err
		}
		for range n + 1 {
			if _, err := r.u32(); err != nil {
				return err
			}
		}
		return nil
	case op == 0x10 || op == 0x12: // call return_call
		_, err := r.u32()
		return err
	case op == 0x11 || op == 0x13: // call_indirect return_call_indirect
		return r.u32s(2)
	case op == 0x1C: // select t*
		n, err := r.u32()
		if err != nil {
			return err
		}
		_, err = r.bytes(int(n))
		return err
	case op == 0x1F: // try_table
		if err := r.blockType(); err != nil {
			return err
		}
		n, err := r.u32()
		if err != nil {
			return err
		}
		for range n {
			kind, err := r.byte()
			if err != nil {
				return err
			}
			switch kind {
			case 0, 1: // catch, catch_ref: tag, label
				err = r.u32s(2)
			case 2, 3: // catch_all, catch_all_ref: label
				err = r.u32s(1)
			default:
				err = fmt.Errorf("unknown catch kind 0x%x", kind)
			}
			if err != nil {
				return err
			}
		}
		return nil
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		_, err := r.u32()
		return err
	case op >= 0x28 && op <= 0x3E: // loads and stores
		return r.memarg()
	case op == 0x3F || op == 0x40: // memory.size memory.grow
		_, err := r.u32()
		return err
	case op == 0x41:
		_, err := r.s64()
		return err
	case op == 0x42:
		_, err := r.s64()
		return err
	case op == 0x43:
		_, err := r.bytes(4)
		return err
	case op == 0x44:
		_, err := r.bytes(8)
		return err
	case op == 0xD0: // ref.null t
		_, err := r.byte()
		return err
	case op == 0xD2: // ref.func
		_, err := r.u32()
		return err
	case op == 0xFC:
		return r.prefixFC()
	case op == 0xFD:
		return r.prefixFD()
	case op == 0xFE:
		return r.prefixFE()
	case op <= 0x01 || op == 0x05 || op == 0x0A || op == 0x0B || op == 0x0F || op == 0x19 ||
		op == 0x1A || op == 0x1B || (op >= 0x45 && op <= 0xC4) || op == 0xD1:
		return nil // no immediates
	}
	return fmt.Errorf("unknown instruction 0x%02x", op)
}

func (r *reader) u32s(n int) error {
	for range n {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

// blockType reads an empty type (0x40), a value type, or a type index (s33).
func (r *reader) blockType() error {
	if r.pos >= len(r.b) {
		return errTruncated
	}
	// The empty type (0x40) and value types are negative s33 values of
	// one byte; anything else is a type index.
	if c := r.b[r.pos]; c&0xC0 == 0x40 {
		r.pos++
		return nil
	}
	_, err := r.s64()
	return err
}

func (r *reader) memarg() error {
	if _, err := r.u32(); err != nil { // alignment (and memory index flag)
		return err
	}
	_, err := r.u64() // offset
	return err
}

func (r *reader) prefixFC() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // saturating truncations
		return nil
	case sub == 8 || sub == 10 || sub == 12 || sub == 14: // memory.init memory.copy table.init table.copy
		return r.u32s(2)
	case sub == 9 || sub == 11 || sub == 13 || (sub >= 15 && sub <= 17): // data.drop memory.fill elem.drop table.grow/size/fill
		return r.u32s(1)
	}
	return fmt.Errorf("unknown instruction 0xfc %d", sub)
}

func (r *reader) prefixFD() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // v128 loads and stores
		return r.memarg()
	case sub == 12 || sub == 13: // v128.const i8x16.shuffle
		_, err := r.bytes(16)
		return err
	case sub >= 21 && sub <= 34: // extract and replace lane
		_, err := r.byte()
		return err
	case sub >= 84 && sub <= 91: // load and store lane
		if err := r.memarg(); err != nil {
			return err
		}
		_, err := r.byte()
		return err
	case sub <= 275:
		return nil
	}
	return fmt.Errorf("unknown instruction 0xfd %d", sub)
}

func (r *reader) prefixFE() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	if sub == 3 { // atomic.fence
		_, err := r.byte()
		return err
	}
	if sub <= 0x4E {
		return r.memarg()
	}
	return fmt.Errorf("unknown instruction 0xfe %d", sub)
}

// u64 decodes an unsigned LEB128 value of at most 64 bits.
func (r *reader) u64() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 70; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift == 63 && c&0x7e != 0 {
			return 0, errors.New("LEB128 value overflows 64 bits")
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("LEB128 value too long")
}

// s64 decodes a signed LEB128 value of at most 64 bits.
func (r *reader) s64() (int64, error) {
	var v int64
	var shift uint
	for {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift >= 63 && c&0x80 != 0 {
			return 0, errors.New("LEB128 value too long")
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
	}
}

// appendU32 appends v as unsigned LEB128.
func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// appendS32 appends v as signed LEB128.
func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendName(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}
