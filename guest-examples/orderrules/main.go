// Command orderrules is a plugin for an application that embeds Flint: a
// tenant's "order rules", run by an order service on each order and given
// access to the service's orders only through two host capabilities the
// service registers (engine.Config.HostCapabilities):
//
//	orders.Get       {"id": "o-1"}                  -> {"id": "o-1", "total": 250, "country": "FR"}
//	orders.Annotate  {"id": "o-1", "note": "..."}   -> {}
//
// Each call is checked against the function's execution policy and the
// invocation's (the tenant's), as app:orders.Get and app:orders.Annotate
// on app:orders/TENANT/ID. engine/example_plugin_test.go is the service,
// and the README's "Embedding Flint in your application" walks through
// both.
//
// The event names an order; the rule flags it for review when its total
// reaches the threshold in the invocation's metadata "review-threshold"
// (100 without it), and records why with orders.Annotate, signed with the
// metadata "user":
//
//	{"order": "o-1"} -> {"tenant": "tenant-42", "order": "o-1", "total": 250, "flagged": true, "note": "review: total 250 >= 100 (rules run for ana)"}
//
// A tenant whose policy does not allow orders.Annotate still gets the
// verdict, with "annotated": false and the refusal in "error". An order
// the service does not have for the tenant is a handled error of type
// "OrderNotFound".
package main

import (
	"errors"
	"strconv"

	"github.com/flintfaas/flint/abi/guest"
)

func main() {}

// Event is the order the rules run on.
type Event struct {
	Order string `json:"order"`
}

// Order is what orders.Get returns.
type Order struct {
	ID      string `json:"id"`
	Total   int    `json:"total"`
	Country string `json:"country"`
}

// Note is what orders.Annotate takes.
type Note struct {
	ID   string `json:"id"`
	Note string `json:"note"`
}

// Verdict is the rules' response.
type Verdict struct {
	Tenant    string `json:"tenant"`
	Order     string `json:"order"`
	Total     int    `json:"total"`
	Flagged   bool   `json:"flagged"`
	Note      string `json:"note,omitempty"`
	Annotated bool   `json:"annotated"`
	Error     string `json:"error,omitempty"`
}

func init() {
	guest.HandleJSON(func(ctx guest.Context, ev Event) (Verdict, error) {
		v := Verdict{Tenant: ctx.Tenant(), Order: ev.Order}
		o, err := guest.CallJSON[Order, Order]("orders.Get", Order{ID: ev.Order})
		switch {
		case errors.Is(err, guest.ErrNotFound):
			return v, &guest.Error{Type: "OrderNotFound", Message: "no order " + ev.Order + " for " + v.Tenant}
		case err != nil:
			return v, err
		}
		v.Total = o.Total
		threshold := 100
		if s, ok := ctx.Metadata("review-threshold"); ok {
			if n, err := strconv.Atoi(s); err == nil {
				threshold = n
			}
		}
		if o.Total < threshold {
			return v, nil
		}
		v.Flagged = true
		v.Note = "review: total " + strconv.Itoa(o.Total) + " >= " + strconv.Itoa(threshold)
		if user, ok := ctx.Metadata("user"); ok {
			v.Note += " (rules run for " + user + ")"
		}
		_, err = guest.CallJSON[Note, struct{}]("orders.Annotate", Note{ID: o.ID, Note: v.Note})
		var denied *guest.DeniedError
		switch {
		case errors.As(err, &denied):
			v.Error = denied.Error()
		case err != nil:
			return v, err
		default:
			v.Annotated = true
		}
		return v, nil
	})
}
