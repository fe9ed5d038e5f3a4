// Package auth verifies that HTTP requests are signed with AWS Signature
// Version 4 by one of a set of access keys, so that the gateway accepts
// the official AWS SDKs and CLI as they are.
//
// # Use
//
//	creds, err := auth.LoadCredentialsFile("/etc/flint/credentials") // or build []auth.Key
//	keys, err := auth.NewKeys(creds)
//	v := &auth.Verifier{Keys: keys}
//	key, err := v.Verify(auth.Request{Method: ..., Path: ..., RawQuery: ..., Host: ..., Header: ..., Body: ...})
//
// Verify returns the Key that signed the request (Admin says whether it
// may use the whole API) or an *Error carrying the AWS error code and
// HTTP status Lambda answers with: MissingAuthenticationTokenException,
// IncompleteSignatureException (400), UnrecognizedClientException or
// InvalidSignatureException (403). Its sentinels (ErrMissing,
// ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrExpired,
// ErrBodyMismatch) match with errors.Is.
//
// Request does not depend on a server library. With net/http, FromHTTP
// builds it. With fasthttp, Path must be URI().PathOriginal() (the path
// as sent, not the decoded Path()), RawQuery URI().QueryString(), Host
// Host(), and Header either an http.Header filled from VisitAll or, to
// avoid the copy, a HeaderFunc over RequestHeader.PeekAll.
//
// # What is checked
//
// The signature is recomputed from the request as received, following the
// SigV4 specification for every service but S3: the canonical URI is the
// path as sent, percent-encoded once more ("%24LATEST" is signed as
// "%2524LATEST"); the canonical query is every name=value pair encoded and
// sorted (a '+' reads as a space, as the gateway's query parser reads
// it); the canonical headers are the ones the client listed in
// SignedHeaders, values trimmed and runs of spaces collapsed, repeated
// headers joined by ','; the payload hash is always the SHA-256 of the
// body. Signatures are compared in constant time. Host and x-amz-date
// must be signed; X-Amz-Date must be within Verifier.MaxSkew (5 minutes)
// of the clock; the credential scope's date must be X-Amz-Date's; its
// region may be anything (Flint is one local endpoint) and its service
// one of Verifier.Services ("lambda", which the Lambda API and AWS_IAM
// function URLs both sign for). Presigned URLs (X-Amz-Signature and the
// rest in the query) are accepted the same way, until X-Amz-Expires (at
// most 7 days) runs out.
//
// Refused on purpose: unsigned and streaming payloads
// (x-amz-content-sha256: UNSIGNED-PAYLOAD or STREAMING-...), which S3
// accepts but Lambda's clients never send, because the body would then be
// unauthenticated; SigV4a (AWS4-ECDSA-P256-SHA256) and SigV2; a request
// with both an Authorization header and presigned parameters. Session
// tokens (X-Amz-Security-Token) are signed along like any header but not
// otherwise checked: Flint issues none, and the signature alone proves
// the holder of the key's secret.
//
// The canonical request is built here from the SigV4 specification and
// hashed with crypto/sha256 and crypto/hmac, rather than with the AWS
// SDK's v4.Signer, which cannot sign exactly the headers an arbitrary
// client listed; RATIONALE.md says why, and the tests use the SDK's signer
// as the reference.
//
// # Clients verified
//
// The tests verify requests signed by the AWS SDK for Go v2's v4.Signer
// (SignHTTP and PresignHTTP) and by its Lambda client against a loopback
// endpoint (ListFunctions, Invoke, GetFunction, CreateFunction,
// DeleteFunction), and requests captured byte for byte from the AWS CLI
// v1.45 (botocore 1.43, including a boto3 presigned URL) and the AWS SDK
// for JavaScript v3.1163 under testdata/clients.
//
// botocore removes "//", "." and ".." segments from the path before it
// signs, where the Go SDK signs the path as sent; Verify accepts either.
// botocore also collapses tabs inside header values where the Go SDK keeps
// them; Verify follows the Go SDK there (no Lambda client sends one).
package auth
