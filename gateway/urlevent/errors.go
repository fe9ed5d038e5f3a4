package urlevent

import "errors"

// Sentinel errors, matched with errors.Is.
var (
	// ErrInvalidRequest: Event was given a request it cannot describe (a
	// method that is not an HTTP token, a path that does not start with
	// "/"). The gateway answers 400.
	ErrInvalidRequest = errors.New("urlevent: invalid request")
	// ErrInvalidResponse: the function's response payload is not a valid
	// function URL response. The gateway answers 502 Bad Gateway, as Lambda
	// does, with the error's message.
	ErrInvalidResponse = errors.New("urlevent: invalid function response")
)

// RequestError is a request Event refuses: which Request field, and why.
// It matches ErrInvalidRequest.
type RequestError struct {
	Field  string // "Method", "RawPath"
	Reason string
}

// Error says which field is wrong and why.
func (e *RequestError) Error() string {
	return "urlevent: invalid request: " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidRequest.
func (e *RequestError) Is(target error) bool { return target == ErrInvalidRequest }

// ResponseError is a function response ParseResponse refuses: the member
// at fault ("statusCode", `headers["X-Name"]`, "cookies[1]", "body",
// "isBase64Encoded"; empty for the payload as a whole) and why. It matches
// ErrInvalidResponse.
type ResponseError struct {
	Member string
	Reason string
}

// Error says what is wrong with the response, for the 502 the gateway
// sends and the function's log.
func (e *ResponseError) Error() string {
	if e.Member == "" {
		return "invalid function URL response: " + e.Reason
	}
	return "invalid function URL response: " + e.Member + ": " + e.Reason
}

// Is reports whether target is ErrInvalidResponse.
func (e *ResponseError) Is(target error) bool { return target == ErrInvalidResponse }
