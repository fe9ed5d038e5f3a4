package gateway

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine"
)

// apiError is an error the gateway sends the way Lambda does: an HTTP
// status, the error type in the X-Amzn-ErrorType header (which the AWS
// SDKs turn into their typed exceptions) and a JSON body with the message.
type apiError struct {
	Status  int
	Code    string
	Message string
	Reason  string // TooManyRequestsException's reason
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// statusOf gives the HTTP status Lambda sends each error code with: one
// table, as the SDKs expect them.
func statusOf(code string) int {
	switch code {
	case "InvalidParameterValueException", "InvalidRequestContentException",
		"IncompleteSignatureException", "CodeStorageExceededException":
		return http.StatusBadRequest
	case "AccessDeniedException", "UnrecognizedClientException",
		"InvalidSignatureException", "MissingAuthenticationTokenException":
		return http.StatusForbidden
	case "ResourceNotFoundException", "UnknownOperationException", "ProvisionedConcurrencyConfigNotFoundException":
		return http.StatusNotFound
	case "MethodNotAllowedException":
		return http.StatusMethodNotAllowed
	case "ResourceConflictException":
		return http.StatusConflict
	case "PreconditionFailedException":
		return http.StatusPreconditionFailed
	case "RequestTooLargeException":
		return http.StatusRequestEntityTooLarge
	case "UnsupportedMediaTypeException":
		return http.StatusUnsupportedMediaType
	case "RequestHeaderFieldsTooLargeException": // Flint's: the server's header limit
		return http.StatusRequestHeaderFieldsTooLarge
	case "RequestTimeoutException": // Flint's: the server's ReadTimeout
		return http.StatusRequestTimeout
	case "TooManyRequestsException":
		return http.StatusTooManyRequests
	case "ServiceUnavailableException":
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func apiErr(code, format string, args ...any) *apiError {
	return &apiError{Status: statusOf(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidParam(format string, args ...any) *apiError {
	return apiErr("InvalidParameterValueException", format, args...)
}

// fromEngine maps an engine error to Lambda's error type.
func fromEngine(err error) *apiError {
	var ae *apiError
	var ve *policy.ValidationError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, engine.ErrFunctionNotFound):
		return apiErr("ResourceNotFoundException", "%v", err)
	case errors.Is(err, engine.ErrConflict):
		return apiErr("ResourceConflictException", "%v", err)
	case errors.Is(err, engine.ErrInvalidFunction), errors.Is(err, engine.ErrInvalidModule),
		errors.Is(err, engine.ErrInitFailed), errors.As(err, &ve):
		return apiErr("InvalidParameterValueException", "%v", err)
	case errors.Is(err, engine.ErrPayloadTooLarge):
		return apiErr("RequestTooLargeException", "%v", err)
	case errors.Is(err, engine.ErrThrottled):
		e := apiErr("TooManyRequestsException", "Rate Exceeded. %v", err)
		e.Reason = "ReservedFunctionConcurrentInvocationLimitExceeded"
		return e
	case errors.Is(err, engine.ErrClosed):
		return apiErr("ServiceUnavailableException", "the server is shutting down")
	}
	return apiErr("ServiceException", "%v", err)
}
