package filter

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAppendCanonical(t *testing.T) {
	for _, tc := range []struct {
		name string
		num  string
		want string
		ok   bool
	}{
		{"zero", "0", "0", true},
		{"minus zero", "-0", "0", true},
		{"zero with a fraction", "0.000", "0", true},
		{"zero with an exponent", "0e99", "0", true},
		{"integer", "5", "+5e0", true},
		{"integer with a fraction", "5.0", "+5e0", true},
		{"integer with an exponent", "50e-1", "+5e0", true},
		{"fraction with an exponent", "0.5E1", "+5e0", true},
		{"plus exponent", "5e+0", "+5e0", true},
		{"trailing zeros", "100", "+1e2", true},
		{"zeros on both sides", "100.000", "+1e2", true},
		{"fraction", "0.05", "+5e-2", true},
		{"digits both sides", "10.5", "+105e-1", true},
		{"negative", "-2.5", "-25e-1", true},
		{"negative exponent", "-25e-1", "-25e-1", true},
		{"long integer", "123456789012345678901234567890", "+12345678901234567890123456789e1", true},
		{"exponent at the bound", "1e1000000000000000", "+1e1000000000000000", true},
		{"exponent beyond the bound", "1e1000000000000001", "", false},
		{"very long exponent", "1e99999999999999999999999999", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := appendCanonical(nil, []byte(tc.num))
			assert.Equal(t, tc.ok, ok)
			if tc.ok {
				assert.Equal(t, tc.want, string(got))
			}
		})
	}
}
