package filter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The examples of Lambda's and EventBridge's documentation compile.
func TestCompileValid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern string
	}{
		{"null", `{"UserID":[null]}`},
		{"empty", `{"LastName":[""]}`},
		{"equals", `{"Name":["Alice"]}`},
		{"equals ignore case", `{"Name":[{"equals-ignore-case":"alice"}]}`},
		{"and", `{"Location":["New York"],"Day":["Monday"]}`},
		{"or", `{"PaymentType":["Credit","Debit"]}`},
		{"or across fields", `{"$or":[{"Location":["New York"]},{"Day":["Monday"]}]}`},
		{"not", `{"Weather":[{"anything-but":["Raining"]}]}`},
		{"numeric equals", `{"Price":[{"numeric":["=",100]}]}`},
		{"numeric range", `{"Price":[{"numeric":[">",10,"<=",20]}]}`},
		{"exists", `{"ProductName":[{"exists":true}]}`},
		{"does not exist", `{"ProductName":[{"exists":false}]}`},
		{"begins with", `{"Region":[{"prefix":"us-"}]}`},
		{"ends with", `{"FileName":[{"suffix":".png"}]}`},
		{"begins with ignoring case", `{"service":[{"prefix":{"equals-ignore-case":"eventb"}}]}`},
		{"ends with ignoring case", `{"service":[{"suffix":{"equals-ignore-case":"tBridge"}}]}`},
		{"anything-but number", `{"x":[{"anything-but":123}]}`},
		{"anything-but numbers", `{"x":[{"anything-but":[100,200,300]}]}`},
		{"anything-but prefix", `{"state":[{"anything-but":{"prefix":"init"}}]}`},
		{"anything-but suffix", `{"FileName":[{"anything-but":{"suffix":".png"}}]}`},
		{"anything-but ignoring case", `{"state":[{"anything-but":{"equals-ignore-case":["initializing","stopped"]}}]}`},
		{"SQS body", `{"body":{"RequestCode":["BBBB"]}}`},
		{"SQS body numeric", `{"body":{"RecordNumber":[{"numeric":[">",9999]}]}}`},
		{"SQS plain body", `{"body":[{"prefix":"ERROR"}]}`},
		{"DynamoDB", `{"dynamodb":{"Keys":{"Id":{"N":["101"]}}}}`},
		{"white space", " \n\t{ \"a\" : [ 1 , 2 ] }\r\n"},
		{"empty key", `{"":["x"]}`},
		{"escaped NUL in a string", `{"a":["\u0000"]}`},
		{"at the length limit", `{"a":["` + strings.Repeat("é", MaxPatternLength-10) + `"]}`},
		{"at the depth limit", strings.Repeat(`{"a":`, MaxPatternDepth-1) + `[1]` + strings.Repeat("}", MaxPatternDepth-1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.pattern)
			require.NoError(t, err)
			assert.Equal(t, tc.pattern, p.String())
		})
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern string
		path    string // the Error's Path
		want    string // in the message
	}{
		// The pattern as a whole.
		{name: "empty", pattern: ``, want: "the pattern is empty"},
		{name: "blank", pattern: " \n ", want: "the pattern is empty"},
		{name: "not JSON", pattern: `body: x`, want: "at offset 0: invalid JSON: invalid character"},
		{name: "truncated", pattern: `{"a":[1]`, want: "at offset 8: invalid JSON: unexpected end of input"},
		{name: "trailing data", pattern: `{"a":[1]} {}`, want: "unexpected data after the top-level value"},
		{name: "trailing comma", pattern: `{"a":[1,]}`, want: "invalid JSON"},
		{name: "single quotes", pattern: `{'a':[1]}`, want: "expected a string as the object key"},
		{name: "a number", pattern: `5`, path: "$", want: "must be a JSON object, not a number"},
		{name: "an array", pattern: `[{"a":[1]}]`, path: "$", want: "must be a JSON object, not an array"},
		{name: "a string", pattern: `"{}"`, path: "$", want: "must be a JSON object, not a string"},
		{name: "null", pattern: `null`, path: "$", want: "not null"},
		{name: "empty object", pattern: `{}`, path: "$", want: "the object is empty"},
		{name: "NUL byte", pattern: "{\"a\":[\"x\x00\"]}", want: "at offset 8: invalid JSON: control character in string"},
		{name: "NUL byte outside strings", pattern: "{\"a\":[1]}\x00", want: "unexpected data after the top-level value"},
		{name: "invalid UTF-8", pattern: "{\"a\":[\"\xff\"]}", want: "at offset 7: the pattern is not valid UTF-8"},
		{name: "bad escape", pattern: `{"a":["\x"]}`, want: "invalid escape in string"},
		{name: "bad unicode escape", pattern: `{"a":["\u12"]}`, want: `invalid \u escape`},
		{name: "leading zero", pattern: `{"a":[01]}`, want: "invalid JSON"},
		{name: "bare decimal point", pattern: `{"a":[1.]}`, want: "expected a digit after '.'"},
		{name: "too long", pattern: `{"a":["` + strings.Repeat("x", MaxPatternLength) + `"]}`, want: "the pattern is 4106 characters long; at most 4096"},
		{name: "too long in runes", pattern: `{"a":["` + strings.Repeat("é", MaxPatternLength) + `"]}`, want: "characters long; at most 4096"},
		{name: "1 MB", pattern: `{"a":["` + strings.Repeat("x", 1<<20) + `"]}`, want: "bytes long; at most 4096 characters"},
		{name: "nested 1000 deep", pattern: strings.Repeat(`{"a":`, 1000) + `[1]` + strings.Repeat("}", 1000), want: "characters long"},
		{name: "arrays nested 1000 deep", pattern: `{"a":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`, want: "nests objects and arrays more than 64 levels deep"},
		{name: "objects nested too deep", pattern: strings.Repeat(`{"a":`, MaxPatternDepth) + `[1]` + strings.Repeat("}", MaxPatternDepth), want: "more than 64 levels deep"},
		// Keys and values.
		{name: "duplicate key", pattern: `{"a":[1],"a":[2]}`, path: "$.a", want: `duplicate key "a"`},
		{name: "duplicate nested key", pattern: `{"body":{"x":{"y":[1],"y":[1]}}}`, path: "$.body.x.y", want: "duplicate key"},
		{name: "duplicate key written two ways", pattern: `{"a":[1],"\u0061":[2]}`, path: "$.a", want: "duplicate key"},
		{name: "value is a string", pattern: `{"a":"x"}`, path: "$.a", want: `the value of "a" is a string; it must be an array of rules`},
		{name: "value is a number", pattern: `{"body":{"n":5}}`, path: "$.body.n", want: "is a number"},
		{name: "value is null", pattern: `{"a":null}`, path: "$.a", want: "is null"},
		{name: "empty nested object", pattern: `{"body":{}}`, path: "$.body", want: "the object is empty"},
		{name: "empty rules", pattern: `{"a":[]}`, path: "$.a", want: "the array of rules is empty"},
		{name: "nested array rule", pattern: `{"a":[[1]]}`, path: "$.a[0]", want: "a rule cannot be an array"},
		{name: "path of an odd key", pattern: `{"body":{"a b":{"c":[[1]]}}}`, path: `$.body["a b"].c[0]`, want: "a rule cannot be an array"},
		// Operators.
		{name: "empty operator object", pattern: `{"a":[{}]}`, path: "$.a[0]", want: "the rule object is empty"},
		{name: "two operators", pattern: `{"a":[{"prefix":"x","suffix":"y"}]}`, path: "$.a[0]", want: "more than one operator"},
		{name: "unknown operator", pattern: `{"a":[{"contains":"x"}]}`, path: "$.a[0].contains", want: `unknown operator "contains"`},
		{name: "wildcard", pattern: `{"a":[{"wildcard":"*.png"}]}`, path: "$.a[0].wildcard", want: "not supported by Lambda event filtering"},
		{name: "cidr", pattern: `{"a":[{"cidr":"10.0.0.0/8"}]}`, path: "$.a[0].cidr", want: "not supported"},
		{name: "or as a rule", pattern: `{"a":[{"$or":[{"b":[1]},{"c":[1]}]}]}`, path: "$.a[0].$or", want: `"$or" is not a rule`},
		{name: "prefix number", pattern: `{"a":[{"prefix":5}]}`, path: "$.a[0].prefix", want: "prefix takes a string"},
		{name: "prefix array", pattern: `{"a":[{"prefix":["x"]}]}`, path: "$.a[0].prefix", want: "not an array"},
		{name: "prefix object", pattern: `{"a":[{"prefix":{"x":"y"}}]}`, path: "$.a[0].prefix", want: `must be {"equals-ignore-case": string}`},
		{name: "prefix ignore case number", pattern: `{"a":[{"prefix":{"equals-ignore-case":1}}]}`, path: "$.a[0].prefix.equals-ignore-case", want: "takes a string, not a number"},
		{name: "suffix null", pattern: `{"a":[{"suffix":null}]}`, path: "$.a[0].suffix", want: "suffix takes a string"},
		{name: "equals-ignore-case number", pattern: `{"a":[{"equals-ignore-case":5}]}`, path: "$.a[0].equals-ignore-case", want: "takes a string"},
		{name: "exists string", pattern: `{"a":[{"exists":"true"}]}`, path: "$.a[0].exists", want: "exists takes true or false, not a string"},
		{name: "anything-but empty", pattern: `{"a":[{"anything-but":[]}]}`, path: "$.a[0].anything-but", want: "the array is empty"},
		{name: "anything-but mixed", pattern: `{"a":[{"anything-but":["x",1]}]}`, path: "$.a[0].anything-but[1]", want: "mixes strings and numbers"},
		{name: "anything-but null", pattern: `{"a":[{"anything-but":null}]}`, path: "$.a[0].anything-but", want: "the value is null"},
		{name: "anything-but bool in list", pattern: `{"a":[{"anything-but":[true]}]}`, path: "$.a[0].anything-but[0]", want: "the value is a boolean"},
		{name: "anything-but numeric", pattern: `{"a":[{"anything-but":{"numeric":[">",1]}}]}`, path: "$.a[0].anything-but.numeric", want: `anything-but cannot hold "numeric"`},
		{name: "anything-but wildcard", pattern: `{"a":[{"anything-but":{"wildcard":"x*"}}]}`, path: "$.a[0].anything-but.wildcard", want: "not supported"},
		{name: "anything-but two operators", pattern: `{"a":[{"anything-but":{"prefix":"a","suffix":"b"}}]}`, path: "$.a[0].anything-but", want: "exactly one operator"},
		{name: "anything-but prefix number", pattern: `{"a":[{"anything-but":{"prefix":1}}]}`, path: "$.a[0].anything-but.prefix", want: "takes a string, not a number"},
		{name: "anything-but ignore case empty", pattern: `{"a":[{"anything-but":{"equals-ignore-case":[]}}]}`, path: "$.a[0].anything-but.equals-ignore-case", want: "the array is empty"},
		{name: "anything-but ignore case number", pattern: `{"a":[{"anything-but":{"equals-ignore-case":[1]}}]}`, path: "$.a[0].anything-but.equals-ignore-case[0]", want: "the value is a number"},
		// numeric.
		{name: "numeric empty range", pattern: `{"a":[{"numeric":[">",5,"<",1]}]}`, path: "$.a[0].numeric", want: "the range is empty: no number is > 5 and < 1"},
		{name: "numeric empty point", pattern: `{"a":[{"numeric":[">",5,"<=",5]}]}`, path: "$.a[0].numeric", want: "no number is > 5 and <= 5"},
		{name: "numeric two lower bounds", pattern: `{"a":[{"numeric":[">",1,">=",2]}]}`, path: "$.a[0].numeric[2]", want: "two lower bounds"},
		{name: "numeric two upper bounds", pattern: `{"a":[{"numeric":["<",1,"<",2]}]}`, path: "$.a[0].numeric[2]", want: "two upper bounds"},
		{name: "numeric equals in a range", pattern: `{"a":[{"numeric":[">",1,"=",2]}]}`, path: "$.a[0].numeric[2]", want: `"=" cannot be part of a range`},
		{name: "numeric unknown operator", pattern: `{"a":[{"numeric":["!=",1]}]}`, path: "$.a[0].numeric[0]", want: `unknown numeric operator "!="`},
		{name: "numeric string operand", pattern: `{"a":[{"numeric":[">","1"]}]}`, path: "$.a[0].numeric[1]", want: `expected a number after ">", not a string`},
		{name: "numeric number operator", pattern: `{"a":[{"numeric":[1,">"]}]}`, path: "$.a[0].numeric[0]", want: "expected an operator"},
		{name: "numeric three items", pattern: `{"a":[{"numeric":[">",1,"<"]}]}`, path: "$.a[0].numeric", want: "must hold 2 or 4 items"},
		{name: "numeric six items", pattern: `{"a":[{"numeric":[">",1,"<",5,"<",6]}]}`, path: "$.a[0].numeric", want: "must hold 2 or 4 items"},
		{name: "numeric not an array", pattern: `{"a":[{"numeric":5}]}`, path: "$.a[0].numeric", want: "the value is a number"},
		{name: "numeric out of range", pattern: `{"a":[{"numeric":[">",1e400]}]}`, path: "$.a[0].numeric[1]", want: `the number "1e400" is out of range`},
		// $or.
		{name: "or not an array", pattern: `{"$or":{"a":[1]}}`, path: "$.$or", want: `"$or" takes an array of two or more pattern objects`},
		{name: "or with one alternative", pattern: `{"$or":[{"a":[1]}]}`, path: "$.$or", want: "there are 1 alternatives"},
		{name: "or with a rule", pattern: `{"$or":[{"a":[1]},"b"]}`, path: "$.$or[1]", want: "the alternative is a string"},
		{name: "or with an empty alternative", pattern: `{"body":{"$or":[{"a":[1]},{}]}}`, path: "$.body.$or[1]", want: "the object is empty"},
		{name: "error inside an alternative", pattern: `{"$or":[{"a":[1]},{"b":[{"numeric":["<",1,">",2]}]}]}`, path: "$.$or[1].b[0].numeric", want: "the range is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			p, err := Compile(tc.pattern)
			assert.Less(t, time.Since(start), time.Second, "a refusal is fast")
			require.Error(t, err)
			assert.Nil(t, p)
			assert.ErrorIs(t, err, ErrInvalidFilter)
			var fe *Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, -1, fe.Filter)
			assert.Equal(t, tc.path, fe.Path)
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, len(err.Error()), 400, "messages stay short")
		})
	}
}

