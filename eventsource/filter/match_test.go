package filter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// matchCase is a pattern, a record (built around body, or given whole as
// raw) and whether the pattern matches it.
type matchCase struct {
	name    string
	pattern string
	body    string
	raw     string // the whole record, when set
	want    bool
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, tc.pattern)
			rec := []byte(tc.raw)
			if tc.raw == "" {
				rec = record(t, tc.body)
			}
			assert.Equal(t, tc.want, p.Match(rec), "pattern %s\nrecord %s", tc.pattern, rec)
			// The same pattern alone in a Criteria decides the same.
			c, err := CompileCriteria([]string{tc.pattern})
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Match(rec), "as a Criteria")
			// The fuzzers' reference implementation agrees.
			if ref, ok := newRefMatcher(rec); ok {
				var pat map[string]any
				dec := json.NewDecoder(strings.NewReader(tc.pattern))
				dec.UseNumber()
				require.NoError(t, dec.Decode(&pat))
				assert.Equal(t, tc.want, ref.match(pat), "the reference implementation")
			}
		})
	}
}

func TestMatchEquals(t *testing.T) {
	runMatchCases(t, []matchCase{
		{name: "string equal", pattern: `{"body":{"name":["Alice"]}}`, body: `{"name":"Alice"}`, want: true},
		{name: "string differs", pattern: `{"body":{"name":["Alice"]}}`, body: `{"name":"Bob"}`, want: false},
		{name: "string is case sensitive", pattern: `{"body":{"name":["Alice"]}}`, body: `{"name":"alice"}`, want: false},
		{name: "string is not normalised", pattern: `{"body":{"name":["Alice"]}}`, body: `{"name":"Alice "}`, want: false},
		{name: "one of several strings", pattern: `{"body":{"pay":["Credit","Debit"]}}`, body: `{"pay":"Debit"}`, want: true},
		{name: "none of several strings", pattern: `{"body":{"pay":["Credit","Debit"]}}`, body: `{"pay":"Cash"}`, want: false},
		{name: "string rule does not match a number", pattern: `{"body":{"n":["5"]}}`, body: `{"n":5}`, want: false},
		{name: "string rule does not match true", pattern: `{"body":{"b":["true"]}}`, body: `{"b":true}`, want: false},
		{name: "escaped string in body", pattern: `{"body":{"name":["Aé\"b"]}}`, body: `{"name":"A\u00e9\"b"}`, want: true},
		{name: "escaped string in pattern", pattern: `{"body":{"name":["A\u00e9"]}}`, body: `{"name":"Aé"}`, want: true},
		{name: "surrogate pair", pattern: `{"body":{"s":["😀"]}}`, body: `{"s":"\ud83d\ude00"}`, want: true},
		{name: "escaped key in body", pattern: `{"body":{"na/me":["x"]}}`, body: `{"na\/me":"x"}`, want: true},
		{name: "empty string", pattern: `{"body":{"last":[""]}}`, body: `{"last":""}`, want: true},
		{name: "empty string is not absent", pattern: `{"body":{"last":[""]}}`, body: `{"first":"x"}`, want: false},
		{name: "empty string is not null", pattern: `{"body":{"last":[""]}}`, body: `{"last":null}`, want: false},
		{name: "null", pattern: `{"body":{"id":[null]}}`, body: `{"id":null}`, want: true},
		{name: "null is not absent", pattern: `{"body":{"id":[null]}}`, body: `{"other":1}`, want: false},
		{name: "null is not the string null", pattern: `{"body":{"id":[null]}}`, body: `{"id":"null"}`, want: false},
		{name: "true", pattern: `{"body":{"ok":[true]}}`, body: `{"ok":true}`, want: true},
		{name: "true is not false", pattern: `{"body":{"ok":[true]}}`, body: `{"ok":false}`, want: false},
		{name: "false", pattern: `{"body":{"ok":[false]}}`, body: `{"ok":false}`, want: true},
		{name: "AND across fields", pattern: `{"body":{"city":["NY"],"day":["Mon"]}}`, body: `{"city":"NY","day":"Mon"}`, want: true},
		{name: "AND fails on one field", pattern: `{"body":{"city":["NY"],"day":["Mon"]}}`, body: `{"city":"NY","day":"Tue"}`, want: false},
		{name: "nested fields", pattern: `{"body":{"a":{"b":{"c":["x"]}}}}`, body: `{"a":{"b":{"c":"x","d":1},"e":2}}`, want: true},
		{name: "nested field absent", pattern: `{"body":{"a":{"b":{"c":["x"]}}}}`, body: `{"a":{"b":{"d":"x"}}}`, want: false},
		{name: "nested pattern on a string", pattern: `{"body":{"a":{"b":["x"]}}}`, body: `{"a":"b"}`, want: false},
		{name: "duplicate key in body: any value", pattern: `{"body":{"a":["2"]}}`, body: `{"a":"1","a":"2"}`, want: true},
		{name: "many strings", pattern: `{"body":{"c":["a","b","c","d","e","f","g","h","i","j"]}}`, body: `{"c":"i"}`, want: true},
		{name: "many strings miss", pattern: `{"body":{"c":["a","b","c","d","e","f","g","h","i","j"]}}`, body: `{"c":"k"}`, want: false},
		{name: "many strings and an operator", pattern: `{"body":{"c":["a","b","c","d","e","f","g","h","i",{"prefix":"z"}]}}`, body: `{"c":"zz"}`, want: true},
		{name: "many strings do not match numbers", pattern: `{"body":{"c":["1","2","3","4","5","6","7","8","9"]}}`, body: `{"c":7}`, want: false},
		{name: "many numbers by value", pattern: `{"body":{"c":[1,2,3,4,5,6,7,8,9,10]}}`, body: `{"c":7.0}`, want: true},
		{name: "many numbers miss", pattern: `{"body":{"c":[1,2,3,4,5,6,7,8,9,10]}}`, body: `{"c":7.5}`, want: false},
		{name: "many numbers and a huge exponent", pattern: `{"body":{"c":[1,2,3,4,5,6,7,8,9,1e9999999999999999]}}`, body: `{"c":1e9999999999999999}`, want: true},
		{name: "dots in keys are not paths", pattern: `{"body":{"a.b":["x"]}}`, body: `{"a":{"b":"x"}}`, want: false},
	})
}

