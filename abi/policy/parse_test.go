package policy

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// doc wraps statements (JSON objects, comma-separated) into a document.
func doc(statements ...string) string {
	return `{"Version": "2026-11-01", "Statement": [` + strings.Join(statements, ",") + `]}`
}

// allow is an Allow statement for one action and one resource.
func allow(action, resource string) string {
	return `{"Effect": "Allow", "Action": ` + quote(action) + `, "Resource": ` + quote(resource) + `}`
}

// quote returns s as a JSON string.
func quote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		// The expected *ValidationError fields; reason is a substring.
		stmt   int
		sid    string
		field  string
		value  string
		reason string
	}{
		// The document itself.
		{name: "empty input", doc: "", stmt: -1, reason: "the document is empty"},
		{name: "only white space", doc: " \n\t", stmt: -1, reason: "the document is empty"},
		{name: "not UTF-8", doc: "{\"Statement\": [\xff]}", stmt: -1, reason: "not valid UTF-8"},
		{name: "syntax error", doc: `{"Statement": [}`, stmt: -1, reason: "invalid JSON at line 1, column 16"},
		{name: "syntax error on line 3", doc: "{\n\"Statement\": [\n  {,}]}", stmt: -1, reason: "invalid JSON at line 3, column 4"},
		{name: "truncated", doc: `{"Statement": [`, stmt: -1, reason: "ends early"},
		{name: "trailing data", doc: `{"Statement": []} {}`, stmt: -1, reason: "unexpected data after the end"},
		{name: "array", doc: `[]`, stmt: -1, reason: "must be a JSON object"},
		{name: "null", doc: `null`, stmt: -1, reason: "must be a JSON object"},
		{name: "string", doc: `"policy"`, stmt: -1, reason: "must be a JSON object"},
		{name: "wrong version", doc: `{"Version": "2012-10-17", "Statement": []}`, stmt: -1, field: "Version", value: "2012-10-17", reason: `must be "2026-11-01"`},
		{name: "empty version", doc: `{"Version": "", "Statement": []}`, stmt: -1, field: "Version", reason: `must be "2026-11-01"`},
		{name: "version not a string", doc: `{"Version": 2026, "Statement": []}`, stmt: -1, field: "Version", reason: "not a number"},
		{name: "version null", doc: `{"Version": null, "Statement": []}`, stmt: -1, field: "Version", reason: "not null"},
		{name: "missing statement", doc: `{"Version": "2026-11-01"}`, stmt: -1, field: "Statement", reason: `"Statement": [] for a policy that denies everything`},
		{name: "statement object", doc: `{"Statement": {"Effect": "Allow"}}`, stmt: -1, field: "Statement", reason: "must be an array of statements, not an object"},
		{name: "statement null", doc: `{"Statement": null}`, stmt: -1, field: "Statement", reason: "not null"},
		{name: "unknown top-level field", doc: `{"Statement": [], "Id": "x"}`, stmt: -1, field: "Id", reason: "only the fields Version and Statement"},
		{name: "top-level field in the wrong case", doc: `{"statement": []}`, stmt: -1, field: "statement", reason: `did you mean "Statement"`},
		{name: "repeated top-level field", doc: `{"Statement": [], "Statement": []}`, stmt: -1, field: "Statement", reason: "more than once"},

		// A statement's shape.
		{name: "statement not an object", doc: doc(`"kv:Get"`), stmt: 0, field: "Statement", reason: "must be a JSON object"},
		{name: "unknown statement field", doc: doc(`{"Effect": "Allow", "Action": "kv:Get", "Resource": "*", "Extra": 1}`), stmt: 0, field: "Extra", reason: "only the fields Sid, Effect, Action and Resource"},
		{name: "statement field in the wrong case", doc: doc(`{"effect": "Allow"}`), stmt: 0, field: "effect", reason: `did you mean "Effect"`},
		{name: "NotAction", doc: doc(`{"Effect": "Allow", "NotAction": "kv:Get", "Resource": "*"}`), stmt: 0, field: "NotAction", reason: "not supported"},
		{name: "Condition", doc: doc(`{"Effect": "Allow", "Action": "kv:Get", "Resource": "*", "Condition": {}}`), stmt: 0, field: "Condition", reason: "not supported"},
		{name: "Principal", doc: doc(`{"Effect": "Allow", "Principal": "*", "Action": "kv:Get", "Resource": "*"}`), stmt: 0, field: "Principal", reason: "does not belong"},
		{name: "repeated statement field", doc: doc(`{"Effect": "Allow", "Effect": "Deny", "Action": "kv:Get", "Resource": "*"}`), stmt: 0, field: "Effect", reason: "more than once"},
		{name: "error names the Sid even when it comes last", doc: doc(allow("kv:Get", "*"), `{"Effect": "Allow", "Action": "kv:Gte", "Resource": "*", "Sid": "late"}`), stmt: 1, sid: "late", field: "Action", value: "kv:Gte", reason: "not a known action"},

		// Sid.
		{name: "sid not a string", doc: doc(`{"Sid": 1, "Effect": "Allow", "Action": "kv:Get", "Resource": "*"}`), stmt: 0, field: "Sid", reason: "must be a string"},
		{name: "sid empty", doc: doc(`{"Sid": "", "Effect": "Allow", "Action": "kv:Get", "Resource": "*"}`), stmt: 0, field: "Sid", reason: "1-128 characters"},
		{name: "sid with a space", doc: doc(`{"Sid": "my rule", "Effect": "Allow", "Action": "kv:Get", "Resource": "*"}`), stmt: 0, field: "Sid", value: "my rule", reason: "1-128 characters"},
		{name: "sid too long", doc: doc(`{"Sid": "` + strings.Repeat("s", 129) + `", "Effect": "Allow", "Action": "kv:Get", "Resource": "*"}`), stmt: 0, field: "Sid", reason: "1-128 characters"},
		{name: "sid repeated", doc: doc(`{"Sid": "a", "Effect": "Allow", "Action": "kv:Get", "Resource": "*"}`, `{"Sid": "a", "Effect": "Deny", "Action": "kv:Get", "Resource": "*"}`), stmt: 1, sid: "a", field: "Sid", value: "a", reason: "also the Sid of Statement[0]"},

		// Effect.
		{name: "effect missing", doc: doc(`{"Sid": "s", "Action": "kv:Get", "Resource": "*"}`), stmt: 0, sid: "s", field: "Effect", reason: "is missing"},
		{name: "effect unknown", doc: doc(`{"Effect": "Permit", "Action": "kv:Get", "Resource": "*"}`), stmt: 0, field: "Effect", value: "Permit", reason: `must be "Allow" or "Deny"`},
		{name: "effect in the wrong case", doc: doc(`{"Effect": "allow", "Action": "kv:Get", "Resource": "*"}`), stmt: 0, field: "Effect", value: "allow", reason: "case-sensitive"},
		{name: "effect not a string", doc: doc(`{"Effect": true, "Action": "kv:Get", "Resource": "*"}`), stmt: 0, field: "Effect", reason: "not a boolean"},

		// Action.
		{name: "action missing", doc: doc(`{"Effect": "Allow", "Resource": "*"}`), stmt: 0, field: "Action", reason: "is missing"},
		{name: "action empty list", doc: doc(`{"Effect": "Allow", "Action": [], "Resource": "*"}`), stmt: 0, field: "Action", reason: "is empty"},
		{name: "action not a string", doc: doc(`{"Effect": "Allow", "Action": 7, "Resource": "*"}`), stmt: 0, field: "Action", reason: "a string or an array of strings"},
		{name: "action list with a number", doc: doc(`{"Effect": "Allow", "Action": ["kv:Get", 7], "Resource": "*"}`), stmt: 0, field: "Action", reason: "a string or an array of strings"},
		{name: "action null", doc: doc(`{"Effect": "Allow", "Action": null, "Resource": "*"}`), stmt: 0, field: "Action", reason: "not null"},
		{name: "action empty string", doc: doc(allow("", "*")), stmt: 0, field: "Action", reason: "is empty"},
		{name: "action misspelt", doc: doc(allow("kv:Gte", "*")), stmt: 0, field: "Action", value: "kv:Gte", reason: "not a known action; the kv actions are kv:Get, kv:Put, kv:Delete, kv:List"},
		{name: "action in the wrong case", doc: doc(allow("kv:get", "*")), stmt: 0, field: "Action", value: "kv:get", reason: `did you mean "kv:Get"`},
		{name: "action of an unknown service", doc: doc(allow("s3:*", "*")), stmt: 0, field: "Action", value: "s3:*", reason: "matches no known action; the known actions are"},
		{name: "action wildcard matching nothing", doc: doc(allow("kv:Fetch*", "*")), stmt: 0, field: "Action", value: "kv:Fetch*", reason: "matches no known action"},
		{name: "action without a resource", doc: doc(`{"Effect": "Allow", "Action": ["kv:Get", "http:Fetch"], "Resource": "kv:a/*"}`), stmt: 0, field: "Action", value: "http:Fetch", reason: `add a resource such as "https://api.example.com/*"`},
		{name: "kv action without a resource", doc: doc(`{"Effect": "Allow", "Action": ["kv:*", "fs:Read"], "Resource": "fs:/a"}`), stmt: 0, field: "Action", value: "kv:*", reason: `add a resource such as "kv:STORE/*"`},
		{name: "fn action without a resource", doc: doc(`{"Effect": "Allow", "Action": ["fn:Invoke", "fs:Read"], "Resource": "fs:/a"}`), stmt: 0, field: "Action", value: "fn:Invoke", reason: `add a resource such as "fn:NAME"`},
		{name: "fs action without a resource", doc: doc(`{"Effect": "Allow", "Action": ["fs:Read", "kv:Get"], "Resource": "kv:a/b"}`), stmt: 0, field: "Action", value: "fs:Read", reason: `add a resource such as "fs:/data/*"`},
		{name: "config action without a resource", doc: doc(`{"Effect": "Allow", "Action": ["config:Get", "kv:Get"], "Resource": "kv:a/b"}`), stmt: 0, field: "Action", value: "config:Get", reason: `add a resource such as "config:NAME"`},

		// Resource, in general.
		{name: "resource missing", doc: doc(`{"Effect": "Allow", "Action": "kv:Get"}`), stmt: 0, field: "Resource", reason: "is missing"},
		{name: "resource empty list", doc: doc(`{"Effect": "Allow", "Action": "kv:Get", "Resource": []}`), stmt: 0, field: "Resource", reason: "is empty"},
		{name: "resource object", doc: doc(`{"Effect": "Allow", "Action": "kv:Get", "Resource": {}}`), stmt: 0, field: "Resource", reason: "not an object"},
		{name: "resource empty string", doc: doc(allow("kv:Get", "")), stmt: 0, field: "Resource", reason: "is empty"},
		{name: "resource of no known type", doc: doc(allow("kv:Get", "sessions/*")), stmt: 0, field: "Resource", value: "sessions/*", reason: "no known resource type"},
		{name: "resource wildcard type", doc: doc(allow("kv:Get", "*:sessions/*")), stmt: 0, field: "Resource", reason: "no known resource type"},
		{name: "resource with a control character", doc: doc(allow("kv:Get", "kv:a/\x01")), stmt: 0, field: "Resource", reason: "control character"},
		{name: "resource too long", doc: doc(allow("kv:Get", "kv:a/"+strings.Repeat("k", 2048))), stmt: 0, field: "Resource", reason: "longer than 2048 bytes"},
		{name: "resource of another service", doc: doc(allow("kv:Get", "https://api.example.com/*")), stmt: 0, field: "Resource", value: "https://api.example.com/*", reason: "is an http resource, but the statement has no http action"},

		// kv resources.
		{name: "kv without a key", doc: doc(allow("kv:Get", "kv:sessions")), stmt: 0, field: "Resource", reason: `write "kv:sessions/*"`},
		{name: "kv empty store", doc: doc(allow("kv:Get", "kv:/key")), stmt: 0, field: "Resource", reason: "empty store name"},
		{name: "kv bad store", doc: doc(allow("kv:Get", "kv:my store/key")), stmt: 0, field: "Resource", reason: "invalid store name"},
		{name: "kv long store", doc: doc(allow("kv:Get", "kv:"+strings.Repeat("s", 65)+"/k")), stmt: 0, field: "Resource", reason: "longer than 64"},

		// http resources.
		{name: "http without a path", doc: doc(allow("http:Fetch", "https://api.example.com")), stmt: 0, field: "Resource", reason: `write "https://api.example.com/*"`},
		{name: "http with userinfo", doc: doc(allow("http:Fetch", "https://me@api.example.com/*")), stmt: 0, field: "Resource", reason: "user information"},
		{name: "http without a host", doc: doc(allow("http:Fetch", "https:///x")), stmt: 0, field: "Resource", reason: "has no host"},
		{name: "http with a bad host", doc: doc(allow("http:Fetch", "https://api%2eexample.com/*")), stmt: 0, field: "Resource", reason: "invalid host"},
		{name: "http with a port but no host", doc: doc(allow("http:Fetch", "https://:8080/*")), stmt: 0, field: "Resource", reason: "empty host name"},
		{name: "http with an empty port", doc: doc(allow("http:Fetch", "https://api.example.com:/*")), stmt: 0, field: "Resource", reason: "empty port"},
		{name: "http with a bad port", doc: doc(allow("http:Fetch", "https://api.example.com:https/*")), stmt: 0, field: "Resource", reason: "invalid port"},
		{name: "http with an unclosed IPv6 bracket", doc: doc(allow("http:Fetch", "https://[::1/*")), stmt: 0, field: "Resource", reason: "invalid host"},
		{name: "http with a fragment", doc: doc(allow("http:Fetch", "https://api.example.com/a#b")), stmt: 0, field: "Resource", reason: "fragment"},
		{name: "http with a space", doc: doc(allow("http:Fetch", "https://api.example.com/a b")), stmt: 0, field: "Resource", reason: "percent-encode"},
		{name: "ftp", doc: doc(allow("http:Fetch", "ftp://example.com/*")), stmt: 0, field: "Resource", reason: "no known resource type"},

		// fn resources.
		{name: "fn empty name", doc: doc(allow("fn:Invoke", "fn:")), stmt: 0, field: "Resource", reason: "empty function name"},
		{name: "fn bad name", doc: doc(allow("fn:Invoke", "fn:re.size")), stmt: 0, field: "Resource", reason: "invalid function name"},
		{name: "fn long name", doc: doc(allow("fn:Invoke", "fn:"+strings.Repeat("f", 65))), stmt: 0, field: "Resource", reason: "longer than 64"},
		{name: "fn empty qualifier", doc: doc(allow("fn:Invoke", "fn:resize:")), stmt: 0, field: "Resource", reason: `"fn:resize:*" for every version and alias`},
		{name: "fn two qualifiers", doc: doc(allow("fn:Invoke", "fn:resize:1:2")), stmt: 0, field: "Resource", reason: "more than one ':'"},
		{name: "fn bad qualifier", doc: doc(allow("fn:Invoke", "fn:resize:$PROD")), stmt: 0, field: "Resource", reason: "invalid qualifier"},
		{name: "fn long qualifier", doc: doc(allow("fn:Invoke", "fn:resize:"+strings.Repeat("q", 129))), stmt: 0, field: "Resource", reason: "longer than 128"},

		// fs resources.
		{name: "fs relative", doc: doc(allow("fs:Read", "fs:data/*")), stmt: 0, field: "Resource", reason: "not an absolute path"},
		{name: "fs empty", doc: doc(allow("fs:Read", "fs:")), stmt: 0, field: "Resource", reason: "not an absolute path"},
		{name: "fs dot dot", doc: doc(allow("fs:Read", "fs:/data/../etc/*")), stmt: 0, field: "Resource", reason: `".." segment`},
		{name: "fs dot", doc: doc(allow("fs:Read", "fs:/data/./x")), stmt: 0, field: "Resource", reason: `"." segment`},
		{name: "fs double slash", doc: doc(allow("fs:Read", "fs:/data//x")), stmt: 0, field: "Resource", reason: `write "fs:/data/x"`},
		{name: "fs trailing slash", doc: doc(allow("fs:Read", "fs:/data/")), stmt: 0, field: "Resource", reason: `"fs:/data/*" for everything under it`},

		// config resources.
		{name: "config empty", doc: doc(allow("config:Get", "config:")), stmt: 0, field: "Resource", reason: "empty name"},
		{name: "config bad name", doc: doc(allow("config:Get", "config:db url")), stmt: 0, field: "Resource", reason: "invalid name"},
		{name: "config long name", doc: doc(allow("config:Get", "config:"+strings.Repeat("c", 257))), stmt: 0, field: "Resource", reason: "longer than 256"},

		// app actions and resources (the host application's capabilities).
		{name: "app empty name", doc: doc(allow("app:", "app:x")), stmt: 0, field: "Action", value: "app:", reason: "empty capability name"},
		{name: "app bad name", doc: doc(allow("app:orders/Get", "app:x")), stmt: 0, field: "Action", reason: "invalid capability name"},
		{name: "app long name", doc: doc(allow("app:"+strings.Repeat("a", 129), "app:x")), stmt: 0, field: "Action", reason: "longer than 128"},
		{name: "app in the wrong case", doc: doc(allow("App:orders.Get", "app:x")), stmt: 0, field: "Action", value: "App:orders.Get", reason: `written "app:orders.Get"`},
		{name: "a wildcard that matches no built-in action is not an app action", doc: doc(allow("a*", "app:x")), stmt: 0, field: "Action", value: "a*", reason: "and app:NAME for the host application's capabilities"},
		{name: "app resource without an app action", doc: doc(allow("kv:Get", "app:orders/*")), stmt: 0, field: "Resource", value: "app:orders/*", reason: "is an app resource, but the statement has no app action"},
		{name: "app action without an app resource", doc: doc(`{"Effect": "Allow", "Action": ["app:orders.Get", "kv:Get"], "Resource": "kv:a/b"}`), stmt: 0, field: "Action", value: "app:orders.Get", reason: `add a resource such as "app:NAME/*"`},
		{name: "app resource naming nothing", doc: doc(allow("app:orders.Get", "app:")), stmt: 0, field: "Resource", value: "app:", reason: `names nothing after "app:"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			require.Error(t, err)
			assert.Nil(t, p)
			assert.True(t, errors.Is(err, ErrInvalidPolicy), "wraps ErrInvalidPolicy")
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "is a *ValidationError")
			assert.Equal(t, tt.stmt, ve.Statement, "Statement")
			assert.Equal(t, tt.sid, ve.Sid, "Sid")
			assert.Equal(t, tt.field, ve.Field, "Field")
			if tt.value != "" {
				assert.Equal(t, tt.value, ve.Value, "Value")
			}
			assert.Contains(t, ve.Reason, tt.reason)

			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "policy: "), msg)
			if tt.stmt >= 0 {
				assert.Contains(t, msg, "Statement["+strconv.Itoa(tt.stmt)+"]")
			} else {
				assert.NotContains(t, msg, "Statement[")
			}
			if tt.sid != "" {
				assert.Contains(t, msg, `(Sid "`+tt.sid+`")`)
			}
			assert.Contains(t, msg, tt.field)
			assert.Contains(t, msg, tt.reason)
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  ValidationError
		want string
	}{
		{
			name: "document level",
			err:  ValidationError{Statement: -1, Reason: "invalid JSON"},
			want: "policy: invalid JSON",
		},
		{
			name: "document field",
			err:  ValidationError{Statement: -1, Field: "Version", Value: "1", Reason: "bad"},
			want: `policy: Version "1": bad`,
		},
		{
			name: "statement without a sid",
			err:  ValidationError{Statement: 2, Field: "Effect", Reason: "is missing"},
			want: "policy: Statement[2]: Effect: is missing",
		},
		{
			name: "statement with a sid",
			err:  ValidationError{Statement: 0, Sid: "s", Field: "Action", Value: "kv:Gte", Reason: "unknown"},
			want: `policy: Statement[0] (Sid "s"): Action "kv:Gte": unknown`,
		},
		{
			name: "long value is cut",
			err:  ValidationError{Statement: 0, Field: "Resource", Value: strings.Repeat("x", 200), Reason: "bad"},
			want: `policy: Statement[0]: Resource "` + strings.Repeat("x", maxQuotedValue) + `...": bad`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
			assert.ErrorIs(t, &tt.err, ErrInvalidPolicy)
		})
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		// want is the canonical document.
		want string
	}{
		{
			name: "empty statement list",
			doc:  `{"Version": "2026-11-01", "Statement": []}`,
			want: `{"Version":"2026-11-01","Statement":[]}`,
		},
		{
			name: "version left out",
			doc:  `{"Statement": []}`,
			want: `{"Version":"2026-11-01","Statement":[]}`,
		},
		{
			name: "strings become arrays",
			doc:  doc(allow("kv:Get", "kv:a/b")),
			want: `{"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":["kv:Get"],"Resource":["kv:a/b"]}]}`,
		},
		{
			name: "fields in a fixed order",
			doc:  doc(`{"Resource": ["kv:a/*"], "Action": ["kv:Get", "kv:Put"], "Effect": "Deny", "Sid": "x"}`),
			want: `{"Version":"2026-11-01","Statement":[{"Sid":"x","Effect":"Deny","Action":["kv:Get","kv:Put"],"Resource":["kv:a/*"]}]}`,
		},
		{
			name: "URLs keep & and <",
			doc:  doc(allow("http:Fetch", "https://api.example.com/q?a=1&b=<2>")),
			want: `{"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":["http:Fetch"],"Resource":["https://api.example.com/q?a=1&b=<2>"]}]}`,
		},
		{
			name: "every resource type",
			doc: doc(`{"Effect": "Allow", "Action": "*", "Resource": ["kv:s/*", "kv:*", "kv:se*", "https://*.example.com/*",
				"http://[::1]:8080/", "HTTPS://API.Example.com:*/v?/*", "fn:resize", "fn:resize:$LATEST", "fn:resize:12", "fn:*:live",
				"fs:/", "fs:/data/*", "fs:/.cache", "config:db/url", "config:*", "*"]}`),
			want: `{"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":["*"],"Resource":["kv:s/*","kv:*","kv:se*","https://*.example.com/*","http://[::1]:8080/","HTTPS://API.Example.com:*/v?/*","fn:resize","fn:resize:$LATEST","fn:resize:12","fn:*:live","fs:/","fs:/data/*","fs:/.cache","config:db/url","config:*","*"]}]}`,
		},
		{
			name: "a statement spanning services",
			doc:  doc(`{"Effect": "Allow", "Action": ["kv:*", "fs:Read"], "Resource": ["kv:a/*", "fs:/a/*"]}`),
			want: `{"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":["kv:*","fs:Read"],"Resource":["kv:a/*","fs:/a/*"]}]}`,
		},
		{
			name: "host capabilities",
			doc: doc(`{"Sid": "orders", "Effect": "Allow", "Action": ["app:orders.Get", "app:orders.*", "app:*"], "Resource": ["app:orders/tenant-42/*", "app:*"]}`,
				`{"Effect": "Deny", "Action": "*", "Resource": ["app:orders/tenant-42/locked-*", "kv:a/*"]}`),
			want: `{"Version":"2026-11-01","Statement":[{"Sid":"orders","Effect":"Allow","Action":["app:orders.Get","app:orders.*","app:*"],"Resource":["app:orders/tenant-42/*","app:*"]},{"Effect":"Deny","Action":["*"],"Resource":["app:orders/tenant-42/locked-*","kv:a/*"]}]}`,
		},
		{
			name: "a wildcard action covers app resources",
			doc:  doc(`{"Effect": "Allow", "Action": "*", "Resource": ["app:orders/*"]}`),
			want: `{"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":["*"],"Resource":["app:orders/*"]}]}`,
		},
		{
			name: "wildcard actions need a resource for one of their actions only",
			doc:  doc(`{"Effect": "Allow", "Action": ["*"], "Resource": ["kv:a/*"]}`),
			want: `{"Version":"2026-11-01","Statement":[{"Effect":"Allow","Action":["*"],"Resource":["kv:a/*"]}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			require.NoError(t, err)
			got, err := p.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))

			again, err := Parse(got)
			require.NoError(t, err, "the canonical document parses")
			got2, err := again.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, string(got), string(got2), "the canonical document is a fixed point")
		})
	}
}

