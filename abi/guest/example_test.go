package guest_test

import (
	"errors"

	"github.com/flintfaas/flint/abi/guest"
)

// A function that calls another and passes its failure on unchanged.
func ExampleInvoke() {
	guest.Handle(func(ctx guest.Context, event []byte) ([]byte, error) {
		out, err := guest.Invoke(ctx, "resize:live", event)
		var failed *guest.Error
		switch {
		case errors.As(err, &failed):
			return nil, failed // reported with the invoked function's type
		case errors.Is(err, guest.ErrDenied):
			return nil, &guest.Error{Type: "Misconfigured", Message: err.Error()}
		case err != nil:
			return nil, err
		}
		return out, nil
	})
}

// Reading a secret once per instance, at init.
func ExampleConfig() {
	var dbURL string
	guest.OnInit(func() error {
		var err error
		dbURL, err = guest.Config("db/url")
		return err
	})
	guest.Handle(func(guest.Context, []byte) ([]byte, error) {
		return []byte(dbURL), nil
	})
}