func TestMatchNumbers(t *testing.T) {
	runMatchCases(t, []matchCase{
		{name: "integer", pattern: `{"body":{"n":[5]}}`, body: `{"n":5}`, want: true},
		{name: "integer equals its float", pattern: `{"body":{"n":[5]}}`, body: `{"n":5.0}`, want: true},
		{name: "float equals its integer", pattern: `{"body":{"n":[5.00]}}`, body: `{"n":5}`, want: true},
		{name: "exponent", pattern: `{"body":{"n":[300]}}`, body: `{"n":3.0e2}`, want: true},
		{name: "negative exponent", pattern: `{"body":{"n":[0.5]}}`, body: `{"n":5E-1}`, want: true},
		{name: "exponent in pattern", pattern: `{"body":{"n":[1e3]}}`, body: `{"n":1000}`, want: true},
		{name: "different number", pattern: `{"body":{"n":[5]}}`, body: `{"n":5.1}`, want: false},
		{name: "negative", pattern: `{"body":{"n":[-2.5]}}`, body: `{"n":-25e-1}`, want: true},
		{name: "sign matters", pattern: `{"body":{"n":[-2.5]}}`, body: `{"n":2.5}`, want: false},
		{name: "minus zero is zero", pattern: `{"body":{"n":[0]}}`, body: `{"n":-0.0}`, want: true},
		{name: "large integers exactly", pattern: `{"body":{"acct":[123456789012345678901]}}`, body: `{"acct":123456789012345678901}`, want: true},
		{name: "large integers beyond float64 differ", pattern: `{"body":{"acct":[12345678901234567890]}}`, body: `{"acct":12345678901234567891}`, want: false},
		{name: "number rule does not match a string", pattern: `{"body":{"n":[5]}}`, body: `{"n":"5"}`, want: false},
		{name: "huge exponents compare as text", pattern: `{"body":{"n":[1e9999999999999999]}}`, body: `{"n":1e9999999999999999}`, want: true},
		{name: "huge exponents written differently", pattern: `{"body":{"n":[1e9999999999999999]}}`, body: `{"n":10e9999999999999998}`, want: false},
		{name: "numeric equals", pattern: `{"body":{"price":[{"numeric":["=",100]}]}}`, body: `{"price":100.0}`, want: true},
		{name: "numeric equals misses", pattern: `{"body":{"price":[{"numeric":["=",100]}]}}`, body: `{"price":100.5}`, want: false},
		{name: "greater than", pattern: `{"body":{"t":[{"numeric":[">",0]}]}}`, body: `{"t":0.000001}`, want: true},
		{name: "greater than is strict", pattern: `{"body":{"t":[{"numeric":[">",0]}]}}`, body: `{"t":0}`, want: false},
		{name: "at least", pattern: `{"body":{"t":[{"numeric":[">=",0]}]}}`, body: `{"t":-0}`, want: true},
		{name: "less than", pattern: `{"body":{"t":[{"numeric":["<",-1.5]}]}}`, body: `{"t":-2}`, want: true},
		{name: "less than is strict", pattern: `{"body":{"t":[{"numeric":["<",-1.5]}]}}`, body: `{"t":-1.5}`, want: false},
		{name: "at most", pattern: `{"body":{"t":[{"numeric":["<=",-1.5]}]}}`, body: `{"t":-15e-1}`, want: true},
		{name: "range inside", pattern: `{"body":{"t":[{"numeric":[">",10,"<=",20]}]}}`, body: `{"t":20}`, want: true},
		{name: "range lower edge", pattern: `{"body":{"t":[{"numeric":[">",10,"<=",20]}]}}`, body: `{"t":10}`, want: false},
		{name: "range above", pattern: `{"body":{"t":[{"numeric":[">",10,"<=",20]}]}}`, body: `{"t":20.0001}`, want: false},
		{name: "range written upper bound first", pattern: `{"body":{"t":[{"numeric":["<",5,">=",1]}]}}`, body: `{"t":1}`, want: true},
		{name: "range of one point", pattern: `{"body":{"t":[{"numeric":[">=",3,"<=",3]}]}}`, body: `{"t":3e0}`, want: true},
		{name: "range with exponents", pattern: `{"body":{"t":[{"numeric":[">",1e-3,"<",1E3]}]}}`, body: `{"t":2.5e2}`, want: true},
		{name: "numeric does not match a numeric string", pattern: `{"body":{"t":[{"numeric":[">",0]}]}}`, body: `{"t":"5"}`, want: false},
		{name: "numeric does not match true", pattern: `{"body":{"t":[{"numeric":[">",0]}]}}`, body: `{"t":true}`, want: false},
		{name: "beyond float64 is infinite", pattern: `{"body":{"t":[{"numeric":[">",1e300]}]}}`, body: `{"t":1e400}`, want: true},
		{name: "below float64 is minus infinity", pattern: `{"body":{"t":[{"numeric":["<",0]}]}}`, body: `{"t":-1e400}`, want: true},
		{name: "integer beyond 2^53", pattern: `{"body":{"t":[{"numeric":[">",9007199254740992]}]}}`, body: `{"t":9007199254740994}`, want: true},
	})
}

