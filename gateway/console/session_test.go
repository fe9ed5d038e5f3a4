package console

import (
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/gateway/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock a test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestSessions(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	key := auth.Key{AccessKeyID: "AKIAFLINTADMIN000001", SecretAccessKey: "admin-secret-key-0123456789", Admin: true}

	t.Run("a session lives until its TTL", func(t *testing.T) {
		s := newSessions(time.Hour, 10, clk.now)
		ses := s.create(key)
		assert.Empty(t, ses.key.SecretAccessKey, "a session keeps no secret")
		assert.Len(t, ses.id, 43)
		assert.Len(t, ses.csrf, 43)
		assert.NotEqual(t, ses.id, ses.csrf)
		got, expired := s.get(ses.id)
		require.Same(t, ses, got)
		assert.False(t, expired)
		clk.advance(time.Hour - time.Nanosecond)
		got, _ = s.get(ses.id)
		assert.Same(t, ses, got)
		clk.advance(time.Nanosecond)
		got, expired = s.get(ses.id)
		assert.Nil(t, got)
		assert.True(t, expired, "an ended session is told from an unknown one")
		got, expired = s.get(ses.id)
		assert.Nil(t, got)
		assert.False(t, expired, "and then forgotten")
	})
	t.Run("unknown and empty ids", func(t *testing.T) {
		s := newSessions(time.Hour, 10, clk.now)
		for _, id := range []string{"", "nope", s.create(key).id + "x"} {
			got, expired := s.get(id)
			assert.Nil(t, got)
			assert.False(t, expired)
		}
	})
	t.Run("removed", func(t *testing.T) {
		s := newSessions(time.Hour, 10, clk.now)
		ses := s.create(key)
		s.remove(ses.id)
		got, _ := s.get(ses.id)
		assert.Nil(t, got)
	})
	t.Run("at most max, the first to end goes first", func(t *testing.T) {
		s := newSessions(time.Hour, 3, clk.now)
		first := s.create(key)
		clk.advance(time.Minute)
		second := s.create(key)
		third := s.create(key)
		fourth := s.create(key)
		assert.Equal(t, 3, s.len())
		for _, ses := range []*session{second, third, fourth} {
			got, _ := s.get(ses.id)
			assert.Same(t, ses, got)
		}
		got, _ := s.get(first.id)
		assert.Nil(t, got)
	})
}

func TestSameToken(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"equal", "abc", "abc", true},
		{"different", "abc", "abd", false},
		{"prefix", "abc", "ab", false},
		{"both empty", "", "", false},
		{"one empty", "abc", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, sameToken(tt.a, tt.b))
		})
	}
}

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/console/functions/x", "/console/functions/x"},
		{"/console/functions/x?range=1h", "/console/functions/x?range=1h"},
		{"", "/console/functions"},
		{"/console", "/console/functions"},
		{"/consolex/y", "/console/functions"},
		{"https://evil.example/console/", "/console/functions"},
		{"//evil.example/console/", "/console/functions"},
		{"/console/\\evil", "/console/functions"},
		{"/console/x\r\nSet-Cookie: a=b", "/console/functions"},
		{"/console/signin?next=/console/signin", "/console/functions"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, safeNext(tt.in))
		})
	}
}

func TestLoopbackHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true}, {"LOCALHOST:8080", true}, {"127.0.0.1", true}, {"127.0.0.1:8080", true}, {"127.9.9.9", true},
		{"[::1]:8080", true}, {"::1", true},
		{"", false}, {"evil.example", false}, {"localhost.evil.example", false}, {"10.0.0.1:80", false}, {"[::]:80", false}, {"0.0.0.0", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			assert.Equal(t, tt.want, loopbackHost(tt.host))
		})
	}
}
