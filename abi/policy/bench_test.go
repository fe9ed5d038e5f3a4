package policy

import (
	"fmt"
	"strings"
	"testing"
)

// largePolicy returns a 50-statement policy mixing every matcher kind:
// 40 kv Allows, 5 http Allows and 5 Denies.
func largePolicy() string {
	var st []string
	for i := range 40 {
		var r string
		switch i % 4 {
		case 0:
			r = fmt.Sprintf("kv:store%02d/*", i) // prefix
		case 1:
			r = fmt.Sprintf("kv:store%02d/user-?", i) // general
		case 2:
			r = fmt.Sprintf("kv:store%02d/*.json", i) // prefix and suffix
		case 3:
			r = fmt.Sprintf("kv:store%02d/fixed", i) // exact
		}
		st = append(st, fmt.Sprintf(`{"Sid": "kv%02d", "Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": [%q]}`, i, r))
	}
	for i := range 5 {
		st = append(st, fmt.Sprintf(`{"Effect": "Allow", "Action": "http:Fetch", "Resource": ["https://api%d.example.com/v1/*", "https://*.cdn%d.example.net/*"]}`, i, i))
	}
	for i := range 5 {
		st = append(st, fmt.Sprintf(`{"Effect": "Deny", "Action": "kv:*", "Resource": ["kv:store%02d/secret*", "kv:*/admin/*"]}`, i*8))
	}
	return doc(st...)
}

func BenchmarkEvaluate(b *testing.B) {
	small := MustParse(examplePolicy)
	large := MustParse(largePolicy())
	if n := strings.Count(largePolicy(), `"Effect"`); n != 50 {
		b.Fatalf("large policy has %d statements", n)
	}
	tests := []struct {
		name     string
		p        *Policy
		action   Action
		resource string
		allowed  bool
	}{
		{name: "small-allowed", p: small, action: KVGet, resource: "kv:sessions/3f2a9c1e", allowed: true},
		{name: "small-denied", p: small, action: KVGet, resource: "kv:carts/3f2a9c1e"},
		{name: "small-explicit-deny", p: small, action: KVPut, resource: "kv:sessions/admin-root"},
		{name: "small-http-allowed", p: small, action: HTTPFetch, resource: "https://api.example.com/v1/users?id=42", allowed: true},
		{name: "small-http-denied", p: small, action: HTTPFetch, resource: "https://evil.example.org/v1/users"},
		{name: "large-allowed", p: large, action: KVGet, resource: "kv:store39/fixed", allowed: true},
		{name: "large-allowed-glob", p: large, action: KVPut, resource: "kv:store37/user-7", allowed: true},
		{name: "large-denied", p: large, action: KVGet, resource: "kv:store99/x"},
		{name: "large-explicit-deny", p: large, action: KVGet, resource: "kv:store32/secret-key"},
		{name: "large-http-allowed", p: large, action: HTTPFetch, resource: "https://img.cdn4.example.net/a/b.png", allowed: true},
		{name: "large-http-denied", p: large, action: HTTPFetch, resource: "https://api9.example.com/v1/x"},
	}
	for _, tt := range tests {
		if got := tt.p.Allowed(tt.action, tt.resource); got != tt.allowed {
			b.Fatalf("%s: Allowed(%s, %q) = %v", tt.name, tt.action, tt.resource, got)
		}
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tt.p.Evaluate(tt.action, tt.resource)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, tt := range []struct{ name, doc string }{
		{name: "small", doc: examplePolicy},
		{name: "large", doc: largePolicy()},
	} {
		data := []byte(tt.doc)
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEvaluateApp(b *testing.B) {
	p := MustParse(tenantPolicy)
	tests := []struct {
		name, action, resource string
		allowed                bool
	}{
		{name: "allowed", action: "app:orders.Get", resource: "app:orders/tenant-42/o-17", allowed: true},
		{name: "denied", action: "app:orders.Get", resource: "app:orders/tenant-7/o-17"},
		{name: "explicit-deny", action: "app:orders.Annotate", resource: "app:orders/tenant-42/archived-3"},
	}
	for _, tt := range tests {
		if got := p.EvaluateApp(tt.action, tt.resource).Allowed; got != tt.allowed {
			b.Fatalf("%s: EvaluateApp(%s, %q) = %v", tt.name, tt.action, tt.resource, got)
		}
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.EvaluateApp(tt.action, tt.resource)
			}
		})
	}
}
