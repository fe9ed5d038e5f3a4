package fetch_test

import (
	"errors"
	"io"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/fetch"
)

func ExampleClient() {
	resp, err := fetch.Client().Get("https://api.example.com/v1/x")
	switch {
	case errors.Is(err, guest.ErrDenied):
		// The policy lacks http:Fetch on the URL (or a redirect), or the
		// name resolves to a private address.
		return
	case errors.Is(err, guest.ErrUnavailable):
		// DNS, connection or timeout: trying again later may work.
		return
	case err != nil:
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	guest.Log(guest.LevelInfo, resp.Status+": "+string(body))
}
