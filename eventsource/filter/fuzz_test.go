package filter

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Compile never panics, refuses with a short *Error that points inside the
// pattern, and accepts only valid JSON, keeping the pattern's text.
func FuzzCompile(f *testing.F) {
	f.Add(`{"body":{"RequestCode":["BBBB"]}}`)
	f.Add(`{"body":{"n":[{"numeric":[">",5,"<",1]}]}}`)
	f.Add(`{"$or":[{"a":[1]},{"b":[{"anything-but":{"prefix":"x"}}]}]}`)
	f.Add(`{"a":[{"prefix":{"equals-ignore-case":"\u00e9"}}],"a":[1]}`)
	f.Add(strings.Repeat(`{"a":`, 70) + `[1]` + strings.Repeat(`}`, 70))
	f.Add("{\"a\":[\"\x00\xff\"]}")
	f.Fuzz(func(t *testing.T, pattern string) {
		p, err := Compile(pattern)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("error %T %v is not a *Error", err, err)
			}
			if fe.Filter != -1 || fe.Offset < -1 || fe.Offset > len(pattern) || fe.Reason == "" {
				t.Fatalf("bad error %#v", fe)
			}
			if fe.Path != "" && !strings.HasPrefix(fe.Path, "$") {
				t.Fatalf("path %q", fe.Path)
			}
			if msg := err.Error(); len(msg) > 600 || !utf8.ValidString(msg) {
				t.Fatalf("message of %d bytes: %q", len(msg), msg)
			}
			return
		}
		if p.String() != pattern {
			t.Fatalf("String() = %q", p.String())
		}
		if !json.Valid([]byte(pattern)) {
			t.Fatalf("accepted a pattern encoding/json finds invalid: %q", pattern)
		}
		for _, r := range []string{
			`{"messageId":"1","body":"{\"a\":[1,{\"b\":\"x\"}],\"c\":null}","attributes":{"ApproximateReceiveCount":"1"}}`,
			`{"messageId":"2","body":"plain text"}`,
			`{"body":{"a":1}}`,
			`{}`,
		} {
			p.Match([]byte(r))
		}
	})
}

