package filter

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchPattern is a filter as a shop's order-processing mapping might
// write it: an event type, a numeric range, a choice of currencies, an
// exclusion and a prefix, three levels deep.
const benchPattern = `{
  "body": {
    "detail-type": ["OrderPlaced"],
    "source": [{"prefix": "shop."}],
    "order": {
      "total": [{"numeric": [">", 100, "<=", 10000]}],
      "currency": ["EUR", "USD"],
      "customer": {"tier": [{"anything-but": "test"}]}
    }
  }
}`

// benchBody is a 1 KB order event that benchPattern matches; its fields
// come in an order that makes the matcher skip some of them.
func benchBody(tb testing.TB) string {
	tb.Helper()
	body := `{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","source":"shop.orders",` +
		`"account":"111122223333","time":"2024-06-01T12:34:56Z","region":"eu-west-1",` +
		`"resources":["arn:aws:shop:eu-west-1:111122223333:order/8842"],` +
		`"order":{"id":"8842","items":[` +
		`{"sku":"TEA-EB-250","name":"English Breakfast, 250 g","qty":2,"price":7.5},` +
		`{"sku":"CUP-WHT-01","name":"White cup","qty":6,"price":4.25},` +
		`{"sku":"POT-CER-1L","name":"Ceramic teapot, 1 l","qty":1,"price":39.9},` +
		`{"sku":"STR-STL-01","name":"Steel strainer","qty":1,"price":6.4}],` +
		`"shipping":{"method":"express","address":{"name":"Ada Lovelace","street":"12 St James's Square",` +
		`"city":"London","postcode":"SW1Y 4JH","country":"GB"}},` +
		`"notes":"Leave with the concierge if nobody answers; the bell on the left does not work.",` +
		`"currency":"EUR","total":117.8,"customer":{"id":"c-1815","tier":"gold","since":"2019-03-02",` +
		`"email":"ada@example.com","marketing":false}},` +
		`"trace":"Root=1-62ecd163-5f302e550dcde3b12402207d;Parent=53995c3f42cd8ad8;Sampled=1",` +
		`"detail-type":"OrderPlaced"}`
	require.InDelta(tb, 1024, len(body), 100, "a 1 KB body")
	return body
}

func BenchmarkMatch(b *testing.B) {
	body := benchBody(b)
	cases := []struct {
		name     string
		patterns []string
		rec      []byte
		want     bool
	}{
		{"json-match", []string{benchPattern}, record(b, body), true},
		{"json-miss", []string{benchPattern}, record(b, strings.Replace(body, `"tier":"gold"`, `"tier":"test"`, 1)), false},
		{"json-5-filters-last", []string{
			`{"body":{"detail-type":["OrderCancelled"]}}`,
			`{"body":{"order":{"items":{"sku":[{"prefix":"GIFT-"}]}}}}`,
			`{"attributes":{"ApproximateReceiveCount":[{"anything-but":"1"}]}}`,
			`{"body":[{"prefix":"PING"}]}`,
			benchPattern,
		}, record(b, body), true},
		{"plain-body", []string{`{"body":[{"prefix":"ERROR"}]}`}, record(b, "ERROR "+strings.Repeat("x", 1018)), true},
		{"metadata-only", []string{`{"messageAttributes":{"tenant":{"stringValue":["acme"]}}}`}, record(b, body), true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			c, err := CompileCriteria(tc.patterns)
			require.NoError(b, err)
			require.Equal(b, tc.want, c.Match(tc.rec))
			b.SetBytes(int64(len(tc.rec)))
			b.ReportAllocs()
			for b.Loop() {
				c.Match(tc.rec)
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(benchPattern); err != nil {
			b.Fatal(err)
		}
	}
}
