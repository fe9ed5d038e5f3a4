package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash"
	"strings"
	"sync/atomic"
)

// Limits on the form of access keys, as AWS has them: an access key id is
// 16 to 128 characters of A-Z and 0-9; a secret is at least 16 printable
// ASCII characters without spaces (AWS issues 40).
const (
	minKeyIDLen  = 16
	maxKeyIDLen  = 128
	minSecretLen = 16
	maxSecretLen = 128
)

// Key is an access key pair requests may be signed with.
type Key struct {
	// AccessKeyID names the key in a request's credential scope: 16 to
	// 128 characters of A-Z and 0-9 ("AKIAFLINTEXAMPLE0001").
	AccessKeyID string
	// SecretAccessKey is the shared secret signatures are made with: 16
	// to 128 printable ASCII characters, no spaces.
	SecretAccessKey string
	// Admin keys may use the whole API; other keys may only invoke what a
	// function's invoke policy grants them.
	Admin bool
	// Name is an optional label for logs: the profile name in a
	// credentials file.
	Name string
}

// String describes the key without its secret, so that logging a Key
// cannot leak it.
func (k Key) String() string {
	return fmt.Sprintf("{AccessKeyID:%s Name:%s Admin:%t SecretAccessKey:REDACTED}", k.AccessKeyID, k.Name, k.Admin)
}

// GoString is String for %#v.
func (k Key) GoString() string {
	return fmt.Sprintf("auth.Key{AccessKeyID:%q, Name:%q, Admin:%t, SecretAccessKey:\"REDACTED\"}", k.AccessKeyID, k.Name, k.Admin)
}

// Keys is an immutable set of keys, looked up by access key id. The zero
// value holds no key, so every request verified against it fails with
// ErrUnknownKey. Copies share their contents and are safe to use from many
// goroutines.
type Keys struct {
	byID map[string]*entry
}

// entry is one key and the last signing key derived from its secret.
type entry struct {
	key Key // SecretAccessKey cleared: Verify returns this value
	// secret is "AWS4" + SecretAccessKey, the first HMAC's key.
	secret []byte
	// derived caches the signing key of the last (date, region, service)
	// scope the key signed for: clients sign a day's requests for the
	// same scope, and deriving costs four HMACs.
	derived atomic.Pointer[signingKey]
}

// signingKey is the key SigV4 derives from a secret for one scope.
type signingKey struct {
	date, region, service string
	key                   [sha256.Size]byte
	// mac is an HMAC keyed with key and never written: sign clones it,
	// which costs less than keying a new one.
	mac hash.Hash
}

// newMAC returns an HMAC-SHA256 keyed with the signing key.
func (k *signingKey) newMAC() hash.Hash {
	if c, ok := k.mac.(hash.Cloner); ok {
		if m, err := c.Clone(); err == nil {
			return m
		}
	}
	return hmac.New(sha256.New, k.key[:])
}

// NewKeys checks keys and returns them as a set. It fails with
// ErrInvalidKey on an id or secret of the wrong form and ErrDuplicateKey
// when two keys share an id. An empty list gives an empty set.
func NewKeys(keys []Key) (Keys, error) {
	byID := make(map[string]*entry, len(keys))
	for i, k := range keys {
		if err := checkKeyID(k.AccessKeyID); err != nil {
			return Keys{}, fmt.Errorf("%w: key %d: %s", ErrInvalidKey, i, err)
		}
		if err := checkSecret(k.SecretAccessKey); err != nil {
			return Keys{}, fmt.Errorf("%w: key %s: %s", ErrInvalidKey, k.AccessKeyID, err)
		}
		if _, dup := byID[k.AccessKeyID]; dup {
			return Keys{}, fmt.Errorf("%w: %s appears twice; give each key pair its own id", ErrDuplicateKey, k.AccessKeyID)
		}
		e := &entry{key: k, secret: []byte("AWS4" + k.SecretAccessKey)}
		e.key.SecretAccessKey = ""
		byID[k.AccessKeyID] = e
	}
	return Keys{byID: byID}, nil
}

// Check returns the key whose access key id is id when secret is its
// secret, as a sign-in form (the console's) checks a key pair: the same
// keys that sign API requests, compared in constant time. It fails with
// ErrUnknownKey or ErrWrongSecret, whose messages hold neither the id nor
// the secret. The Key returned has no secret, as Verify's.
func (ks Keys) Check(id, secret string) (Key, error) {
	e := ks.byID[id]
	if e == nil {
		return Key{}, ErrUnknownKey
	}
	if subtle.ConstantTimeCompare(e.secret[len("AWS4"):], []byte(secret)) != 1 {
		return Key{}, ErrWrongSecret
	}
	return e.key, nil
}

// Len returns the number of keys in the set.
func (ks Keys) Len() int { return len(ks.byID) }

// checkKeyID says what is wrong with an access key id, if anything,
// without quoting it: an invalid id may be a secret in the wrong field.
func checkKeyID(id string) error {
	if len(id) < minKeyIDLen || len(id) > maxKeyIDLen {
		return fmt.Errorf("access key id must be %d to %d characters long, not %d", minKeyIDLen, maxKeyIDLen, len(id))
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return fmt.Errorf("access key id may only hold A-Z and 0-9 (byte %d does not)", i)
		}
	}
	return nil
}

// checkSecret says what is wrong with a secret, if anything, without
// quoting it.
func checkSecret(secret string) error {
	if len(secret) < minSecretLen || len(secret) > maxSecretLen {
		return fmt.Errorf("secret access key must be %d to %d characters long, not %d", minSecretLen, maxSecretLen, len(secret))
	}
	for i := 0; i < len(secret); i++ {
		if c := secret[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("secret access key may only hold printable ASCII characters other than space (byte %d is not)", i)
		}
	}
	return nil
}

// signingKey returns the SigV4 signing key for the scope, from the cache
// when the scope is the last one used. The result is shared: read it only.
func (e *entry) signingKey(date, region, service string) *signingKey {
	if c := e.derived.Load(); c != nil && c.date == date && c.region == region && c.service == service {
		return c
	}
	c := &signingKey{
		// Clone: the arguments are slices of a request's header, which
		// the cache must not keep alive.
		date:    strings.Clone(date),
		region:  strings.Clone(region),
		service: strings.Clone(service),
	}
	k := hmacSHA256(e.secret, date)
	k = hmacSHA256(k[:], region)
	k = hmacSHA256(k[:], service)
	c.key = hmacSHA256(k[:], terminator)
	c.mac = hmac.New(sha256.New, c.key[:])
	e.derived.Store(c)
	return c
}

// hmacSHA256 returns HMAC-SHA256(key, data).
func hmacSHA256(key []byte, data string) [sha256.Size]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	return sum
}