// Compile and Match never panic on any pattern and body; Match decides as
// the reference implementation does, the same way every time, alone or in
// a Criteria; the record reader agrees with encoding/json on what is JSON.
func FuzzMatch(f *testing.F) {
	f.Add(`{"body":{"RequestCode":["BBBB"]}}`, []byte(`{"RecordNumber":1234,"RequestCode":"BBBB"}`))
	f.Add(`{"body":{"n":[5]}}`, []byte(`{"n":5.0e0}`))
	f.Add(`{"body":[{"prefix":"ERR"}]}`, []byte(`ERROR x`))
	f.Add(`{"body":{"e":{"f":["A"],"l":["J"]}}}`, []byte(`{"e":[{"f":"A","l":"S"},[{"f":"P","l":"J"}],[]]}`))
	f.Add(`{"body":{"x":[{"anything-but":{"equals-ignore-case":["a","\u212a"]}}],"$or":[{"y":[{"exists":false}]},{"y":[null]}]}}`, []byte(`{"x":["A","k"],"y":null}`))
	f.Add(`{"attributes":{"ApproximateReceiveCount":[{"numeric":[">=",1]}]}}`, []byte(`[[[[`))
	f.Add(`{"body":{"a":[{"exists":false}]}}`, []byte(strings.Repeat("[", 1001)+strings.Repeat("]", 1001)))
	f.Add(`{"body":{"s":[{"suffix":{"equals-ignore-case":"SS"}}]}}`, []byte("{\"s\":\"\xff\u017fs\",\"s\":1e999999}"))
	f.Fuzz(func(t *testing.T, pattern string, body []byte) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		rec, err := json.Marshal(newRecord(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		got := p.Match(rec)
		if again := p.Match(rec); again != got {
			t.Fatalf("Match changed its mind: %v then %v", got, again)
		}
		c, err := CompileCriteria([]string{`{"never":["x"]}`, pattern})
		if err != nil {
			t.Fatal(err)
		}
		if c.Match(rec) != got {
			t.Fatalf("Criteria.Match differs from Pattern.Match")
		}

		// The reference implementation.
		var pat map[string]any
		dec := json.NewDecoder(strings.NewReader(pattern))
		dec.UseNumber()
		if err := dec.Decode(&pat); err != nil {
			t.Fatalf("encoding/json cannot read a compiled pattern: %v", err)
		}
		ref, ok := newRefMatcher(rec)
		if !ok {
			t.Fatalf("the reference cannot read the record %s", rec)
		}
		if want := ref.match(pat); !ref.unsure && want != got {
			t.Fatalf("Match = %v, the reference says %v\npattern %s\nrecord  %s", got, want, pattern, rec)
		}

		// The body as a record of its own: whatever it holds.
		raw := p.Match(body)
		var ps parser
		ps.maxDepth = MaxBodyDepth
		serr := ps.parse(body)
		if serr == nil || serr.reason != "nested too deeply" {
			if valid := json.Valid(body); (serr == nil) != valid {
				t.Fatalf("the reader says %v, encoding/json says valid=%v: %q", serr, valid, body)
			}
		}
		if raw && (serr != nil || ps.nodes[0].kind != kObject) {
			t.Fatalf("a record that is not a JSON object matched")
		}
	})
}

// FuzzMatchGenerated builds a valid pattern and a body from the fuzzer's
// bytes, from small alphabets so that matches are common, and checks Match
// against the reference implementation.
func FuzzMatchGenerated(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("\x03\x10\x22\x31\x47\x55\x63\x78\x81\x99\xa0\xb7\xc3\xd9\xe1\xf0"))
	f.Add([]byte("pattern and body from these bytes, please"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gen{data: data}
		pattern := g.pattern()
		body := g.body()
		p, err := Compile(pattern)
		if err != nil {
			t.Fatalf("generated pattern refused: %v\n%s", err, pattern)
		}
		rec, err := json.Marshal(newRecord(body))
		if err != nil {
			t.Fatal(err)
		}
		got := p.Match(rec)
		var pat map[string]any
		dec := json.NewDecoder(strings.NewReader(pattern))
		dec.UseNumber()
		if err := dec.Decode(&pat); err != nil {
			t.Fatal(err)
		}
		ref, ok := newRefMatcher(rec)
		if !ok {
			t.Fatalf("the reference cannot read %s", rec)
		}
		if want := ref.match(pat); !ref.unsure && want != got {
			t.Fatalf("Match = %v, the reference says %v\npattern %s\nbody    %s", got, want, pattern, body)
		}
	})
}

// gen makes JSON from a byte string, reading one byte per choice; once the
// bytes run out every choice is the last, which ends nesting.
type gen struct {
	data []byte
	b    strings.Builder
}

func (g *gen) next(n int) int {
	if len(g.data) == 0 {
		return n - 1
	}
	c := g.data[0]
	g.data = g.data[1:]
	return int(c) % n
}

func (g *gen) pick(choices ...string) { g.b.WriteString(choices[g.next(len(choices))]) }

// pattern is a top-level pattern: on the body, as JSON or plain, on a
// metadata field, or an "$or" of those.
func (g *gen) pattern() string {
	g.b.Reset()
	g.b.WriteByte('{')
	switch g.next(5) {
	case 0:
		g.b.WriteString(`"body":`)
		g.rules()
	case 1:
		g.b.WriteString(`"$or":[{"body":`)
		g.object(0)
		g.b.WriteString(`},{"body":`)
		g.rules()
		g.b.WriteString(`}]`)
	case 2:
		g.b.WriteString(`"attributes":{"ApproximateReceiveCount":`)
		g.rules()
		g.b.WriteString(`},"body":`)
		g.object(0)
	default:
		g.b.WriteString(`"body":`)
		g.object(0)
	}
	g.b.WriteByte('}')
	return g.b.String()
}

