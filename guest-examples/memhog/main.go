// Command memhog is a Flint function that allocates memory: with an empty
// payload until its memory cap stops it, with {"mb":N} N megabytes, kept
// alive across invocations.
package main

import (
	"encoding/json"
	"strconv"

	"github.com/flintfaas/flint/abi/guest"
)

func main() {}

var hoard [][]byte

func init() {
	guest.Handle(func(_ guest.Context, event []byte) ([]byte, error) {
		var req struct {
			MB int `json:"mb"`
		}
		if len(event) > 0 {
			if err := json.Unmarshal(event, &req); err != nil {
				return nil, err
			}
		}
		for i := 0; req.MB == 0 || i < req.MB; i++ {
			chunk := make([]byte, 1<<20)
			for j := range chunk {
				chunk[j] = byte(j) // touch every byte
			}
			hoard = append(hoard, chunk)
		}
		return []byte(strconv.Itoa(len(hoard))), nil
	})
}
