package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Version is the policy language version, and the only one: a document's
// Version must be it, or be absent, which means the same.
const Version = "2026-11-01"

// document is a policy in canonical form: what Parse accepted, with Version
// filled in and Action and Resource always arrays. MarshalJSON writes it.
type document struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

// statement is one canonical statement.
type statement struct {
	Sid      string   `json:"Sid,omitempty"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// member is one name/value pair of a JSON object, in document order.
type member struct {
	name  string
	value json.RawMessage
}

// errNotObject is returned by members for a value that is not an object.
var errNotObject = errors.New("not a JSON object")

// members reads data, which must be valid JSON, and returns the members of
// the object it holds in order, duplicates included (encoding/json would
// silently keep the last one; the caller rejects them instead). It returns
// errNotObject when data holds some other value.
func members(data []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errNotObject
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string) // the decoder only yields strings as keys
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		ms = append(ms, member{name: name, value: value})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	return ms, nil
}

// syntaxReason describes a JSON syntax error from json.Unmarshal for a
// person: what is wrong, and where as line:column.
func syntaxReason(data []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return "invalid JSON: " + err.Error()
	}
	line, col := lineCol(data, se.Offset)
	at := "invalid JSON at line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ": "
	switch msg := se.Error(); {
	case msg == "unexpected end of JSON input":
		return "invalid JSON: the document ends early; check for a missing closing brace, bracket or quote"
	case strings.HasSuffix(msg, "after top-level value"):
		return at + "unexpected data after the end of the document; a policy is a single JSON object"
	default:
		return at + msg + "; fix the syntax (a JSON linter will point at it)"
	}
}

// lineCol converts a byte offset just past an error into a 1-based line and
// column.
func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset > 0 {
		offset-- // SyntaxError.Offset is just past the offending byte
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}

// stringValue returns v as a string when it is a JSON string.
func stringValue(v json.RawMessage) (string, bool) {
	if len(v) == 0 || v[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// stringList returns v as a list of strings when it is a JSON string (a
// list of one) or an array of strings.
func stringList(v json.RawMessage) ([]string, bool) {
	if s, ok := stringValue(v); ok {
		return []string{s}, true
	}
	var raw []json.RawMessage
	if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &raw) != nil {
		return nil, false
	}
	list := make([]string, len(raw))
	for i, r := range raw {
		s, ok := stringValue(r)
		if !ok {
			return nil, false
		}
		list[i] = s
	}
	return list, true
}

// jsonType names the JSON type of v for error messages.
func jsonType(v json.RawMessage) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