func TestMatchStringOperators(t *testing.T) {
	runMatchCases(t, []matchCase{
		{name: "prefix", pattern: `{"body":{"region":[{"prefix":"us-"}]}}`, body: `{"region":"us-east-1"}`, want: true},
		{name: "prefix misses", pattern: `{"body":{"region":[{"prefix":"us-"}]}}`, body: `{"region":"eu-west-1"}`, want: false},
		{name: "prefix is case sensitive", pattern: `{"body":{"region":[{"prefix":"us-"}]}}`, body: `{"region":"US-east-1"}`, want: false},
		{name: "prefix longer than value", pattern: `{"body":{"region":[{"prefix":"us-east-1-x"}]}}`, body: `{"region":"us-east-1"}`, want: false},
		{name: "empty prefix matches any string", pattern: `{"body":{"region":[{"prefix":""}]}}`, body: `{"region":""}`, want: true},
		{name: "prefix does not match a number", pattern: `{"body":{"n":[{"prefix":"1"}]}}`, body: `{"n":12}`, want: false},
		{name: "prefix of an escaped value", pattern: `{"body":{"s":[{"prefix":"é"}]}}`, body: `{"s":"\u00e9t\u00e9"}`, want: true},
		{name: "suffix", pattern: `{"body":{"file":[{"suffix":".png"}]}}`, body: `{"file":"logo.png"}`, want: true},
		{name: "suffix misses", pattern: `{"body":{"file":[{"suffix":".png"}]}}`, body: `{"file":"logo.PNG"}`, want: false},
		{name: "equals-ignore-case", pattern: `{"body":{"name":[{"equals-ignore-case":"alice"}]}}`, body: `{"name":"ALICE"}`, want: true},
		{name: "equals-ignore-case misses", pattern: `{"body":{"name":[{"equals-ignore-case":"alice"}]}}`, body: `{"name":"ALICES"}`, want: false},
		{name: "equals-ignore-case folds Unicode", pattern: `{"body":{"name":[{"equals-ignore-case":"ΣΊΣΥΦΟΣ"}]}}`, body: `{"name":"σίσυφος"}`, want: true},
		{name: "equals-ignore-case Kelvin sign", pattern: `{"body":{"u":[{"equals-ignore-case":"k"}]}}`, body: `{"u":"\u212a"}`, want: true},
		{name: "equals-ignore-case not a number", pattern: `{"body":{"u":[{"equals-ignore-case":"1"}]}}`, body: `{"u":1}`, want: false},
		{name: "prefix ignoring case", pattern: `{"body":{"svc":[{"prefix":{"equals-ignore-case":"eventb"}}]}}`, body: `{"svc":"EventBridge"}`, want: true},
		{name: "prefix ignoring case misses", pattern: `{"body":{"svc":[{"prefix":{"equals-ignore-case":"eventb"}}]}}`, body: `{"svc":"Event"}`, want: false},
		{name: "suffix ignoring case", pattern: `{"body":{"svc":[{"suffix":{"equals-ignore-case":"tBridge"}}]}}`, body: `{"svc":"EVENTBRIDGE"}`, want: true},
		{name: "suffix ignoring case misses", pattern: `{"body":{"svc":[{"suffix":{"equals-ignore-case":"tBridge"}}]}}`, body: `{"svc":"bridge"}`, want: false},
		{name: "suffix ignoring case, runes of other widths", pattern: `{"body":{"u":[{"suffix":{"equals-ignore-case":"ok"}}]}}`, body: `{"u":"x\u00f6O\u212a"}`, want: true},
	})
}

