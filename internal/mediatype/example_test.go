package mediatype_test

import (
	"fmt"

	"github.com/flintfaas/flint/internal/mediatype"
)

func ExampleIsText() {
	fmt.Println(mediatype.IsText("application/json; charset=utf-8", []byte(`{"ok":true}`)))
	fmt.Println(mediatype.IsText("image/png", []byte("\x89PNG")))
	fmt.Println(mediatype.IsText("text/plain", []byte("caf\xe9"))) // not UTF-8
	// Output:
	// true
	// false
	// false
}
