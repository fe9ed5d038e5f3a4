package guest

import "github.com/flintfaas/flint/abi/guest/internal/host"

// Invoke invokes another function synchronously and returns its response.
// target is NAME, NAME:VERSION or NAME:ALIAS; the policy must allow
// fn:Invoke on fn:TARGET. The call is bounded by this invocation's
// deadline.
//
// When the invoked function fails, the error is an *Error with its type
// and message (a handler that returns it passes the failure on unchanged).
// Other errors: a *DeniedError; a *HostError matching ErrNotFound (no
// such function), ErrLimit (the chain of invocations is too deep: a
// recursion loop) or ErrUnavailable (throttled).
func Invoke(_ Context, target string, payload []byte) ([]byte, error) {
	r := host.FnInvoke(host.String(target), uint32(len(target)), host.Bytes(payload), uint32(len(payload)))
	if r == -host.Function {
		raw, errno := host.Pending()
		if errno != 0 {
			return nil, &HostError{Call: "fn_invoke", Errno: host.Function}
		}
		return nil, decodeFunctionError(raw)
	}
	out, errno := host.Result(r)
	if errno != 0 {
		return nil, callError("fn_invoke", errno, "fn:Invoke", invokeResource(target))
	}
	return out, nil
}

// invokeResource is the resource fn_invoke is checked on.
func invokeResource(target string) string { return "fn:" + target }

// Config returns a named configuration value or secret provided by the
// operator. The policy must allow config:Get on config:NAME. A missing
// name is a *HostError matching ErrNotFound. The function's own
// environment variables need no policy: read them with os.Getenv.
func Config(name string) (string, error) {
	b, errno := host.Result(host.ConfigGet(host.String(name), uint32(len(name))))
	if errno != 0 {
		return "", callError("config_get", errno, "config:Get", configResource(name))
	}
	return string(b), nil
}

// configResource is the resource config_get is checked on.
func configResource(name string) string { return "config:" + name }