func TestMatchAnythingBut(t *testing.T) {
	runMatchCases(t, []matchCase{
		{name: "string", pattern: `{"body":{"state":[{"anything-but":"init"}]}}`, body: `{"state":"running"}`, want: true},
		{name: "string excluded", pattern: `{"body":{"state":[{"anything-but":"init"}]}}`, body: `{"state":"init"}`, want: false},
		{name: "list", pattern: `{"body":{"w":[{"anything-but":["Rain","Snow"]}]}}`, body: `{"w":"Sun"}`, want: true},
		{name: "list excluded", pattern: `{"body":{"w":[{"anything-but":["Rain","Snow"]}]}}`, body: `{"w":"Snow"}`, want: false},
		{name: "number", pattern: `{"body":{"x":[{"anything-but":100}]}}`, body: `{"x":101}`, want: true},
		{name: "number excluded by value", pattern: `{"body":{"x":[{"anything-but":100}]}}`, body: `{"x":1.0e2}`, want: false},
		{name: "number list excluded", pattern: `{"body":{"x":[{"anything-but":[100,200]}]}}`, body: `{"x":200}`, want: false},
		{name: "another type is not excluded", pattern: `{"body":{"x":[{"anything-but":"100"}]}}`, body: `{"x":100}`, want: true},
		{name: "null is not excluded", pattern: `{"body":{"x":[{"anything-but":"a"}]}}`, body: `{"x":null}`, want: true},
		{name: "absent does not match", pattern: `{"body":{"x":[{"anything-but":"a"}]}}`, body: `{"y":"b"}`, want: false},
		{name: "object value is absent", pattern: `{"body":{"x":[{"anything-but":"a"}]}}`, body: `{"x":{"y":"b"}}`, want: false},
		{name: "array with another value", pattern: `{"body":{"x":[{"anything-but":"a"}]}}`, body: `{"x":["a","b"]}`, want: true},
		{name: "array of only excluded values", pattern: `{"body":{"x":[{"anything-but":"a"}]}}`, body: `{"x":["a","a"]}`, want: false},
		{name: "prefix", pattern: `{"body":{"r":[{"anything-but":{"prefix":"us-"}}]}}`, body: `{"r":"eu-west-1"}`, want: true},
		{name: "prefix excluded", pattern: `{"body":{"r":[{"anything-but":{"prefix":"us-"}}]}}`, body: `{"r":"us-east-1"}`, want: false},
		{name: "prefix and a number", pattern: `{"body":{"r":[{"anything-but":{"prefix":"1"}}]}}`, body: `{"r":12}`, want: true},
		{name: "suffix", pattern: `{"body":{"f":[{"anything-but":{"suffix":".png"}}]}}`, body: `{"f":"a.jpg"}`, want: true},
		{name: "suffix excluded", pattern: `{"body":{"f":[{"anything-but":{"suffix":".png"}}]}}`, body: `{"f":"a.png"}`, want: false},
		{name: "ignoring case", pattern: `{"body":{"s":[{"anything-but":{"equals-ignore-case":"init"}}]}}`, body: `{"s":"Running"}`, want: true},
		{name: "ignoring case excluded", pattern: `{"body":{"s":[{"anything-but":{"equals-ignore-case":"init"}}]}}`, body: `{"s":"INIT"}`, want: false},
		{name: "ignoring case list excluded", pattern: `{"body":{"s":[{"anything-but":{"equals-ignore-case":["init","stopped"]}}]}}`, body: `{"s":"Stopped"}`, want: false},
		{name: "long list", pattern: `{"body":{"s":[{"anything-but":["a","b","c","d","e","f","g","h","i"]}]}}`, body: `{"s":"j"}`, want: true},
		{name: "long list excluded", pattern: `{"body":{"s":[{"anything-but":["a","b","c","d","e","f","g","h","i"]}]}}`, body: `{"s":"h"}`, want: false},
		{name: "long number list excluded by value", pattern: `{"body":{"s":[{"anything-but":[1,2,3,4,5,6,7,8,9]}]}}`, body: `{"s":90e-1}`, want: false},
		{name: "or with another rule", pattern: `{"body":{"s":[{"anything-but":"a"},"a"]}}`, body: `{"s":"a"}`, want: true},
	})
}

