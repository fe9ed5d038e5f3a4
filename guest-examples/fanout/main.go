// Command fanout is a Flint function that invokes other functions: it
// sends one payload to each of several targets, one after the other, and
// gathers their responses.
//
//	{"targets":["echo","hello"],"payload":{"name":"ana"}}
//	-> {"results":{"echo":{"name":"ana"},"hello":{"message":"Hello, ana!"}}}
//
// A target is NAME, NAME:VERSION or NAME:ALIAS. Without "targets" the
// targets are the comma-separated FANOUT_TARGETS environment variable;
// without "payload" each target gets an empty payload. A response that is
// JSON is included as JSON, any other response as a JSON string. A target
// that fails is reported in place of its response, and the others still
// run:
//
//	{"results":{"fail":{"error":{"type":"ValidationError","message":"..."}},
//	            "nope":{"error":{"type":"Denied","message":"flint: fn:Invoke on fn:nope denied by the function's execution policy"}}}}
//
// Error types are the failed function's own (ValidationError,
// Runtime.Panic, Sandbox.Timedout, ...), or for a call that did not run it:
// Denied (the policy), NotFound (no such function), Limit (the chain of
// invocations is too deep), Unavailable (throttled), HostError (anything
// else). No targets at all is a handled error of type InvalidEvent.
//
// Invoking itself recurses until the host's depth limit (engine
// MaxInvokeDepth, 16 by default) stops it: deploy it as "fanout" with
// FANOUT_TARGETS=fanout and invoke it with an empty payload. Each level
// invokes the next with an empty payload, the deepest call is refused
// ({"error":{"type":"Limit",...}}), and the response nests one "results"
// per level above it.
//
// It needs fn:Invoke on each target, for example:
//
//	{"Version": "2026-11-01", "Statement": [
//	  {"Effect": "Allow", "Action": "fn:Invoke", "Resource": ["fn:echo", "fn:hello"]}]}
package main

import (
	"encoding/json"
	"errors"
	"os"
	"strings"

	"github.com/flintfaas/flint/abi/guest"
)

func main() {}

// Event is fanout's input.
type Event struct {
	Targets []string        `json:"targets"`
	Payload json.RawMessage `json:"payload"`
}

// Response is fanout's output: each target's response, or its error.
type Response struct {
	Results map[string]json.RawMessage `json:"results"`
}

// Failure is what a failed target's result holds.
type Failure struct {
	Error FailureDetail `json:"error"`
}

// FailureDetail is a failed target's error.
type FailureDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func init() {
	guest.HandleJSON(func(ctx guest.Context, ev Event) (Response, error) {
		targets := ev.Targets
		if len(targets) == 0 {
			targets = envTargets()
		}
		if len(targets) == 0 {
			return Response{}, &guest.Error{Type: "InvalidEvent", Message: `no targets: send {"targets":["fn1","fn2"],"payload":...} or set FANOUT_TARGETS`}
		}
		res := Response{Results: make(map[string]json.RawMessage, len(targets))}
		for _, target := range targets {
			out, err := guest.Invoke(ctx, target, ev.Payload)
			if err != nil {
				res.Results[target] = failure(err)
				continue
			}
			res.Results[target] = asJSON(out)
		}
		return res, nil
	})
}

// envTargets returns the targets listed in FANOUT_TARGETS.
func envTargets() []string {
	var targets []string
	for _, t := range strings.Split(os.Getenv("FANOUT_TARGETS"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			targets = append(targets, t)
		}
	}
	return targets
}

// asJSON returns out itself when it is JSON, else out as a JSON string.
func asJSON(out []byte) json.RawMessage {
	if len(out) > 0 && json.Valid(out) {
		return out
	}
	b, _ := json.Marshal(string(out))
	return b
}

// failure describes a target that failed.
func failure(err error) json.RawMessage {
	var (
		fnErr  *guest.Error
		denied *guest.DeniedError
		d      = FailureDetail{Type: "HostError", Message: err.Error()}
	)
	switch {
	case errors.As(err, &fnErr):
		d.Type = fnErr.Type
		d.Message = fnErr.Message
	case errors.As(err, &denied):
		d.Type = "Denied"
	case errors.Is(err, guest.ErrNotFound):
		d.Type = "NotFound"
	case errors.Is(err, guest.ErrLimit):
		d.Type = "Limit"
	case errors.Is(err, guest.ErrUnavailable):
		d.Type = "Unavailable"
	}
	b, _ := json.Marshal(Failure{Error: d})
	return b
}
