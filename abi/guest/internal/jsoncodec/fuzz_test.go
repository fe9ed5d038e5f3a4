package jsoncodec_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/flintfaas/flint/abi/guest/internal/jsoncodec"
	"github.com/flintfaas/flint/internal/jsoncompat"
)

// FuzzUnmarshalLikeEncodingJSON decodes arbitrary bytes with
// encoding/json and with the codec, into a jsoncompat.Everything and into
// an any: both fail, or both succeed with values that encoding/json
// encodes to the same bytes. The codec must never panic. Seeds: the
// jsoncompat cases and testdata/fuzz.
func FuzzUnmarshalLikeEncodingJSON(f *testing.F) {
	for _, tc := range jsoncompat.Cases() {
		if len(tc.Event) < 4096 {
			f.Add([]byte(tc.Event))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want, got jsoncompat.Everything
		sameDecoding(t, data, &want, &got)
		var wantAny, gotAny any
		sameDecoding(t, data, &wantAny, &gotAny)
	})
}

func sameDecoding(t *testing.T, data []byte, want, got any) {
	t.Helper()
	wantErr := json.Unmarshal(data, want)
	gotErr := jsoncodec.Unmarshal(data, got)
	if wantErr != nil && gotErr == nil && lenientStringOption(wantErr, data) {
		t.Skip("known difference: a leading + in a number quoted for the ,string option")
	}
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%q: encoding/json: %v, %s: %v", data, wantErr, jsoncodec.Name, gotErr)
	}
	if wantErr != nil {
		return
	}
	wantJSON, err1 := json.Marshal(want)
	gotJSON, err2 := json.Marshal(got)
	if (err1 == nil) != (err2 == nil) || string(wantJSON) != string(gotJSON) {
		t.Fatalf("%q: encoding/json decoded %s (%v), %s decoded %s (%v)", data, wantJSON, err1, jsoncodec.Name, gotJSON, err2)
	}
	codecJSON, err3 := jsoncodec.Marshal(got)
	if (err1 == nil) != (err3 == nil) || string(wantJSON) != string(codecJSON) {
		t.Fatalf("%q: encoding/json encoded %s (%v), %s encoded %s (%v)", data, wantJSON, err1, jsoncodec.Name, codecJSON, err3)
	}
}

// lenientStringOption reports whether encoding/json refused data for the
// one difference the default codec is known to have: it accepts a number
// with a leading + (`"+1"`) in a field with the ,string option.
func lenientStringOption(wantErr error, data []byte) bool {
	return jsoncodec.Name == "goccy/go-json" &&
		strings.Contains(wantErr.Error(), "invalid use of ,string struct tag") &&
		bytes.Contains(data, []byte(`"+`))
}