func TestMatchExists(t *testing.T) {
	runMatchCases(t, []matchCase{
		{name: "exists", pattern: `{"body":{"p":[{"exists":true}]}}`, body: `{"p":"x"}`, want: true},
		{name: "exists with null", pattern: `{"body":{"p":[{"exists":true}]}}`, body: `{"p":null}`, want: true},
		{name: "exists misses", pattern: `{"body":{"p":[{"exists":true}]}}`, body: `{"q":"x"}`, want: false},
		{name: "does not exist", pattern: `{"body":{"p":[{"exists":false}]}}`, body: `{"q":"x"}`, want: true},
		{name: "does not exist misses", pattern: `{"body":{"p":[{"exists":false}]}}`, body: `{"p":""}`, want: false},
		{name: "object value counts as absent", pattern: `{"body":{"p":[{"exists":false}]}}`, body: `{"p":{"c":1}}`, want: true},
		{name: "object value does not exist as a leaf", pattern: `{"body":{"p":[{"exists":true}]}}`, body: `{"p":{"c":1}}`, want: false},
		{name: "empty array counts as absent", pattern: `{"body":{"p":[{"exists":false}]}}`, body: `{"p":[]}`, want: true},
		{name: "non-empty array exists", pattern: `{"body":{"p":[{"exists":true}]}}`, body: `{"p":[0]}`, want: true},
		{name: "under an absent parent", pattern: `{"body":{"a":{"b":[{"exists":false}]}}}`, body: `{"x":1}`, want: true},
		{name: "under a string parent", pattern: `{"body":{"a":{"b":[{"exists":false}]}}}`, body: `{"a":"s"}`, want: true},
		{name: "exists under an absent parent", pattern: `{"body":{"a":{"b":[{"exists":true}]}}}`, body: `{"x":1}`, want: false},
		{name: "absent or a value", pattern: `{"body":{"p":["x",{"exists":false}]}}`, body: `{}`, want: true},
		{name: "metadata field exists", pattern: `{"messageId":[{"exists":true}]}`, body: `plain`, want: true},
		{name: "metadata field absent", pattern: `{"nope":[{"exists":false}]}`, body: `plain`, want: true},
	})
}

