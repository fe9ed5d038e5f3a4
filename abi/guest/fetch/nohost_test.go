//go:build !wasip1

package fetch

import (
	"errors"
	"net/url"
	"testing"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Off WebAssembly the call fails with STATE, inside net/http's *url.Error.
func TestNoHost(t *testing.T) {
	resp, err := Client().Get("https://example.com/")
	if resp != nil {
		resp.Body.Close()
	}
	var ue *url.Error
	require.True(t, errors.As(err, &ue), "%v", err)
	assert.Equal(t, "https://example.com/", ue.URL)
	var he *guest.HostError
	require.True(t, errors.As(err, &he))
	assert.Equal(t, &guest.HostError{Call: "http_fetch", Errno: 5}, he)
}
