//go:build !wasip1

package kv

import (
	"testing"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/stretchr/testify/assert"
)

// Off WebAssembly every call fails with STATE, and Keys stops after it.
func TestNoHost(t *testing.T) {
	s := Open("counters")
	assert.Equal(t, "counters", s.Name())
	state := func(call string) error { return &guest.HostError{Call: call, Errno: 5} }

	_, err := s.Get("hits")
	assert.Equal(t, state("kv_get"), err)
	assert.Equal(t, state("kv_put"), s.Put("hits", []byte("1")))
	assert.Equal(t, state("kv_delete"), s.Delete("hits"))
	_, _, err = s.List("", "", 0)
	assert.Equal(t, state("kv_list"), err)

	var errs []error
	for key, err := range s.Keys("") {
		assert.Empty(t, key)
		errs = append(errs, err)
	}
	assert.Equal(t, []error{state("kv_list")}, errs)
}
