package runner

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ValidateSchema checks a JSON report against bench/schema.json.
func validateSchema(t *testing.T, report []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(filepath.Join(testguest.Root(t), "bench", "schema.json"))
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(report))
	require.NoError(t, err)
	require.NoError(t, sch.Validate(inst))
}

func TestJSONMatchesSchema(t *testing.T) {
	b, err := json.Marshal(sharedRun(t))
	require.NoError(t, err)
	validateSchema(t, b)

	t.Run("a report the schema refuses", func(t *testing.T) {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(b, &doc))
		doc["guests"].([]any)[0].(map[string]any)["scenarios"].([]any)[0].(map[string]any)["status"] = "meh"
		bad, err := json.Marshal(doc)
		require.NoError(t, err)
		c := jsonschema.NewCompiler()
		sch, err := c.Compile(filepath.Join(testguest.Root(t), "bench", "schema.json"))
		require.NoError(t, err)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
		require.NoError(t, err)
		assert.Error(t, sch.Validate(inst))
	})
}

// TestSchemaDocumentsEveryField walks the report's Go types and checks
// that bench/schema.json lists each JSON field where it belongs, and
// requires it.
func TestSchemaDocumentsEveryField(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testguest.Root(t), "bench", "schema.json"))
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(raw, &schema))
	defs := schema["$defs"].(map[string]any)
	resolve := func(node map[string]any) map[string]any {
		if ref, ok := node["$ref"].(string); ok {
			return defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		if one, ok := node["oneOf"].([]any); ok {
			for _, alt := range one {
				if ref, ok := alt.(map[string]any)["$ref"].(string); ok {
					return defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
				}
			}
		}
		if items, ok := node["items"].(map[string]any); ok {
			if ref, ok := items["$ref"].(string); ok {
				return defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			}
		}
		return node
	}
	var walk func(path string, typ reflect.Type, node map[string]any)
	walk = func(path string, typ reflect.Type, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		required := map[string]bool{}
		for _, r := range node["required"].([]any) {
			required[r.(string)] = true
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			p, ok := props[name].(map[string]any)
			if !assert.True(t, ok, "%s.%s is not in the schema", path, name) {
				continue
			}
			assert.True(t, required[name], "%s.%s is not required", path, name)
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.Name() != "Time" {
				walk(path+"."+name, ft, resolve(p))
			}
		}
	}
	walk("report", reflect.TypeOf(Report{}), schema)
}

func TestChartIsSVGWithItsGroups(t *testing.T) {
	rep := sharedRun(t)
	var buf bytes.Buffer
	require.NoError(t, WriteChart(&buf, rep))

	dec := xml.NewDecoder(&buf)
	groups := map[string]bool{}
	rows, series := 0, 0
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the chart is well-formed XML")
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			root = se.Name.Local
		}
		for _, a := range se.Attr {
			switch {
			case se.Name.Local == "g" && a.Name.Local == "id":
				groups[a.Value] = true
			case se.Name.Local == "g" && a.Name.Local == "class" && a.Value == "row":
				rows++
			case se.Name.Local == "g" && a.Name.Local == "class" && a.Value == "series":
				series++
			}
		}
	}
	assert.Equal(t, "svg", root)
	for _, id := range []string{"latency", "latency-axis", "legend", "throughput", "throughput-axis"} {
		assert.True(t, groups[id], "group %q", id)
	}
	measured := 0
	for _, g := range rep.Guests {
		for _, s := range g.Scenarios {
			if s.Iterations > 0 {
				measured++
			}
		}
	}
	assert.Equal(t, measured, rows, "a row per measured scenario")
	assert.Equal(t, len(rep.Guests), series, "an in-process series per guest")
}

func TestTableAndMarkdown(t *testing.T) {
	rep := sharedRun(t)
	var text, md bytes.Buffer
	require.NoError(t, WriteTable(&text, rep))
	require.NoError(t, WriteMarkdown(&md, rep))
	for _, want := range []string{"flint test (abc1234)", "wat-echo", "reactor_echo", "× native", "× best peer",
		"wazero-naive", "What each row measures:", Description(ScenarioPreInitialized), "concurrent callers",
		"snapshot-cold skipped: no snapshot"} {
		assert.Contains(t, text.String(), want)
	}
	assert.Contains(t, md.String(), "| scenario | iterations | p50 |")
	assert.Contains(t, md.String(), "### wat-echo")
	assert.Contains(t, md.String(), "- **warm**: ")
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"ns", formatNs(57.9), "57.9 ns"},
		{"µs", formatNs(1234), "1.23 µs"},
		{"rounds up a unit", formatNs(999.9), "1.00 µs"},
		{"ms", formatNs(214e6), "214 ms"},
		{"s", formatNs(4.02e9), "4.02 s"},
		{"none", formatNs(0), "—"},
		{"count", formatCount(1234567), "1,234,567"},
		{"small count", formatCount(12), "12"},
		{"ratio", formatRatio(ptr(23.4)), "23.4×"},
		{"tiny ratio", formatRatio(ptr(0.0039)), "0.0039×"},
		{"bytes", formatBytes(3.5 * (1 << 20)), "3.5 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.got) })
	}
}

func ptr(v float64) *float64 { return &v }
