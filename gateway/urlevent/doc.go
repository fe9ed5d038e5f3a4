// Package urlevent converts between HTTP requests and responses and the
// JSON that Lambda function URLs exchange with a function: Event turns a
// request into an API Gateway HTTP API payload format 2.0 event, and
// ParseResponse turns the function's response payload into an HTTP
// response. It is pure conversion: no server, no I/O, no clock.
//
// The formats are the ones documented for Lambda function URLs in "Invoking
// Lambda function URLs", section "Request and response payloads"
// (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads),
// which defers to API Gateway's payload format version 2.0
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
//
// # The event
//
// Event writes the members a function URL sends, in the documented order:
//
//   - version "2.0" and routeKey "$default";
//   - rawPath: the path as received, still percent-encoded ("/a%20b"), as
//     function URLs send it (API Gateway HTTP APIs decode it; function URLs,
//     like REST APIs and ALB, do not); requestContext.http.path is the same;
//   - rawQueryString: the query as received, without "?";
//   - cookies: the cookies of every Cookie header, one element per
//     "name=value" pair (the header split at ";", spaces trimmed); omitted
//     when there are none. The Cookie headers are not repeated in headers;
//   - headers: every other header, names in lower case, the values of a
//     repeated name joined with "," in the order received; "host" from
//     Request.Host when no Host header is given. Names are sorted, so the
//     event for a request is always the same bytes;
//   - queryStringParameters: the query's parameters, names and values
//     decoded as a form ("+" is a space, "%XX" a byte; a malformed escape
//     is kept as received), the values of a repeated name joined with ","
//     in order; omitted when there are none;
//   - requestContext: accountId ("anonymous" unless set, as for a function
//     URL whose auth type is NONE), apiId (the URL id), authorizer.iam for
//     AWS_IAM callers (omitted otherwise), domainName, domainPrefix (the
//     domain name's first label, without a port; an IP address whole),
//     http {method, path, protocol, sourceIp, userAgent}, requestId,
//     routeKey and stage "$default", time ("07/Sep/2021:22:50:22 +0000",
//     UTC) and timeEpoch (Unix milliseconds);
//   - body and isBase64Encoded: see below; a request without a body has no
//     body member and isBase64Encoded false.
//
// The members that function URLs set to null or leave out
// (requestContext.authentication, pathParameters, stageVariables) are left
// out. Strings are valid JSON whatever the request holds: bytes that are
// not UTF-8 become U+FFFD, as encoding/json writes them.
//
// # Text and binary bodies
//
// Lambda base64-encodes a body unless it is text. The rule here, which the
// Go guest SDK's package httpguest applies to responses through the same
// code (the module's internal/mediatype), is: a body is sent as a JSON
// string when its Content-Type is text and the body is valid UTF-8, and
// base64-encoded (isBase64Encoded true) otherwise. Text content
// types are text/*, application/json, application/javascript,
// application/ecmascript, application/xml, application/x-www-form-urlencoded,
// application/graphql, application/yaml, application/x-yaml,
// application/x-ndjson, and any application/*+json or application/*+xml
// (application/problem+json, image/svg+xml is not: it is image/*).
// Parameters such as charset are ignored, and so is case. A body without a
// Content-Type is binary.
//
// # The response
//
// ParseResponse follows Lambda's inference: a payload that is a JSON
// object with a "statusCode" member is a structured response; any other
// valid JSON (a string, a number, an array, an object without statusCode)
// is sent as is, with status 200 and content-type application/json. Two
// cases the documentation does not cover are decided here:
//
//   - a payload that is not valid JSON is an error (the gateway answers
//     502), as API Gateway treats a malformed Lambda response, because the
//     documented inference applies only to valid JSON;
//   - an empty payload is a 200 with an empty body and no content-type
//     (Lambda's runtimes never send one; a Flint guest may).
//
// A structured response has statusCode (an integer from 200 to 599: a 1xx
// is not a final response and cannot be sent as one), headers (an object
// of strings; numbers and booleans are taken as their JSON text, null
// members are skipped), cookies (an array of strings, each sent as a
// Set-Cookie header), body (a string) and isBase64Encoded (a boolean: the
// body is then standard base64, decoded before it is sent). Every member
// but statusCode may be absent or null. Other members are ignored; in
// particular multiValueHeaders, which function URLs do not support. Member
// names are matched exactly (case-sensitive), and a repeated one takes its
// last value (a header named twice in headers is kept twice, in order).
//
// A structured response that breaks these rules, or whose header names are
// not HTTP tokens or whose header values or cookies hold control
// characters (CR and LF would let a function inject headers), is a
// *ResponseError matching ErrInvalidResponse; its message says what to fix.
package urlevent