func TestMatchOr(t *testing.T) {
	runMatchCases(t, []matchCase{
		{name: "first alternative", pattern: `{"body":{"$or":[{"city":["NY"]},{"day":["Mon"]}]}}`, body: `{"city":"NY","day":"Tue"}`, want: true},
		{name: "second alternative", pattern: `{"body":{"$or":[{"city":["NY"]},{"day":["Mon"]}]}}`, body: `{"city":"LA","day":"Mon"}`, want: true},
		{name: "no alternative", pattern: `{"body":{"$or":[{"city":["NY"]},{"day":["Mon"]}]}}`, body: `{"city":"LA","day":"Tue"}`, want: false},
		{name: "and with the other fields", pattern: `{"body":{"src":["cw"],"$or":[{"m":["cpu"]},{"ns":["ec2"]}]}}`, body: `{"src":"x","m":"cpu"}`, want: false},
		{name: "and with the other fields, matching", pattern: `{"body":{"src":["cw"],"$or":[{"m":["cpu"]},{"ns":["ec2"]}]}}`, body: `{"src":"cw","ns":"ec2"}`, want: true},
		{name: "alternative with two fields", pattern: `{"body":{"$or":[{"a":[1],"b":[2]},{"c":[3]}]}}`, body: `{"a":1,"b":3}`, want: false},
		{name: "nested or", pattern: `{"body":{"$or":[{"a":[1]},{"b":[2],"$or":[{"c":[3]},{"d":[4]}]}]}}`, body: `{"b":2,"d":4}`, want: true},
		{name: "nested or misses", pattern: `{"body":{"$or":[{"a":[1]},{"b":[2],"$or":[{"c":[3]},{"d":[4]}]}]}}`, body: `{"b":2,"d":5}`, want: false},
		{name: "top level, body or metadata", pattern: `{"$or":[{"body":{"a":[1]}},{"attributes":{"ApproximateReceiveCount":["1"]}}]}`, body: `{"a":2}`, want: true},
		{name: "top level, JSON or plain body", pattern: `{"$or":[{"body":{"a":[1]}},{"body":["ping"]}]}`, body: `ping`, want: true},
		{name: "top level, JSON or plain body, JSON", pattern: `{"$or":[{"body":{"a":[1]}},{"body":["ping"]}]}`, body: `{"a":1}`, want: true},
		{name: "or inside an array element", pattern: `{"body":{"items":{"$or":[{"sku":["a"]},{"qty":[9]}]}}}`, body: `{"items":[{"sku":"b","qty":1},{"sku":"c","qty":9}]}`, want: true},
	})
}

func TestMatchArrays(t *testing.T) {
	runMatchCases(t, []matchCase{
		{name: "any element", pattern: `{"body":{"tags":["b"]}}`, body: `{"tags":["a","b"]}`, want: true},
		{name: "no element", pattern: `{"body":{"tags":["c"]}}`, body: `{"tags":["a","b"]}`, want: false},
		{name: "nested arrays are flat", pattern: `{"body":{"m":[4]}}`, body: `{"m":[[1,2],[3,[4]]]}`, want: true},
		{name: "numeric on an element", pattern: `{"body":{"m":[{"numeric":[">",3]}]}}`, body: `{"m":[1,"9",5]}`, want: true},
		{name: "objects in the array are skipped by rules", pattern: `{"body":{"m":["x"]}}`, body: `{"m":[{"x":"x"}]}`, want: false},
		{name: "pattern object on elements", pattern: `{"body":{"emp":{"first":["Anna"]}}}`, body: `{"emp":[{"first":"John"},{"first":"Anna"}]}`, want: true},
		{name: "fields must match in one element", pattern: `{"body":{"emp":{"first":["Anna"],"last":["Jones"]}}}`, body: `{"emp":[{"first":"Anna","last":"Smith"},{"first":"Peter","last":"Jones"}]}`, want: false},
		{name: "fields in one element", pattern: `{"body":{"emp":{"first":["Anna"],"last":["Smith"]}}}`, body: `{"emp":[{"first":"Anna","last":"Smith"},{"first":"Peter","last":"Jones"}]}`, want: true},
		{name: "elements of nested arrays", pattern: `{"body":{"emp":{"first":["Peter"]}}}`, body: `{"emp":[[{"first":"John"}],[{"first":"Peter"}]]}`, want: true},
		{name: "exists false in some element", pattern: `{"body":{"emp":{"mid":[{"exists":false}]}}}`, body: `{"emp":[{"mid":"Q"},{"first":"Anna"}]}`, want: true},
		{name: "exists false, every element has it", pattern: `{"body":{"emp":{"mid":[{"exists":false}]}}}`, body: `{"emp":[{"mid":"Q"},{"mid":"R"}]}`, want: false},
		{name: "empty array under a pattern object", pattern: `{"body":{"emp":{"mid":[{"exists":false}]}}}`, body: `{"emp":[]}`, want: true},
		{name: "body is an array", pattern: `{"body":{"id":[2]}}`, body: `[{"id":1},{"id":2}]`, want: true},
		{name: "body is an array, no element", pattern: `{"body":{"id":[3]}}`, body: `[{"id":1},{"id":2}]`, want: false},
	})
}

