package filter

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalidFilter is matched (errors.Is) by every error Compile and
// CompileCriteria return: the filter criteria cannot be used, and an
// event source mapping that carries them must be refused with Lambda's
// InvalidParameterValueException.
var ErrInvalidFilter = errors.New("filter: invalid filter criteria")

// Error is a filter pattern, or a set of them, that Compile or
// CompileCriteria refuses. Its message says what is wrong and where, in
// words fit to return to the API caller as the message of an
// InvalidParameterValueException. It matches ErrInvalidFilter.
type Error struct {
	// Filter is the index of the pattern in the list given to
	// CompileCriteria, or -1 for Compile and for faults of the list as a
	// whole (too many filters).
	Filter int
	// Path is where in the pattern the fault is, as a JSON path from the
	// pattern's root "$" (`$.body.price[0].numeric`); empty when the fault
	// is not in one place (a pattern too long, a syntax error).
	Path string
	// Offset is the byte offset in the pattern of a JSON syntax error, or
	// -1.
	Offset int
	// Reason says what is wrong.
	Reason string

	list bool // a fault of the list of filters, not of one pattern
}

// Error says which filter, where in it, and what is wrong.
func (e *Error) Error() string {
	var b strings.Builder
	if e.list {
		b.WriteString("FilterCriteria.Filters")
	} else if e.Filter >= 0 {
		b.WriteString("FilterCriteria.Filters[")
		b.WriteString(strconv.Itoa(e.Filter))
		b.WriteString("].Pattern")
	} else {
		b.WriteString("filter pattern")
	}
	if e.Path != "" {
		b.WriteString(" at ")
		b.WriteString(e.Path)
	}
	if e.Offset >= 0 {
		b.WriteString(" at offset ")
		b.WriteString(strconv.Itoa(e.Offset))
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Is reports whether target is ErrInvalidFilter.
func (e *Error) Is(target error) bool { return target == ErrInvalidFilter }

// quote returns s quoted as a Go string for an error message, cut to a
// length that keeps messages short whatever a pattern holds.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
