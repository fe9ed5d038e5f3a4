package auth

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors of Verify. Match them with errors.Is; Verify returns an
// *Error that unwraps to one of them and carries the AWS error code and
// HTTP status the gateway sends (see the table in errorCodes).
var (
	// ErrMissing: the request has neither an Authorization header nor
	// presigned-URL query parameters.
	ErrMissing = errors.New("auth: missing authentication")
	// ErrMalformed: the Authorization header or the presigned-URL
	// parameters cannot be read, name another algorithm, leave out host or
	// x-amz-date from the signed headers, or disagree with X-Amz-Date.
	ErrMalformed = errors.New("auth: malformed signature")
	// ErrUnknownKey: the access key id in the credential is not one of
	// the verifier's keys.
	ErrUnknownKey = errors.New("auth: unknown access key")
	// ErrBadSignature: the signature is not the one the request and the
	// key's secret give, or it is scoped to a service the verifier does
	// not serve.
	ErrBadSignature = errors.New("auth: signature does not match")
	// ErrExpired: X-Amz-Date is further from now than the allowed clock
	// skew, or a presigned URL is past its X-Amz-Expires.
	ErrExpired = errors.New("auth: signature expired")
	// ErrBodyMismatch: x-amz-content-sha256 is not the SHA-256 of the
	// body, or it announces an unsigned or streaming payload, which Flint
	// does not accept.
	ErrBodyMismatch = errors.New("auth: payload hash mismatch")
)

// Sentinel errors of NewKeys and LoadCredentialsFile.
var (
	// ErrInvalidKey: an access key id or secret has the wrong form.
	ErrInvalidKey = errors.New("auth: invalid access key")
	// ErrDuplicateKey: two keys have the same access key id.
	ErrDuplicateKey = errors.New("auth: duplicate access key id")
	// ErrSyntax: a credentials file is not in the documented format.
	ErrSyntax = errors.New("auth: credentials file syntax error")
)

// ErrWrongSecret is Check's failure for a known access key id given with
// a secret that is not its secret (an unknown id is ErrUnknownKey).
var ErrWrongSecret = errors.New("auth: wrong secret access key")

// errorCode is one row of the table below: what a sentinel becomes on the
// wire.
type errorCode struct {
	err    error
	code   string
	status int
}

// errorCodes is the one place Verify's failures meet AWS's error codes and
// HTTP statuses, the ones Lambda sends for the same failures (so the SDKs
// raise the exceptions their users already handle). It is never written.
var errorCodes = [...]errorCode{
	{ErrMissing, "MissingAuthenticationTokenException", http.StatusForbidden},
	{ErrMalformed, "IncompleteSignatureException", http.StatusBadRequest},
	{ErrUnknownKey, "UnrecognizedClientException", http.StatusForbidden},
	{ErrBadSignature, "InvalidSignatureException", http.StatusForbidden},
	{ErrExpired, "InvalidSignatureException", http.StatusForbidden},
	{ErrBodyMismatch, "InvalidSignatureException", http.StatusForbidden},
}

// Error is why Verify refused a request, in the shape the gateway sends it:
// Code goes in the X-Amzn-ErrorType header, Status is the HTTP status and
// Message the body's message. It unwraps to one of ErrMissing,
// ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrExpired or
// ErrBodyMismatch. The message never contains a secret.
type Error struct {
	// Code is the AWS error code ("InvalidSignatureException").
	Code string
	// Status is the HTTP status to answer with (403, or 400 for
	// IncompleteSignatureException).
	Status int
	// Message says what was wrong, worded as AWS words it where AWS has
	// wording, so that client-side tooling and searches recognise it.
	Message string

	err error
}

// Error returns "Code: Message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the sentinel error the failure is an instance of.
func (e *Error) Unwrap() error { return e.err }

// newError returns an *Error for the sentinel err, with the code and
// status the table gives it.
func newError(err error, format string, args ...any) *Error {
	for _, c := range errorCodes {
		if c.err == err {
			return &Error{Code: c.code, Status: c.status, Message: fmt.Sprintf(format, args...), err: err}
		}
	}
	// Unreachable: every sentinel passed here is in the table.
	return &Error{Code: "InternalFailure", Status: http.StatusInternalServerError, Message: fmt.Sprintf(format, args...), err: err}
}

// LineError reports what is wrong on one line of a credentials file. It
// unwraps to ErrSyntax, ErrInvalidKey or ErrDuplicateKey.
type LineError struct {
	// File is the file's path as given to LoadCredentialsFile.
	File string
	// Line is the 1-based line number.
	Line int
	// Msg says what is wrong and what is expected instead.
	Msg string

	err error
}

// Error returns "auth: FILE:LINE: MSG".
func (e *LineError) Error() string { return fmt.Sprintf("auth: %s:%d: %s", e.File, e.Line, e.Msg) }

// Unwrap returns the sentinel error the failure is an instance of.
func (e *LineError) Unwrap() error { return e.err }
