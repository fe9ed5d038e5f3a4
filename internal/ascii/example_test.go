package ascii_test

import (
	"fmt"
	"strings"

	"github.com/flintfaas/flint/internal/ascii"
)

// Unlike the standard library, ascii leaves non-ASCII letters alone: the
// Kelvin sign is not the letter k.
func ExampleEqualFold() {
	fmt.Println(ascii.EqualFold("Content-Type", "content-type"))
	fmt.Println(ascii.EqualFold("\u212a", "k"), strings.EqualFold("\u212a", "k"))
	// Output:
	// true
	// false true
}