// object is a pattern object of one to three distinct fields, maybe with
// "$or".
func (g *gen) object(depth int) {
	g.b.WriteByte('{')
	n := 1 + g.next(3)
	first := g.next(3)
	for i := 0; i < n; i++ {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.b.WriteString(`"` + "abc"[(first+i)%3:(first+i)%3+1] + `":`)
		if depth < 3 && g.next(3) == 0 {
			g.object(depth + 1)
		} else {
			g.rules()
		}
	}
	if depth < 3 && g.next(4) == 0 {
		g.b.WriteString(`,"$or":[`)
		g.object(depth + 1)
		g.b.WriteByte(',')
		g.object(depth + 1)
		g.b.WriteByte(']')
	}
	g.b.WriteByte('}')
}

func (g *gen) rules() {
	g.b.WriteByte('[')
	for i, n := 0, 1+g.next(3); i < n; i++ {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.rule()
	}
	g.b.WriteByte(']')
}

func (g *gen) rule() {
	switch g.next(12) {
	case 0:
		g.pick(`"x"`, `"y"`, `"X"`, `""`, `"xy"`, `"\u0078"`)
	case 1:
		g.pick(`1`, `1.0`, `2`, `-1`, `10e-1`, `0`, `-0`)
	case 2:
		g.pick(`true`, `false`, `null`)
	case 3:
		g.pick(`{"prefix":"x"}`, `{"prefix":""}`, `{"suffix":"y"}`, `{"prefix":{"equals-ignore-case":"X"}}`, `{"suffix":{"equals-ignore-case":"Y"}}`)
	case 4:
		g.pick(`{"equals-ignore-case":"x"}`, `{"equals-ignore-case":"XY"}`)
	case 5:
		g.pick(`{"anything-but":"x"}`, `{"anything-but":["x","y"]}`, `{"anything-but":1}`, `{"anything-but":[1,2.0]}`)
	case 6:
		g.pick(`{"anything-but":{"prefix":"x"}}`, `{"anything-but":{"suffix":"y"}}`, `{"anything-but":{"equals-ignore-case":"X"}}`, `{"anything-but":{"equals-ignore-case":["X","y"]}}`)
	case 7:
		g.pick(`{"numeric":["=",1]}`, `{"numeric":[">",0]}`, `{"numeric":["<=",1]}`, `{"numeric":[">=",-1,"<",2]}`, `{"numeric":["<",1,">",-1]}`)
	case 8:
		g.pick(`{"exists":true}`, `{"exists":false}`)
	case 9:
		g.pick(`"a"`, `"b"`, `"c"`, `"d"`, `"e"`, `"f"`, `"g"`, `"x"`, `"y"`) // with case 10, lists long enough for sets
	default:
		g.pick(`1`, `2`, `3`, `4`, `5`, `6`, `7`, `8`, `9`, `1.0`)
	}
}

// body is a message body: JSON from the same alphabet, or plain text.
func (g *gen) body() string {
	g.b.Reset()
	switch g.next(6) {
	case 0:
		g.pick(`x`, `y`, `xy`, ``, `1`, `"x"`, `{`, ` [] `, `null`)
		return g.b.String()
	case 1:
		g.b.WriteByte('[')
		g.value(0)
		g.b.WriteByte(',')
		g.value(0)
		g.b.WriteByte(']')
		return g.b.String()
	}
	g.objectValue(0)
	return g.b.String()
}

func (g *gen) objectValue(depth int) {
	g.b.WriteByte('{')
	for i, n := 0, g.next(4); i < n; i++ {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.pick(`"a":`, `"b":`, `"c":`, `"\u0061":`)
		g.value(depth + 1)
	}
	g.b.WriteByte('}')
}

func (g *gen) value(depth int) {
	switch k := g.next(8); {
	case k == 0 && depth < 4:
		g.objectValue(depth)
	case k == 1 && depth < 4:
		g.b.WriteByte('[')
		for i, n := 0, g.next(4); i < n; i++ {
			if i > 0 {
				g.b.WriteByte(',')
			}
			g.value(depth + 1)
		}
		g.b.WriteByte(']')
	case k == 2:
		g.pick(`true`, `false`, `null`)
	case k == 3, k == 4:
		g.pick(`1`, `1.0`, `2`, `-1`, `0.5`, `1e0`, `-0`, `3`, `7`, `9.0`)
	default:
		g.pick(`"x"`, `"y"`, `"X"`, `""`, `"xy"`, `"XY"`, `"yx"`, `"a"`, `"g"`)
	}
}
