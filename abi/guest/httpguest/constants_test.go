package httpguest

import (
	"testing"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/abi/guest/internal/host"
	"github.com/stretchr/testify/assert"
)

// The SDK keeps copies of the ABI's constants, so as not to import the
// abi package above it: they must stay equal.
func TestConstantsMatchTheABI(t *testing.T) {
	assert.Equal(t, abi.StatusOK, host.StatusOK)
	assert.Equal(t, abi.StatusError, host.StatusError)
	assert.Equal(t, abi.StatusDecline, host.StatusDecline)
	assert.Equal(t, abi.SourceIPHeader, host.SourceIPHeader)
}
