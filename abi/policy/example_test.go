package policy_test

import (
	"errors"
	"fmt"

	"github.com/flintfaas/flint/abi/policy"
)

func ExampleParse() {
	p, err := policy.Parse([]byte(`{"Version": "2026-11-01",
	  "Statement": [
	    {"Sid": "sessions", "Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": ["kv:sessions/*"]},
	    {"Effect": "Allow", "Action": "http:Fetch", "Resource": ["https://api.example.com/v1/*"]},
	    {"Effect": "Allow", "Action": "fn:Invoke", "Resource": ["fn:resize", "fn:thumbnail:live"]},
	    {"Effect": "Deny",  "Action": "kv:*", "Resource": ["kv:sessions/admin*"]}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Evaluate(policy.KVGet, "kv:sessions/abc"))
	fmt.Println(p.Evaluate(policy.KVPut, "kv:sessions/admin"))
	fmt.Println(p.Evaluate(policy.KVDelete, "kv:sessions/abc"))
	fmt.Println(p.Evaluate(policy.HTTPFetch, "https://api.example.com/v1/users?id=42"))
	fmt.Println(p.Evaluate(policy.FnInvoke, "fn:resize:3"))
	// Output:
	// allowed by Statement[0] (Sid "sessions")
	// denied by Statement[3]
	// denied: no statement allows it
	// allowed by Statement[1]
	// denied: no statement allows it
}

func ExampleParse_invalid() {
	_, err := policy.Parse([]byte(`{"Version": "2026-11-01", "Statement": [
	    {"Sid": "read", "Effect": "Allow", "Action": "kv:Gte", "Resource": "kv:sessions/*"}]}`))
	fmt.Println(errors.Is(err, policy.ErrInvalidPolicy))
	var ve *policy.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Statement, ve.Field, ve.Value)
	}
	fmt.Println(err)
	// Output:
	// true
	// 0 Action kv:Gte
	// policy: Statement[0] (Sid "read"): Action "kv:Gte": is not a known action; the kv actions are kv:Get, kv:Put, kv:Delete, kv:List
}

func ExamplePolicy_Allowed() {
	p := policy.MustParse(`{"Statement": [
	    {"Effect": "Allow", "Action": "fs:Read", "Resource": "fs:/data/*"}]}`)
	fmt.Println(p.Allowed(policy.FSRead, "fs:/data/images/cat.png"))
	fmt.Println(p.Allowed(policy.FSWrite, "fs:/data/images/cat.png"))
	fmt.Println(p.Allowed(policy.FSRead, "fs:/etc/passwd"))

	var none *policy.Policy // a nil policy denies everything
	fmt.Println(none.Allowed(policy.FSRead, "fs:/data/x"))
	// Output:
	// true
	// false
	// false
	// false
}

func ExamplePolicy_MarshalJSON() {
	p := policy.MustParse(`{"Statement": [{"Effect": "Allow", "Action": "config:Get", "Resource": "config:db/*"}]}`)
	b, _ := p.MarshalJSON()
	fmt.Println(string(b))
	// Output:
	// {"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":["config:Get"],"Resource":["config:db/*"]}]}
}

// The host application's own capabilities (engine.Config.HostCapabilities)
// are actions app:NAME, checked on a resource the capability names.
func ExamplePolicy_EvaluateApp() {
	p := policy.MustParse(`{"Statement": [
	    {"Effect": "Allow", "Action": "app:orders.*", "Resource": "app:orders/tenant-42/*"},
	    {"Effect": "Deny", "Action": "app:orders.Annotate", "Resource": "app:orders/tenant-42/archived-*"}]}`)
	fmt.Println(p.EvaluateApp("app:orders.Get", "app:orders/tenant-42/o-17"))
	fmt.Println(p.EvaluateApp("app:orders.Get", "app:orders/tenant-7/o-1"))
	fmt.Println(p.EvaluateApp("app:orders.Annotate", "app:orders/tenant-42/archived-3"))
	// Output:
	// allowed by Statement[0]
	// denied: no statement allows it
	// denied by Statement[1]
}
