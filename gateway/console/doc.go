// Package console is Flint's web console: pages, served by the gateway at
// /console/, to see and drive a server in a browser — the functions and
// their figures over the last hour, one function's configuration,
// versions and aliases (and changing them), a test page that invokes a
// function with saved test events and shows its response and log, a live
// log, monitoring charts, the asynchronous queue and its dead letters,
// usage priced as AWS Lambda would price it, and deploying by upload.
//
// Pages are rendered on the server with html/template from files embedded
// in the binary; charts are SVG drawn on the server; the only script is
// the live log's (static/console.js, a few dozen lines). Nothing is
// fetched from elsewhere, and no Node toolchain is involved.
//
// # Access
//
// A browser signs in with an access key and its secret, checked against
// the server's keys (auth.Keys.Check), and gets a session: an HttpOnly,
// SameSite=Strict cookie (Secure over TLS) that ends after
// Options.SessionTTL. Every state-changing request carries the session's
// CSRF token. Without keys (the loopback-only open mode) every browser is
// an admin, as every API request is, but still gets a session and its
// token, and the console answers only requests whose Host is a loopback
// name (a DNS-rebinding page cannot reach it).
//
// A session sees no more than its key could through the API: an admin key
// everything; another key the functions and their figures (which /metrics
// shows anyone) and the test page of the functions whose invoke policy
// grants it. Changes run through the server's own API operations
// in-process (Config.API), so they are authorised and validated by the
// same code, and fail with the same messages, as API requests.
//
// Every page sends a strict Content-Security-Policy (no inline script or
// style, nothing from another origin), and everything a function controls
// — its description, environment, response, error and log — is escaped
// by html/template or set as text by the script.
//
// # Figures
//
// The console samples the engine's counters (engine.Metrics) every
// Options.HistoryStep into a bounded history per function: at most
// Options.HistoryPoints points (an hour of 10-second steps by default).
// Mappings and schedules appear when Options.Sources is set.
package console
