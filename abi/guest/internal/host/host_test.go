//go:build !wasip1

package host

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestResult(t *testing.T) {
	tests := []struct {
		name  string
		r     int32
		want  []byte
		errno int32
	}{
		{"error code", -NotFound, nil, NotFound},
		{"empty result needs no result_read", 0, []byte{}, 0},
		// Off WebAssembly result_read itself reports State.
		{"result_read fails", 5, nil, State},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, errno := Result(tt.r)
			assert.Equal(t, tt.want, b)
			assert.Equal(t, tt.errno, errno)
		})
	}
	b, errno := Pending()
	assert.Nil(t, b)
	assert.Equal(t, int32(State), errno)
}