func TestMustParse(t *testing.T) {
	assert.NotNil(t, MustParse(`{"Statement": []}`))
	assert.Panics(t, func() { MustParse(`{}`) })
}

func TestEmptyPolicyJSON(t *testing.T) {
	var nilPolicy *Policy
	tests := []struct {
		name string
		p    *Policy
	}{
		{name: "nil", p: nilPolicy},
		{name: "zero", p: &Policy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, `{"Version":"2026-11-01","Statement":[]}`, string(got))
			assert.False(t, tt.p.Allowed(KVGet, "kv:a/b"))
			_, err = Parse(got)
			assert.NoError(t, err)
		})
	}
}

func TestPolicyAsConfigField(t *testing.T) {
	type config struct {
		Name   string  `json:"name"`
		Policy *Policy `json:"policy"`
	}
	tests := []struct {
		name    string
		in      string
		wantErr bool
		check   func(t *testing.T, c config)
	}{
		{
			name: "policy",
			in:   `{"name": "f", "policy": ` + doc(allow("kv:Get", "kv:a/*")) + `}`,
			check: func(t *testing.T, c config) {
				require.NotNil(t, c.Policy)
				assert.True(t, c.Policy.Allowed(KVGet, "kv:a/b"))
			},
		},
		{
			name:  "null policy",
			in:    `{"name": "f", "policy": null}`,
			check: func(t *testing.T, c config) { assert.Nil(t, c.Policy) },
		},
		{
			name:    "invalid policy",
			in:      `{"name": "f", "policy": ` + doc(allow("kv:Gte", "*")) + `}`,
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c config
			err := json.Unmarshal([]byte(tt.in), &c)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrInvalidPolicy)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)

			out, err := json.Marshal(c)
			require.NoError(t, err)
			var back config
			require.NoError(t, json.Unmarshal(out, &back))
			assert.Equal(t, c.Policy, back.Policy, "round-trips")
		})
	}
}

func TestUnmarshalJSONNullKeepsPolicy(t *testing.T) {
	p := MustParse(doc(allow("kv:Get", "*")))
	require.NoError(t, p.UnmarshalJSON([]byte("null")))
	assert.True(t, p.Allowed(KVGet, "kv:a/b"))
}
