package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// appCheck is one EvaluateApp call and its expected outcome.
type appCheck struct {
	name     string
	action   string
	resource string
	allowed  bool
	stmt     int // the deciding statement, -1 for the implicit deny
}

func runAppChecks(t *testing.T, p *Policy, checks []appCheck) {
	t.Helper()
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			d := p.EvaluateApp(c.action, c.resource)
			assert.Equal(t, c.allowed, d.Allowed, "Allowed: %s", d)
			assert.Equal(t, c.stmt, d.Statement, "Statement: %s", d)
		})
	}
}

// tenantPolicy is the per-tenant policy of the README's plugin example:
// read and annotate the tenant's orders, but not its archived ones.
const tenantPolicy = `{"Statement": [
	{"Sid": "read", "Effect": "Allow", "Action": ["app:orders.Get", "app:orders.Annotate"], "Resource": "app:orders/tenant-42/*"},
	{"Effect": "Deny", "Action": "app:orders.Annotate", "Resource": "app:orders/tenant-42/archived-*"},
	{"Effect": "Allow", "Action": "kv:Get", "Resource": "kv:rules/*"}]}`

func TestEvaluateApp(t *testing.T) {
	runAppChecks(t, MustParse(tenantPolicy), []appCheck{
		{name: "get an order of the tenant", action: "app:orders.Get", resource: "app:orders/tenant-42/o-17", allowed: true, stmt: 0},
		{name: "annotate an order of the tenant", action: "app:orders.Annotate", resource: "app:orders/tenant-42/o-17", allowed: true, stmt: 0},
		{name: "another tenant's order", action: "app:orders.Get", resource: "app:orders/tenant-7/o-1", stmt: -1},
		{name: "a tenant whose id starts the same", action: "app:orders.Get", resource: "app:orders/tenant-420/o-1", stmt: -1},
		{name: "a capability not named", action: "app:orders.Delete", resource: "app:orders/tenant-42/o-17", stmt: -1},
		{name: "the Deny wins", action: "app:orders.Annotate", resource: "app:orders/tenant-42/archived-3", stmt: 1},
		{name: "the Deny is for Annotate only", action: "app:orders.Get", resource: "app:orders/tenant-42/archived-3", allowed: true, stmt: 0},
		{name: "a kv resource is never an app resource", action: "app:orders.Get", resource: "kv:rules/x", stmt: -1},
		{name: "action names are case-sensitive", action: "app:Orders.Get", resource: "app:orders/tenant-42/o-17", stmt: -1},
		{name: "no prefix", action: "orders.Get", resource: "app:orders/tenant-42/o-17", stmt: -1},
		{name: "a built-in action is not an app action", action: "kv:Get", resource: "kv:rules/x", stmt: -1},
		{name: "an invalid name", action: "app:orders/Get", resource: "app:orders/tenant-42/o-17", stmt: -1},
		{name: "an empty name", action: "app:", resource: "app:orders/tenant-42/o-17", stmt: -1},
		{name: "a name too long", action: "app:o" + strings.Repeat("x", MaxAppNameLen), resource: "app:orders/tenant-42/o-17", stmt: -1},
	})
}

// Wildcard action patterns reach app actions as globs over the whole
// action; those whose literal start rules "app:" out never do.
func TestEvaluateAppWildcards(t *testing.T) {
	tests := []struct {
		name    string
		action  string // the statement's action pattern
		call    string
		allowed bool
	}{
		{name: "star", action: "*", call: "app:orders.Get", allowed: true},
		{name: "app star", action: "app:*", call: "app:billing.Charge", allowed: true},
		{name: "a service of capabilities", action: "app:orders.*", call: "app:orders.Get", allowed: true},
		{name: "another service", action: "app:orders.*", call: "app:billing.Charge"},
		{name: "a suffix", action: "*Get", call: "app:orders.Get", allowed: true},
		{name: "a suffix that does not match", action: "*Get", call: "app:orders.Put"},
		{name: "one character", action: "app:orders.?et", call: "app:orders.Get", allowed: true},
		{name: "a built-in service", action: "kv:*", call: "app:orders.Get"},
		{name: "colon star never matches: names have no colon", action: "*:Get", call: "app:orders.Get"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := MustParse(doc(`{"Effect": "Allow", "Action": ` + quote(tt.action) + `, "Resource": "*"}`))
			assert.Equal(t, tt.allowed, p.EvaluateApp(tt.call, "app:x").Allowed)
		})
	}
}

// A statement's resources apply to app actions only when they are app:
// resources or "*".
func TestEvaluateAppResources(t *testing.T) {
	p := MustParse(doc(
		`{"Effect": "Allow", "Action": "*", "Resource": ["kv:*", "fs:/data/*"]}`,
		`{"Effect": "Allow", "Action": "app:a.*", "Resource": ["app:x/*"]}`,
		`{"Effect": "Allow", "Action": "app:b.*", "Resource": ["*"]}`))
	runAppChecks(t, p, []appCheck{
		{name: "kv and fs resources grant no app action", action: "app:c.Get", resource: "app:x/1", stmt: -1},
		{name: "an app resource", action: "app:a.Get", resource: "app:x/1", allowed: true, stmt: 1},
		{name: "not that app resource", action: "app:a.Get", resource: "app:y/1", stmt: -1},
		{name: "star is every resource", action: "app:b.Get", resource: "app:y/1", allowed: true, stmt: 2},
	})
	assert.True(t, p.Allowed(KVGet, "kv:s/k"), "the wildcard statement still allows kv")
}

func TestEvaluateAppNilAndEmpty(t *testing.T) {
	var nilPolicy *Policy
	assert.Equal(t, Decision{Statement: -1}, nilPolicy.EvaluateApp("app:orders.Get", "app:x"))
	assert.Equal(t, Decision{Statement: -1}, MustParse(`{"Statement": []}`).EvaluateApp("app:orders.Get", "app:x"))
	assert.Equal(t, Decision{Statement: -1}, (&Policy{}).EvaluateApp("app:orders.Get", "app:x"))
}

func TestValidAppName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"dotted", "orders.Get", true},
		{"dashes and underscores", "billing_v2.charge-card", true},
		{"one letter", "a", true},
		{"longest", "a" + strings.Repeat("b", MaxAppNameLen-1), true},
		{"empty", "", false},
		{"too long", "a" + strings.Repeat("b", MaxAppNameLen), false},
		{"starts with a digit", "1orders", false},
		{"starts with a dot", ".orders", false},
		{"slash", "orders/Get", false},
		{"colon", "orders:Get", false},
		{"wildcard", "orders.*", false},
		{"space", "orders Get", false},
		{"non-ASCII", "órders", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ValidAppName(tt.in))
		})
	}
}

func TestEvaluateAppDoesNotAllocate(t *testing.T) {
	p := MustParse(tenantPolicy)
	for _, c := range []struct{ a, r string }{
		{"app:orders.Get", "app:orders/tenant-42/o-17"},
		{"app:orders.Annotate", "app:orders/tenant-42/archived-3"},
		{"app:orders.Get", "app:orders/tenant-7/o-1"},
		{"app:bad/name", "app:x"},
	} {
		allocs := testing.AllocsPerRun(100, func() { p.EvaluateApp(c.a, c.r) })
		assert.Zero(t, allocs, "%s %s", c.a, c.r)
	}
}
