package gateway

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/eventsource"
	"github.com/flintfaas/flint/schedule"
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

// errorCodes is every error type the gateway answers with: the HTTP status
// Lambda sends it with, and when Flint sends it. One table, so that a code
// cannot be sent with two statuses. A code not in it is a 500.
var errorCodes = map[string]struct {
	status int
	when   string
}{
	"InvalidParameterValueException":                {http.StatusBadRequest, "a parameter is missing, malformed or out of range"},
	"InvalidRequestContentException":                {http.StatusBadRequest, "the body is not the JSON the operation takes"},
	"IncompleteSignatureException":                  {http.StatusBadRequest, "the Authorization header lacks a part of a signature"},
	"CodeStorageExceededException":                  {http.StatusBadRequest, "the code is over the store's limit"},
	"AccessDeniedException":                         {http.StatusForbidden, "the key may not perform the operation"},
	"UnrecognizedClientException":                   {http.StatusForbidden, "the access key is not one of the server's"},
	"InvalidSignatureException":                     {http.StatusForbidden, "the signature does not match the request"},
	"MissingAuthenticationTokenException":           {http.StatusForbidden, "the request is not signed"},
	"ResourceNotFoundException":                     {http.StatusNotFound, "no function, version, alias, policy, URL or dead letter by that name"},
	"UnknownOperationException":                     {http.StatusNotFound, "no operation has that path"},
	"ProvisionedConcurrencyConfigNotFoundException": {http.StatusNotFound, "the qualifier has no provisioned concurrency"},
	"MethodNotAllowedException":                     {http.StatusMethodNotAllowed, "the path's operations take another method"},
	"ResourceConflictException":                     {http.StatusConflict, "the resource exists, or is in use"},
	"PreconditionFailedException":                   {http.StatusPreconditionFailed, "the RevisionId is not the current one"},
	"RequestTooLargeException":                      {http.StatusRequestEntityTooLarge, "a body or payload is over its limit"},
	"UnsupportedMediaTypeException":                 {http.StatusUnsupportedMediaType, "the body is not JSON"},
	"RequestHeaderFieldsTooLargeException":          {http.StatusRequestHeaderFieldsTooLarge, "Flint's: the headers are over the server's limit"},
	"RequestTimeoutException":                       {http.StatusRequestTimeout, "Flint's: the request did not arrive within ReadTimeout"},
	"TooManyRequestsException":                      {http.StatusTooManyRequests, "a concurrency limit was reached"},
	"ServiceUnavailableException":                   {http.StatusServiceUnavailable, "the server is shutting down, or a cluster's node cannot reach the state the nodes share (it refuses changes until it can)"},
	"ServiceException":                              {http.StatusInternalServerError, "Flint failed"},
	// The EventBridge Scheduler API's.
	"ValidationException":     {http.StatusBadRequest, "Scheduler: a field is missing, malformed or out of range"},
	"ConflictException":       {http.StatusConflict, "Scheduler: the schedule or group exists already"},
	"InternalServerException": {http.StatusInternalServerError, "Scheduler: Flint failed"},
}

// statusOf gives the HTTP status Lambda sends an error code with.
func statusOf(code string) int {
	if e, ok := errorCodes[code]; ok {
		return e.status
	}
	return http.StatusInternalServerError
}

func apiErr(code, format string, args ...any) *apiError {
	return &apiError{Status: statusOf(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidParam(format string, args ...any) *apiError {
	return apiErr("InvalidParameterValueException", format, args...)
}

// engineErrors maps the engine's and the event sources' sentinel errors to
// Lambda's error codes, first match first.
var engineErrors = [...]struct {
	err  error
	code string
}{
	{engine.ErrFunctionNotFound, "ResourceNotFoundException"},
	{engine.ErrDeadLetterNotFound, "ResourceNotFoundException"},
	{engine.ErrConflict, "ResourceConflictException"},
	{engine.ErrInvalidFunction, "InvalidParameterValueException"},
	{engine.ErrInvalidModule, "InvalidParameterValueException"},
	{engine.ErrInitFailed, "InvalidParameterValueException"},
	{engine.ErrPayloadTooLarge, "RequestTooLargeException"},
	{engine.ErrThrottled, "TooManyRequestsException"},
	{engine.ErrClosed, "ServiceUnavailableException"},
	{store.ErrUnavailable, "ServiceUnavailableException"},
	{schedule.ErrNotFound, "ResourceNotFoundException"},
	{schedule.ErrConflict, "ConflictException"},
	{schedule.ErrInvalid, "ValidationException"},
	{schedule.ErrClosed, "ServiceUnavailableException"},
	{eventsource.ErrNotFound, "ResourceNotFoundException"},
	{eventsource.ErrFunctionNotFound, "ResourceNotFoundException"},
	{eventsource.ErrStreamNotFound, "InvalidParameterValueException"},
	{eventsource.ErrInvalid, "InvalidParameterValueException"},
	{eventsource.ErrConflict, "ResourceConflictException"},
	{eventsource.ErrClosed, "ServiceUnavailableException"},
}

// fromEngine maps an error to the apiError the gateway answers with.
func fromEngine(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ve *policy.ValidationError
	if errors.As(err, &ve) {
		return apiErr("InvalidParameterValueException", "%v", err)
	}
	for _, m := range engineErrors {
		if !errors.Is(err, m.err) {
			continue
		}
		switch m.code {
		case "TooManyRequestsException":
			e := apiErr(m.code, "Rate Exceeded. %v", err)
			e.Reason = "ReservedFunctionConcurrentInvocationLimitExceeded"
			return e
		case "ServiceUnavailableException":
			if errors.Is(err, store.ErrUnavailable) {
				return apiErr(m.code, "this node cannot reach the state the cluster's nodes share, so it refuses changes until it can (invocations go on): %v", err)
			}
			return apiErr(m.code, "the server is shutting down")
		}
		return apiErr(m.code, "%v", err)
	}
	return apiErr("ServiceException", "%v", err)
}
