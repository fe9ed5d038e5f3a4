package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"

	"github.com/flintfaas/flint/gateway/auth"
)

// session is one signed-in browser: the key it signed in with (without
// the secret), its CSRF token, and when it ends. Sessions live in memory:
// a restarted server signs everyone out.
type session struct {
	id      string
	key     auth.Key
	csrf    string
	created time.Time
	expires time.Time
}

// Admin reports whether the session's key may change things.
func (s *session) Admin() bool { return s.key.Admin }

// KeyID is the access key id the session signed in with.
func (s *session) KeyID() string { return s.key.AccessKeyID }

// CSRF is the token every state-changing request of the session carries.
func (s *session) CSRF() string { return s.csrf }

// sessions are the console's signed-in browsers, at most max of them: a
// new one past that replaces the one that ends first.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*session
	ttl  time.Duration
	max  int
	now  func() time.Time
}

func newSessions(ttl time.Duration, max int, now func() time.Time) *sessions {
	return &sessions{byID: map[string]*session{}, ttl: ttl, max: max, now: now}
}

// token returns 32 random bytes, base64url-encoded.
func token() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session for key.
func (s *sessions) create(key auth.Key) *session {
	now := s.now()
	ses := &session{id: token(), key: key, csrf: token(), created: now, expires: now.Add(s.ttl)}
	ses.key.SecretAccessKey = ""
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) >= s.max {
		var first *session
		for id, o := range s.byID {
			if !now.Before(o.expires) {
				delete(s.byID, id)
				continue
			}
			if first == nil || o.expires.Before(first.expires) {
				first = o
			}
		}
		if len(s.byID) >= s.max && first != nil {
			delete(s.byID, first.id)
		}
	}
	s.byID[ses.id] = ses
	return ses
}

// get returns the live session id names; expired says the id named one
// that has ended (and is now forgotten).
func (s *sessions) get(id string) (ses *session, expired bool) {
	if id == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ses = s.byID[id]
	if ses == nil {
		return nil, false
	}
	if !s.now().Before(ses.expires) {
		delete(s.byID, id)
		return nil, true
	}
	return ses, false
}

// remove ends a session.
func (s *sessions) remove(id string) {
	s.mu.Lock()
	delete(s.byID, id)
	s.mu.Unlock()
}

// len counts the sessions kept.
func (s *sessions) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// sameToken compares two tokens in constant time; an empty one matches
// nothing.
func sameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