func TestMatchSQSBody(t *testing.T) {
	deep := strings.Repeat("[", MaxBodyDepth+1) + strings.Repeat("]", MaxBodyDepth+1)
	deepOK := `{"a":` + strings.Repeat("[", MaxBodyDepth-2) + "1" + strings.Repeat("]", MaxBodyDepth-2) + `}`
	runMatchCases(t, []matchCase{
		// Lambda's table: plain string body with a plain pattern is filtered.
		{name: "plain body, plain pattern", pattern: `{"body":["hello world"]}`, body: `hello world`, want: true},
		{name: "plain body, plain pattern misses", pattern: `{"body":["hello"]}`, body: `hello world`, want: false},
		{name: "plain body, prefix", pattern: `{"body":[{"prefix":"ERROR"}]}`, body: `ERROR: disk full`, want: true},
		{name: "plain body, anything-but", pattern: `{"body":[{"anything-but":"ping"}]}`, body: `pong`, want: true},
		{name: "plain body, exists", pattern: `{"body":[{"exists":true}]}`, body: `x`, want: true},
		{name: "plain body, does not exist", pattern: `{"body":[{"exists":false}]}`, body: `x`, want: false},
		{name: "empty body", pattern: `{"body":[""]}`, body: ``, want: true},
		// Plain string body, JSON pattern: dropped.
		{name: "plain body, JSON pattern", pattern: `{"body":{"a":["x"]}}`, body: `a=x`, want: false},
		{name: "plain body, JSON pattern of exists false", pattern: `{"body":{"a":[{"exists":false}]}}`, body: `a=x`, want: false},
		{name: "invalid JSON body, JSON pattern", pattern: `{"body":{"a":["x"]}}`, body: `{"a":"x"`, want: false},
		{name: "invalid JSON body is plain", pattern: `{"body":[{"prefix":"{\"a\""}]}`, body: `{"a":"x"`, want: true},
		// JSON body, plain pattern: dropped.
		{name: "JSON body, plain pattern", pattern: `{"body":["{\"a\":\"x\"}"]}`, body: `{"a":"x"}`, want: false},
		{name: "JSON body, plain exists", pattern: `{"body":[{"exists":true}]}`, body: `{"a":"x"}`, want: false},
		{name: "JSON body, JSON pattern", pattern: `{"body":{"a":["x"]}}`, body: `{"a":"x"}`, want: true},
		{name: "JSON body with white space", pattern: `{"body":{"a":["x"]}}`, body: " \n{\"a\" : \"x\"}\t ", want: true},
		{name: "JSON body, metadata only", pattern: `{"messageId":[{"prefix":"059f"}]}`, body: `{"a":"x"}`, want: true},
		{name: "plain body, metadata only", pattern: `{"messageId":[{"prefix":"059f"}]}`, body: `not json`, want: true},
		// JSON scalars are plain text.
		{name: "number body is text", pattern: `{"body":["42"]}`, body: `42`, want: true},
		{name: "number body, number rule", pattern: `{"body":[42]}`, body: `42`, want: false},
		{name: "JSON string body is text", pattern: `{"body":["\"hi\""]}`, body: `"hi"`, want: true},
		{name: "JSON string body, JSON pattern", pattern: `{"body":{"a":[{"exists":false}]}}`, body: `"hi"`, want: false},
		// Depth.
		{name: "body too deep is plain", pattern: `{"body":[{"prefix":"[[["}]}`, body: deep, want: true},
		{name: "body too deep, JSON pattern", pattern: `{"body":{"a":[{"exists":false}]}}`, body: deep, want: false},
		{name: "body at the depth limit", pattern: `{"body":{"a":[1]}}`, body: deepOK, want: true},
		// Metadata.
		{name: "attribute", pattern: `{"attributes":{"ApproximateReceiveCount":["1"]}}`, body: `x`, want: true},
		{name: "attribute is a string", pattern: `{"attributes":{"ApproximateReceiveCount":[1]}}`, body: `x`, want: false},
		{name: "message attribute", pattern: `{"messageAttributes":{"tenant":{"stringValue":["acme"]}}}`, body: `x`, want: true},
		{name: "message attribute absent", pattern: `{"messageAttributes":{"region":{"stringValue":[{"exists":true}]}}}`, body: `x`, want: false},
		{name: "event source and body", pattern: `{"eventSource":["aws:sqs"],"body":{"a":[1]}}`, body: `{"a":1}`, want: true},
		{name: "event source and body, body misses", pattern: `{"eventSource":["aws:sqs"],"body":{"a":[1]}}`, body: `{"a":2}`, want: false},
		{name: "body key below the top is an ordinary field", pattern: `{"body":{"body":["x"]}}`, body: `{"body":"x"}`, want: true},
		// Records that are not SQS-shaped.
		{name: "body that is an object", pattern: `{"body":{"a":[1]}}`, raw: `{"body":{"a":1}}`, want: true},
		{name: "body that is a number", pattern: `{"body":[1]}`, raw: `{"body":1.0}`, want: true},
		{name: "no body, exists false", pattern: `{"body":[{"exists":false}]}`, raw: `{"messageId":"1"}`, want: true},
		{name: "no body, JSON pattern of exists false", pattern: `{"body":{"a":[{"exists":false}]}}`, raw: `{"messageId":"1"}`, want: true},
		{name: "escaped body key", pattern: `{"body":{"a":[1]}}`, raw: `{"b\u006fdy":"{\"a\":1}"}`, want: true},
		{name: "record not JSON", pattern: `{"body":[{"exists":false}]}`, raw: `{"messageId":`, want: false},
		{name: "record not an object", pattern: `{"body":[{"exists":false}]}`, raw: `["body"]`, want: false},
		{name: "record too deep", pattern: `{"body":[{"exists":false}]}`, raw: `{"x":` + deep + `}`, want: false},
	})
}

