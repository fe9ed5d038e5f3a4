package guest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHostErrorIs(t *testing.T) {
	sentinels := []error{ErrNotFound, ErrDenied, ErrLimit, ErrUnavailable, ErrTooLarge, ErrInvalid}
	tests := []struct {
		name  string
		errno int32
		want  error // the one sentinel it matches, or nil
	}{
		{"bounds", 1, nil},
		{"too large", 2, ErrTooLarge},
		{"invalid", 3, ErrInvalid},
		{"not found", 4, ErrNotFound},
		{"state", 5, nil},
		{"denied", 6, ErrDenied},
		{"internal", 7, nil},
		{"function", 8, nil},
		{"limit", 9, ErrLimit},
		{"unavailable", 10, ErrUnavailable},
		{"unknown", 99, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &HostError{Call: "kv_get", Errno: tt.errno})
			for _, s := range sentinels {
				assert.Equal(t, s == tt.want, errors.Is(err, s), "errors.Is(%v)", s)
			}
		})
	}
}

func TestHostErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *HostError
		want string
	}{
		{"not found", &HostError{"kv_get", 4}, "flint: kv_get: not found"},
		{"unavailable", &HostError{"http_fetch", 10}, "flint: http_fetch: unavailable: the target could not be reached (network error, timeout or throttling); trying again later may work"},
		{"limit", &HostError{"fn_invoke", 9}, "flint: fn_invoke: limit reached (invocation depth or concurrency)"},
		{"no host", &HostError{"input_read", 5}, "flint: input_read: not allowed now (outside init and invocations, or no Flint host)"},
		{"unknown code", &HostError{"log", 42}, "flint: log: error code 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestDeniedError(t *testing.T) {
	err := error(&DeniedError{Action: "kv:Get", Resource: "kv:sessions/x"})
	assert.Equal(t, "flint: kv:Get on kv:sessions/x denied by the function's execution policy", err.Error())
	wrapped := fmt.Errorf("load session: %w", err)
	assert.ErrorIs(t, wrapped, ErrDenied)
	assert.NotErrorIs(t, wrapped, ErrNotFound)
	assert.Equal(t, "Denied", errorType(wrapped), "a handler returning it reports type Denied")
	assert.Equal(t, "flint: app:orders.Get denied", (&DeniedError{Action: "app:orders.Get"}).Error(),
		"a host capability's own refusal names no resource")
}

func TestCallError(t *testing.T) {
	tests := []struct {
		name     string
		call     string
		errno    int32
		action   string
		resource string
		want     error
	}{
		{"fn denied", "fn_invoke", 6, "fn:Invoke", invokeResource("resize:3"), &DeniedError{Action: "fn:Invoke", Resource: "fn:resize:3"}},
		{"config denied", "config_get", 6, "config:Get", configResource("db/url"), &DeniedError{Action: "config:Get", Resource: "config:db/url"}},
		{"config not found", "config_get", 4, "config:Get", configResource("x"), &HostError{"config_get", 4}},
		{"fn limit", "fn_invoke", 9, "fn:Invoke", invokeResource("self"), &HostError{"fn_invoke", 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, callError(tt.call, tt.errno, tt.action, tt.resource))
		})
	}
}

func TestErrorType(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"typed", &Error{Type: "ValidationError", Message: "bad"}, "ValidationError"},
		{"wrapped typed", fmt.Errorf("x: %w", &Error{Type: "T"}), "T"},
		{"denied", &DeniedError{Action: "kv:Get", Resource: "kv:a/b"}, "Denied"},
		{"host error", &HostError{"kv_get", 7}, "Error"},
		{"plain", errors.New("x"), "Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, errorType(tt.err))
		})
	}
}

func TestErrorMessage(t *testing.T) {
	assert.Equal(t, "boom", (&Error{Type: "T", Message: "boom"}).Error())
	assert.Equal(t, "T", (&Error{Type: "T"}).Error(), "an empty message falls back to the type")
}
