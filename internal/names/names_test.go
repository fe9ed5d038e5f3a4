package names_test

import (
	"strings"
	"testing"

	"github.com/flintfaas/flint/internal/names"
	"github.com/stretchr/testify/assert"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name                                string
		in                                  string
		function, alias, version, qualifier bool
	}{
		{name: "word", in: "hello-world_2", function: true, alias: true, qualifier: true},
		{name: "empty", in: ""},
		{name: "digits", in: "42", function: true, version: true, qualifier: true},
		{name: "leading zero", in: "042", function: true},
		{name: "zero", in: "0", function: true},
		{name: "latest", in: "$LATEST", qualifier: true},
		{name: "dot", in: "a.b"},
		{name: "colon", in: "a:b"},
		{name: "space", in: "a b"},
		{name: "unicode", in: "héllo"},
		{name: "64 bytes", in: strings.Repeat("a", 64), function: true, alias: true, qualifier: true},
		{name: "65 bytes", in: strings.Repeat("a", 65), alias: true, qualifier: true},
		{name: "129 bytes", in: strings.Repeat("a", 129)},
		{name: "huge version", in: "99999999999999999999999", function: true},
		{name: "negative", in: "-1", function: true, alias: true, qualifier: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.function, names.Function(tt.in), "Function")
			assert.Equal(t, tt.alias, names.Alias(tt.in), "Alias")
			assert.Equal(t, tt.version, names.Version(tt.in), "Version")
			assert.Equal(t, tt.qualifier, names.Qualifier(tt.in), "Qualifier")
		})
	}
}
