package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDescribe(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 250e6, time.UTC)
	tests := []struct {
		name, event, want string
	}{
		{"a due time", `{"due":"2026-03-02T10:00:00Z"}`, `tick: {"due":"2026-03-02T10:00:00Z"} (250ms after its due time)`},
		{"no due time", `{"hello":"flint"}`, `tick: {"hello":"flint"}`},
		{"not JSON", `ping`, `tick: ping`},
		{"a malformed due time", `{"due":"soon"}`, `tick: {"due":"soon"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Describe([]byte(tt.event), now))
		})
	}
}