func TestCompileErrorMessage(t *testing.T) {
	_, err := Compile(`{"body":{"price":[{"numeric":[">",5,"<",1]}]}}`)
	require.Error(t, err)
	assert.Equal(t, `filter pattern at $.body.price[0].numeric: the range is empty: no number is > 5 and < 1`, err.Error())

	_, err = CompileCriteria([]string{`{"a":[1]}`, `{"a":[1]`})
	require.Error(t, err)
	assert.Equal(t, `FilterCriteria.Filters[1].Pattern at offset 8: invalid JSON: unexpected end of input; expected ',' or a closing bracket`, err.Error())

	_, err = Compile(`{"` + strings.Repeat("k", 500) + `":[{"bogus":1}]}`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `filter pattern at $["kkkk`, "a long key is cut")
	assert.Less(t, len(err.Error()), 250)
}

func TestCompileCriteriaErrors(t *testing.T) {
	ok := `{"body":{"a":[1]}}`
	for _, tc := range []struct {
		name     string
		patterns []string
		filter   int
		want     string
	}{
		{"too many filters", []string{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}, -1, "FilterCriteria.Filters: there are 11 filters; at most 10 are allowed"},
		{"bad first filter", []string{`[]`, ok}, 0, "FilterCriteria.Filters[0].Pattern at $: a filter pattern must be a JSON object"},
		{"bad last filter", []string{ok, ok, `{"a":[{"numeric":[">",2,"<",1]}]}`}, 2, "FilterCriteria.Filters[2].Pattern at $.a[0].numeric: the range is empty"},
		{"empty filter", []string{ok, ""}, 1, "FilterCriteria.Filters[1].Pattern: the pattern is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CompileCriteria(tc.patterns)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.True(t, errors.Is(err, ErrInvalidFilter))
			var fe *Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.filter, fe.Filter)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	c, err := CompileCriteria([]string{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok})
	require.NoError(t, err, "%d filters are allowed", MaxFilters)
	assert.Equal(t, MaxFilters, c.Len())
}

// A pattern at the length limit built to be as large as possible once
// compiled compiles quickly and matches quickly.
func TestCompileHugeArrays(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"body":{"n":[`)
	for b.Len() < MaxPatternLength-20 {
		b.WriteString("1,")
	}
	b.WriteString(`2]}}`)
	p := mustCompile(t, b.String())
	assert.True(t, p.Match(record(t, `{"n":2}`)))
	assert.False(t, p.Match(record(t, `{"n":3}`)))

	b.Reset()
	b.WriteString(`{"body":{"s":[{"anything-but":[`)
	for b.Len() < MaxPatternLength-20 {
		b.WriteString(`"a",`)
	}
	b.WriteString(`"b"]}]}}`)
	p = mustCompile(t, b.String())
	assert.True(t, p.Match(record(t, `{"s":"c"}`)))
	assert.False(t, p.Match(record(t, `{"s":"b"}`)))
}
