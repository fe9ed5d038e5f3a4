package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine"
)

// order is one of the order service's orders.
type order struct {
	ID      string `json:"id"`
	Total   int    `json:"total"`
	Country string `json:"country"`
}

// orderBook is the order service's own state: each tenant's orders, and
// the notes plugins leave on them.
type orderBook struct {
	mu     sync.Mutex
	orders map[string]map[string]order // tenant -> id -> order
	notes  []string
}

// orderID reads the order id a plugin sent to orders.Get or
// orders.Annotate.
func orderID(payload []byte) (string, error) {
	var req struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(payload, &req); err != nil || req.ID == "" {
		return "", fmt.Errorf("%w: want {\"id\": \"...\"}", engine.ErrInvalidArgument)
	}
	return req.ID, nil
}

// orderResource names what a call touches, for the policies: the order,
// under the tenant the invocation runs for (never one the plugin names).
func orderResource(call engine.HostCall) (string, error) {
	id, err := orderID(call.Payload)
	return "app:orders/" + call.Tenant + "/" + id, err
}

// get is the capability orders.Get: an order of the invocation's tenant.
func (b *orderBook) get(_ context.Context, call engine.HostCall) ([]byte, error) {
	id, err := orderID(call.Payload)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	o, ok := b.orders[call.Tenant][id]
	b.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("order %s of %s: %w", id, call.Tenant, engine.ErrNotFound)
	}
	return json.Marshal(o)
}

// annotate is the capability orders.Annotate: a note on an order.
func (b *orderBook) annotate(_ context.Context, call engine.HostCall) ([]byte, error) {
	var req struct{ ID, Note string }
	if err := json.Unmarshal(call.Payload, &req); err != nil {
		return nil, engine.ErrInvalidArgument
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notes = append(b.notes, call.Tenant+"/"+req.ID+": "+req.Note)
	return []byte("{}"), nil
}

// buildPlugin compiles a plugin's Go source to a WASI reactor, as a
// plugin system's upload step would.
func buildPlugin(dir string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "plugin")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "plugin.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %s: %v\n%s", dir, err, b)
	}
	return os.ReadFile(out)
}

// Flint as a plugin system: an order service runs its tenants' "order
// rules" (guest-examples/orderrules) on their orders. The plugins reach
// the service only through the two capabilities it registers, orders.Get
// and orders.Annotate, and every call is checked twice: by the plugin's
// own policy (what any tenant may grant it) and by the policy of the
// tenant it runs for, chosen at each Invoke. The tenant and the user are
// the invocation's context: the plugin reads them, the capabilities name
// their resources after them, and neither is in the payload, which the
// plugin controls.
func Example_pluginSystem() {
	ctx := context.Background()
	book := &orderBook{orders: map[string]map[string]order{
		"tenant-42": {"o-1": {ID: "o-1", Total: 250, Country: "FR"}, "o-2": {ID: "o-2", Total: 20, Country: "DE"}},
		"tenant-7":  {"o-3": {ID: "o-3", Total: 900, Country: "US"}},
	}}
	eng, err := engine.New(ctx, engine.Config{HostCapabilities: []engine.HostCapability{
		{Name: "orders.Get", Resource: orderResource, Handler: book.get},
		{Name: "orders.Annotate", Resource: orderResource, Handler: book.annotate},
	}})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)

	code, err := buildPlugin("../guest-examples/orderrules")
	if err != nil {
		log.Fatal(err)
	}
	_, err = eng.Deploy(ctx, engine.Function{
		Name: "order-rules",
		Code: code,
		// The most any tenant may grant this plugin.
		Policy: policy.MustParse(`{"Statement": [
			{"Effect": "Allow", "Action": ["app:orders.Get", "app:orders.Annotate"], "Resource": "app:orders/*"}]}`),
	})
	if err != nil {
		log.Fatal(err)
	}

	// What each tenant grants: tenant-42 lets the rules annotate its
	// orders, tenant-7 only lets them read.
	tenants := map[string]*policy.Policy{
		"tenant-42": policy.MustParse(`{"Statement": [
			{"Effect": "Allow", "Action": "app:orders.*", "Resource": "app:orders/tenant-42/*"}]}`),
		"tenant-7": policy.MustParse(`{"Statement": [
			{"Effect": "Allow", "Action": "app:orders.Get", "Resource": "app:orders/tenant-7/*"}]}`),
	}
	runs := []struct{ tenant, user, order string }{
		{"tenant-42", "ana", "o-1"},
		{"tenant-42", "ana", "o-2"},
		{"tenant-7", "bo", "o-3"},
		{"tenant-42", "ana", "o-3"}, // tenant-7's order: not there for tenant-42
	}
	for _, r := range runs {
		res, err := eng.Invoke(ctx, "order-rules", []byte(`{"order": "`+r.order+`"}`),
			engine.WithTenant(r.tenant),
			engine.WithPolicy(tenants[r.tenant]), // nil, for a tenant not in the table, would deny everything
			engine.WithMetadata("user", r.user))
		if err != nil {
			log.Fatal(err)
		}
		if res.FunctionError != nil {
			fmt.Println("error:", res.FunctionError)
			continue
		}
		fmt.Println(string(res.Payload))
	}

	sort.Strings(book.notes)
	fmt.Println("notes:", book.notes)
	st, err := eng.Stats("order-rules")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("denied calls:", st.Denials)
	// Output:
	// {"tenant":"tenant-42","order":"o-1","total":250,"flagged":true,"note":"review: total 250 \u003e= 100 (rules run for ana)","annotated":true}
	// {"tenant":"tenant-42","order":"o-2","total":20,"flagged":false,"annotated":false}
	// {"tenant":"tenant-7","order":"o-3","total":900,"flagged":true,"note":"review: total 900 \u003e= 100 (rules run for bo)","annotated":false,"error":"flint: app:orders.Annotate on app:orders/tenant-7/o-3 denied by the function's execution policy"}
	// error: OrderNotFound: no order o-3 for tenant-42
	// notes: [tenant-42/o-1: review: total 250 >= 100 (rules run for ana)]
	// denied calls: 1
}
