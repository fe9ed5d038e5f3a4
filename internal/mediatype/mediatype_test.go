package mediatype

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsText(t *testing.T) {
	tests := []struct {
		contentType string
		body        string
		want        bool
	}{
		{"text/plain", "x", true},
		{"text/html; charset=utf-8", "<p>", true},
		{"Text/HTML; charset=utf-8", "<p>", true},
		{"TEXT/CSV", "a,b", true},
		{" application/json ", "{}", true},
		{"\tapplication/json\t;q=1", "{}", true},
		{"application/JSON;charset=UTF-8", "{}", true},
		{"application/javascript", "f()", true},
		{"application/ecmascript", "f()", true},
		{"application/xml", "<a/>", true},
		{"application/atom+xml", "<a/>", true},
		{"application/atom+XML", "<a/>", true},
		{"application/vnd.api+json", "{}", true},
		{"application/problem+json", "{}", true},
		{"application/x-www-form-urlencoded", "a=1", true},
		{"application/graphql", "{ a }", true},
		{"application/yaml", "a: 1", true},
		{"application/x-yaml", "a: 1", true},
		{"application/x-ndjson", "{}\n", true},
		{"text/plain", "", true},
		{"text/plain", "caf\xe9", false},
		{"text/plain", "\xff", false},
		{"", "x", false},
		{"application/octet-stream", "x", false},
		{"image/png", "x", false},
		{"image/svg+xml", "<svg/>", false},
		{"application/+json", "{}", false},
		{"multipart/form-data; boundary=x", "--x", false},
		{"text", "x", false},
		{"text/", "x", false},
		{"/plain", "x", false},
		{"application/jsonx", "{}", false},
		{"application/\u212aml", "x", false},
		{"te xt/plain", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.contentType+"|"+tt.body, func(t *testing.T) {
			assert.Equal(t, tt.want, IsText(tt.contentType, []byte(tt.body)))
		})
	}
}

func TestIsTextDoesNotAllocate(t *testing.T) {
	body := []byte(`{"a":1}`)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = IsText("Application/Vnd.Api+JSON; charset=utf-8", body) }))
}