func TestCriteriaMatch(t *testing.T) {
	c, err := CompileCriteria([]string{
		`{"body":{"RequestCode":["BBBB"]}}`,
		`{"body":{"RecordNumber":[{"numeric":[">",9999]}]}}`,
		`{"body":[{"prefix":"URGENT"}]}`,
	})
	require.NoError(t, err)
	require.Equal(t, 3, c.Len())
	require.Len(t, c.Patterns(), 3)
	assert.Equal(t, `{"body":[{"prefix":"URGENT"}]}`, c.Patterns()[2].String())

	for _, tc := range []struct {
		name string
		body string
		want bool
	}{
		{"first filter", `{"RecordNumber":1,"RequestCode":"BBBB"}`, true},
		{"second filter", `{"RecordNumber":10000,"RequestCode":"AAAA"}`, true},
		{"third filter", `URGENT: call`, true},
		{"no filter", `{"RecordNumber":1,"RequestCode":"AAAA"}`, false},
		{"no filter, plain", `later`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, c.Match(record(t, tc.body)))
		})
	}
}

func TestCriteriaWithoutFilters(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    func(t *testing.T) *Criteria
	}{
		{"nil", func(*testing.T) *Criteria { return nil }},
		{"empty", func(t *testing.T) *Criteria {
			c, err := CompileCriteria(nil)
			require.NoError(t, err)
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c(t)
			assert.Zero(t, c.Len())
			assert.Empty(t, c.Patterns())
			assert.True(t, c.Match(record(t, "anything")))
			assert.True(t, c.Match([]byte("not even JSON")), "no filtering at all")
		})
	}
}

// A Criteria is used by many goroutines at once (run with -race).
func TestCriteriaConcurrent(t *testing.T) {
	c, err := CompileCriteria([]string{`{"body":{"n":[{"numeric":[">=",50]}]}}`, `{"body":["stop"]}`})
	require.NoError(t, err)
	recs := [][]byte{record(t, `{"n":10}`), record(t, `{"n":50}`), record(t, `stop`), record(t, `go`)}
	want := []bool{false, true, true, false}
	done := make(chan bool)
	for g := 0; g < 8; g++ {
		go func() {
			ok := true
			for i := 0; i < 500; i++ {
				j := i % len(recs)
				ok = ok && c.Match(recs[j]) == want[j]
			}
			done <- ok
		}()
	}
	for g := 0; g < 8; g++ {
		assert.True(t, <-done)
	}
}

// Matching a record the size of a large message, or one built to be
// expensive, finishes, and a matcher that grew for it is not kept.
func TestMatchLargeRecords(t *testing.T) {
	c, err := CompileCriteria([]string{`{"body":{"items":{"sku":["z"],"qty":[{"numeric":[">",1]}]}}}`})
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := 0; i < 40000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"sku":"a","qty":2}`)
	}
	b.WriteString(`,{"sku":"z","qty":2}]}`)
	big := record(t, b.String())
	require.Greater(t, len(big), 800<<10)
	assert.True(t, c.Match(big))
	assert.False(t, c.Match(record(t, strings.Replace(b.String(), `"z"`, `"y"`, 1))))
	wide := record(t, "["+strings.Repeat("[],", 200000)+"[]]")
	assert.False(t, c.Match(wide))
}

func TestMatchDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("under the race detector sync.Pool drops matchers at random")
	}
	c, err := CompileCriteria([]string{benchPattern, `{"body":[{"prefix":"PING"}]}`})
	require.NoError(t, err)
	rec := record(t, benchBody(t))
	require.True(t, c.Match(rec))
	plain := record(t, "PING "+strings.Repeat("x", 1000))
	require.True(t, c.Match(plain))
	allocs := testing.AllocsPerRun(200, func() {
		c.Match(rec)
		c.Match(plain)
	})
	assert.Zero(t, allocs)
}
