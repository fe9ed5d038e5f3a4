package engine

import "github.com/flintfaas/flint/internal/uuid"

// NewRequestID returns a new request id: a random (version 4) UUID, the
// form of Lambda's request ids.
func NewRequestID() string { return uuid.New() }
