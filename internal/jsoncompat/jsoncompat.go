// Package jsoncompat is the table of JSON cases on which the Go guest SDK's
// codec (abi/guest/internal/jsoncodec) must behave as encoding/json does:
// the types, with every struct-tag form and method encoding/json honours,
// and the events. The codec's host tests and a guest run through the
// engine (engine/testdata/jsoncompat) share it.
package jsoncompat

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Everything is a type with every feature of encoding/json a Go function's
// event or response may use.
type Everything struct {
	Name    string  `json:"name"`
	Omitted string  `json:"omitted,omitempty"`
	Count   int     `json:"count,string"`
	Ratio   float64 `json:"ratio,omitempty"`
	Secret  string  `json:"-"`
	//lint:ignore SA5008 a field named "-" is what this case is for
	Dash     string            `json:"-,"`
	NoTag    string            // without a tag: its Go name
	Ptr      *int              `json:"ptr"`
	Slice    []string          `json:"slice"`
	Map      map[string]int    `json:"map,omitempty"`
	IntKeys  map[int]string    `json:"intKeys,omitempty"`
	Bytes    []byte            `json:"bytes"`
	When     time.Time         `json:"when"`
	WhenPtr  *time.Time        `json:"whenPtr,omitempty"`
	Raw      json.RawMessage   `json:"raw,omitempty"`
	Any      any               `json:"any"`
	Upper    Upper             `json:"upper"`
	UpperPtr *Upper            `json:"upperPtr,omitempty"`
	Celsius  Celsius           `json:"celsius"`
	Level    Level             `json:"level"`
	Levels   map[Level]bool    `json:"levels,omitempty"`
	Nested   *Everything       `json:"nested,omitempty"`
	Array    [2]int            `json:"array"`
	Uint8    uint8             `json:"uint8"`
	Int64    int64             `json:"int64"`
	Bool     bool              `json:"bool,omitempty"`
	BoolStr  bool              `json:"boolStr,string"`
	Strings  map[string]string `json:"strings"`
	Number   json.Number       `json:"number,omitempty"`
	Iface    fmt.Stringer      `json:"iface,omitempty"`
	Tagged   Embedded          `json:"tagged,omitempty"`
	Embedded
	*EmbeddedPtr
}

// Embedded is embedded in Everything: its fields are promoted.
type Embedded struct {
	Region string `json:"region"`
	Zone   string // promoted under its Go name
}

// EmbeddedPtr is embedded by pointer in Everything.
type EmbeddedPtr struct {
	Tenant string `json:"tenant,omitempty"`
}

// Upper is a json.Marshaler and json.Unmarshaler (pointer receiver): its
// JSON is a string in capitals, and "bad" does not decode.
type Upper string

// MarshalJSON encodes u as a JSON string in capitals.
func (u Upper) MarshalJSON() ([]byte, error) {
	return json.Marshal(strings.ToUpper(string(u)))
}

// UnmarshalJSON decodes a JSON string, in lower case.
func (u *Upper) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "bad" {
		return errors.New("upper: bad is not allowed")
	}
	*u = Upper(strings.ToLower(s))
	return nil
}

// Celsius is a json.Marshaler with a value receiver whose JSON is an
// object.
type Celsius float64

// MarshalJSON encodes c as {"c":c}.
func (c Celsius) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]float64{"c": float64(c)})
}

// UnmarshalJSON decodes {"c":c}.
func (c *Celsius) UnmarshalJSON(b []byte) error {
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*c = Celsius(m["c"])
	return nil
}

// Level is an encoding.TextMarshaler (a string in JSON, and usable as a
// map key).
type Level int

// MarshalText encodes l as "L<n>".
func (l Level) MarshalText() ([]byte, error) {
	return []byte("L" + string(rune('0'+int(l)%10))), nil
}

// UnmarshalText decodes "L<n>".
func (l *Level) UnmarshalText(b []byte) error {
	if len(b) != 2 || b[0] != 'L' || b[1] < '0' || b[1] > '9' {
		return errors.New("level: want L0 to L9")
	}
	*l = Level(b[1] - '0')
	return nil
}

// Case is a named event decoded into an Everything, encoded again when it
// decodes.
type Case struct {
	Name  string
	Event string
}

