package policy

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAction(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Action
		wantErr bool
	}{
		{name: "kv get", in: "kv:Get", want: KVGet},
		{name: "kv put", in: "kv:Put", want: KVPut},
		{name: "kv delete", in: "kv:Delete", want: KVDelete},
		{name: "kv list", in: "kv:List", want: KVList},
		{name: "http fetch", in: "http:Fetch", want: HTTPFetch},
		{name: "fn invoke", in: "fn:Invoke", want: FnInvoke},
		{name: "fs read", in: "fs:Read", want: FSRead},
		{name: "fs write", in: "fs:Write", want: FSWrite},
		{name: "config get", in: "config:Get", want: ConfigGet},
		{name: "wrong case", in: "kv:get", wantErr: true},
		{name: "wildcard", in: "kv:*", wantErr: true},
		{name: "unknown service", in: "s3:Get", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAction(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrUnknownAction))
				assert.Contains(t, err.Error(), tt.in)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.in, got.String(), "String is the inverse of ParseAction")
		})
	}
}

func TestActionString(t *testing.T) {
	tests := []struct {
		name string
		a    Action
		want string
	}{
		{name: "zero", a: 0, want: "Action(0)"},
		{name: "first", a: KVGet, want: "kv:Get"},
		{name: "last", a: ConfigGet, want: "config:Get"},
		{name: "past the end", a: numActions, want: "Action(10)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.a.String())
		})
	}
}

func TestEveryActionHasAService(t *testing.T) {
	for a := Action(1); a < numActions; a++ {
		assert.NotEqual(t, svcNone, a.service(), a.String())
		assert.Equal(t, serviceNames[a.service()]+":", a.String()[:len(serviceNames[a.service()])+1])
	}
}
