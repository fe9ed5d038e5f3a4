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

// A plugin that reads an order from the application that embeds Flint,
// through its host capability orders.Get, and flags large ones with
// orders.Annotate; the tenant it runs for comes from its context.
func ExampleCallJSON() {
	type order struct {
		ID    string `json:"id"`
		Total int    `json:"total"`
	}
	type note struct {
		ID   string `json:"id"`
		Note string `json:"note"`
	}
	guest.HandleJSON(func(ctx guest.Context, id string) (string, error) {
		o, err := guest.CallJSON[string, order]("orders.Get", id)
		if err != nil {
			return "", err // a *guest.DeniedError names what the policy refused
		}
		if o.Total < 100 {
			return ctx.Tenant() + ": " + o.ID + " ok", nil
		}
		_, err = guest.CallJSON[note, struct{}]("orders.Annotate", note{ID: o.ID, Note: "review"})
		if errors.Is(err, guest.ErrDenied) {
			return ctx.Tenant() + ": " + o.ID + " needs review, but this tenant does not let me say so", nil
		}
		return ctx.Tenant() + ": " + o.ID + " flagged", err
	})
}
