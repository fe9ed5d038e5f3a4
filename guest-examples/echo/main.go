// Command echo is a Flint function that returns its payload unchanged.
package main

import "github.com/flintfaas/flint/abi/guest"

func main() {}

func init() {
	guest.Handle(func(_ guest.Context, event []byte) ([]byte, error) {
		return event, nil
	})
}
