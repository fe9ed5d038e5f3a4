package store

import (
	"fmt"
	"strconv"
	"time"
)

// The checks below are the rules every Store applies to what it is given,
// exported so that a Store implemented outside this package (jsstore, on
// NATS JetStream) refuses exactly what these refuse, with the same errors.

// CheckName reports whether name is a valid bucket or queue name: 1 to
// MaxNameBytes characters from [A-Za-z0-9_.-/] (ErrInvalidName otherwise).
func CheckName(name string) error {
	if name == "" || len(name) > MaxNameBytes {
		return fmt.Errorf("%w: %q: a name is 1 to %d characters", ErrInvalidName, truncate(name), MaxNameBytes)
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return fmt.Errorf("%w: %q: character %q at %d is not one of [A-Za-z0-9_.-/]", ErrInvalidName, truncate(name), name[i], i)
		}
	}
	return nil
}

func nameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '_' || c == '.' || c == '-' || c == '/'
}

// CheckKey reports whether key is a valid Bucket key: ErrInvalidKey when
// it is empty, ErrTooLarge when it is over MaxKeyBytes.
func CheckKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: a key is at least 1 byte", ErrInvalidKey)
	}
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("%w: key is %d bytes, the limit is %d", ErrTooLarge, len(key), MaxKeyBytes)
	}
	return nil
}

// CheckValue reports whether value fits in a Bucket (ErrTooLarge over
// MaxValueBytes).
func CheckValue(value []byte) error {
	if len(value) > MaxValueBytes {
		return fmt.Errorf("%w: value is %d bytes, the limit is %d", ErrTooLarge, len(value), MaxValueBytes)
	}
	return nil
}

// CheckList validates List's arguments and returns the limit to use: the
// given one, lowered to MaxListKeys.
func CheckList(prefix, after string, limit int) (int, error) {
	if limit < 1 {
		return 0, fmt.Errorf("%w: list limit %d, want at least 1", ErrInvalidArgument, limit)
	}
	if len(prefix) > MaxKeyBytes {
		return 0, fmt.Errorf("%w: prefix is %d bytes, the limit is %d", ErrTooLarge, len(prefix), MaxKeyBytes)
	}
	if len(after) > MaxKeyBytes {
		return 0, fmt.Errorf("%w: after is %d bytes, the limit is %d", ErrTooLarge, len(after), MaxKeyBytes)
	}
	return min(limit, MaxListKeys), nil
}

// CheckBody reports whether body fits in a queue message (ErrTooLarge over
// MaxMessageBytes).
func CheckBody(body []byte) error {
	if len(body) > MaxMessageBytes {
		return fmt.Errorf("%w: message body is %d bytes, the limit is %d", ErrTooLarge, len(body), MaxMessageBytes)
	}
	return nil
}

// CheckLease reports whether lease is a usable lease duration
// (ErrInvalidArgument unless it is positive).
func CheckLease(lease time.Duration) error {
	if lease <= 0 {
		return fmt.Errorf("%w: lease %v, want a positive duration", ErrInvalidArgument, lease)
	}
	return nil
}

// digestLen is the length of a hex SHA-256 digest.
const digestLen = 64

// CheckDigest reports whether digest is a lowercase hex SHA-256 digest
// (ErrInvalidDigest otherwise). It is what keeps a digest from naming a
// path outside the blob directory, so it admits nothing but [0-9a-f]{64}.
func CheckDigest(digest string) error {
	if len(digest) != digestLen {
		return fmt.Errorf("%w: %q is %d characters, want %d lowercase hex", ErrInvalidDigest, truncate(digest), len(digest), digestLen)
	}
	for i := 0; i < len(digest); i++ {
		c := digest[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("%w: %q: character %q at %d is not lowercase hex", ErrInvalidDigest, truncate(digest), c, i)
		}
	}
	return nil
}

// idLen is the length of a message ID: a 64-bit sequence number in hex.
const idLen = 16

// FormatID returns the ID of the message with sequence number seq: 16
// lowercase hex digits, so that IDs sort as their sequence numbers do.
func FormatID(seq uint64) string {
	const hex = "0123456789abcdef"
	var b [idLen]byte
	for i := idLen - 1; i >= 0; i-- {
		b[i] = hex[seq&0xf]
		seq >>= 4
	}
	return string(b[:])
}

// ParseID returns the sequence number an ID names. Anything FormatID did
// not produce, and sequence number 0, is ErrNotFound: no message has that
// ID.
func ParseID(id string) (uint64, error) {
	if len(id) != idLen {
		return 0, fmt.Errorf("%w: message %q", ErrNotFound, truncate(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return 0, fmt.Errorf("%w: message %q", ErrNotFound, truncate(id))
		}
	}
	seq, err := strconv.ParseUint(id, 16, 64)
	if err != nil || seq == 0 {
		return 0, fmt.Errorf("%w: message %q", ErrNotFound, truncate(id))
	}
	return seq, nil
}

// truncate shortens hostile input before it goes into an error message.
func truncate(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// notFound is ErrNotFound for the message id.
func notFound(id string) error {
	return fmt.Errorf("%w: message %s", ErrNotFound, id)
}
