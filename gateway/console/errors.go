package console

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrConfig: New was given a Config without a field it needs.
	ErrConfig = errors.New("console: incomplete configuration")
	// ErrClosed: the console was closed.
	ErrClosed = errors.New("console: closed")
)

// APIError is an API operation's failure as the API answers it: its HTTP
// status, Lambda's error type and the message. The console shows Type and
// Message as they are, so that a form's validation message is the API's.
type APIError struct {
	Status  int
	Type    string
	Message string
}

// Error returns "Type: Message".
func (e *APIError) Error() string { return e.Type + ": " + e.Message }

// pageError is a failure a page answers with its own status and message.
type pageError struct {
	status  int
	message string
}

func (e *pageError) Error() string { return e.message }

func notFound(format string, args ...any) error {
	return &pageError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &pageError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &pageError{http.StatusForbidden, fmt.Sprintf(format, args...)}
}
