package jsoncodec_test

import (
	"fmt"

	"github.com/flintfaas/flint/abi/guest/internal/jsoncodec"
)

// An event decodes as encoding/json decodes it: tags, names matched
// without regard to case, unknown fields ignored; a malformed one fails
// with encoding/json's message.
func ExampleUnmarshal() {
	var ev struct {
		Name  string `json:"name"`
		Count int    `json:"count,omitempty"`
	}
	err := jsoncodec.Unmarshal([]byte(`{"NAME":"ana","extra":true}`), &ev)
	fmt.Println(ev.Name, err)
	err = jsoncodec.Unmarshal([]byte(`{"name":"ana","count":"7"}`), &ev)
	fmt.Println(err)
	out, _ := jsoncodec.Marshal(map[string]string{"html": "<b>&</b>"})
	fmt.Println(string(out))
	// Output:
	// ana <nil>
	// json: cannot unmarshal string into Go struct field .count of type int
	// {"html":"\u003cb\u003e\u0026\u003c/b\u003e"}
}