// Cases are the events on which the SDK's codec must give encoding/json's
// result: the same value and the same encoding of it, or an error for
// both.
func Cases() []Case {
	return []Case{
		{"empty object", `{}`},
		{"all fields", `{"name":"ana","omitted":"x","count":"42","ratio":0.5,"-":"dash","NoTag":"nt","ptr":7,` +
			`"slice":["a","b"],"map":{"b":2,"a":1},"intKeys":{"10":"ten","2":"two"},"bytes":"aGVsbG8=",` +
			`"when":"2026-12-06T18:00:00.123456789+01:00","whenPtr":"2026-01-02T03:04:05Z","raw":{"keep": [1, 2]},` +
			`"any":{"n":1.5,"list":[true,null,"s"]},"upper":"Shout","upperPtr":"p","celsius":{"c":21.5},"level":"L3",` +
			`"levels":{"L1":true},"nested":{"name":"inner"},"array":[1,2],"uint8":255,"int64":-9007199254740993,` +
			`"bool":true,"boolStr":"true","strings":{"k":"v"},"region":"eu","Zone":"a","tenant":"t1"}`},
		{"case-insensitive names", `{"NAME":"ana","Count":"3","REGION":"eu","zone":"b","Tenant":"t","NOTAG":"n"}`},
		{"unknown fields ignored", `{"name":"ana","extra":{"deep":[1,2,{"x":null}]},"more":1}`},
		{"nulls", `{"name":null,"ptr":null,"slice":null,"map":null,"bytes":null,"when":null,"any":null,"nested":null,"upper":null,"raw":null}`},
		{"null event", `null`},
		{"secret is never decoded", `{"Secret":"s","-":"d"}`},
		{"duplicate keys: the last wins", `{"name":"a","name":"b"}`},
		{"html and line separators in strings", `{"name":"<b>&amp;</b> \u2028\u2029","any":"<script>"}`},
		{"escapes and surrogate pairs", `{"name":"tab\there \"q\" \\ \/ \ud83d\ude00 \u00e9"}`},
		{"invalid utf-8 is replaced", "{\"name\":\"a\xffb\xc3\"}"},
		{"lone surrogate is replaced", `{"name":"\ud800x"}`},
		{"big numbers as any", `{"any":[12345678901234567890,1e300,-0.0,1E-7]}`},
		{"empty bytes and slice", `{"bytes":"","slice":[]}`},
		{"whitespace around", " \n\t{ \"name\" : \"ana\" } \r\n"},
		{"embedded pointer allocated", `{"tenant":"acme"}`},
		{"array shorter than Go array", `{"array":[9]}`},
		{"array longer than Go array", `{"array":[1,2,3]}`},
		{"number kept as written", `{"number":1.50e3}`},
		{"embedded struct with a tag is not promoted", `{"tagged":{"region":"us","Zone":"z"},"region":"eu"}`},
		{"deep but allowed nesting", Nest(5000)},
		{"null into non-empty interface", `{"iface":null}`},

		// Each of these is an error for encoding/json, and must be one for
		// the codec.
		{"syntax: truncated", `{"name":"ana"`},
		{"syntax: trailing data", `{"name":"ana"} x`},
		{"syntax: trailing comma", `{"name":"ana",}`},
		{"syntax: single quotes", `{'name':'ana'}`},
		{"syntax: bare word", `hello`},
		{"syntax: control character in string", "{\"name\":\"a\x01b\"}"},
		{"type: string into int", `{"uint8":"x"}`},
		{"type: number overflows uint8", `{"uint8":256}`},
		{"type: float into int", `{"int64":1.5}`},
		{"type: huge number into int64", `{"int64":123456789012345678901234567890}`},
		{"type: number too big for float64", `{"ratio":1e400}`},
		{"type: object into string", `{"name":{}}`},
		{"type: array into struct", `[1,2]`},
		{"string option: not quoted", `{"count":42}`},
		{"string option: not a number", `{"count":"x"}`},
		{"bad base64", `{"bytes":"not base64!"}`},
		{"bad time", `{"when":"yesterday"}`},
		{"unmarshaler refuses", `{"upper":"bad"}`},
		{"text unmarshaler refuses", `{"level":"high"}`},
		{"type: string into json.Number", `{"number":"12"}`},
		{"type: object into non-empty interface", `{"iface":{}}`},
		{"nesting past 10000", Nest(10001)},
		{"nesting of a million", Nest(1000000)},
		{"nesting of objects", `{"any":` + strings.Repeat(`{"a":`, 200000) + `1` + strings.Repeat(`}`, 200000) + `}`},
		{"empty event", ``},
	}
}

// Nest returns an event nested depth arrays deep in its "any" field.
func Nest(depth int) string {
	return `{"any":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
}
