// Package c holds flint.h, the C guest SDK: the Flint host ABI declared for
// C, C++ and Zig (see the header itself and abi/SPEC.md). The Go package
// only carries the file, for tools that write it into a new function
// (flint new --lang c).
package c

import _ "embed"

//go:embed flint.h
var header string

// Header returns flint.h.
func Header() string { return header }
