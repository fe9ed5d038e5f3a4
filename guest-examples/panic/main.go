// Command panic is a Flint function that panics: the instance crashes and
// the host reports an unhandled error and discards it.
package main

import "github.com/flintfaas/flint/abi/guest"

func main() {}

func init() {
	guest.Handle(func(guest.Context, []byte) ([]byte, error) {
		panic("boom")
	})
}
