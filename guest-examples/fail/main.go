// Command fail is a Flint function that always returns a handled error, the
// way a function rejects bad input.
package main

import "github.com/flintfaas/flint/abi/guest"

func main() {}

func init() {
	guest.Handle(func(ctx guest.Context, event []byte) ([]byte, error) {
		guest.Log(guest.LevelWarn, "rejecting the event")
		return nil, &guest.Error{Type: "ValidationError", Message: "the event is not acceptable: " + string(event)}
	})
}
