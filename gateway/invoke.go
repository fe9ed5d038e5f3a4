package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/flintfaas/flint/engine"
	"github.com/valyala/fasthttp"
)

// maxLogTail is how much of an invocation's log X-Amz-Log-Result carries.
const maxLogTail = 4 << 10

// invoke serves Invoke: RequestResponse, Event (202) and DryRun (204).
func (g *Gateway) invoke(c *call) error {
	f := c.fn
	ctx := c.ctx
	if !c.key.Admin && !g.permits(f, c.key.AccessKeyID, engine.ActionInvokeFunction, "") {
		return apiErr("AccessDeniedException", "User: %s is not authorized to perform: lambda:InvokeFunction on resource: %s because no resource-based policy allows it",
			c.key.AccessKeyID, g.functionArn(f.name, f.qualifier))
	}
	payload := ctx.PostBody()
	if len(payload) > 0 && !json.Valid(payload) {
		return apiErr("InvalidRequestContentException", "Could not parse request body into json: the payload must be JSON")
	}
	switch typ := string(ctx.Request.Header.Peek("X-Amz-Invocation-Type")); typ {
	case "", "RequestResponse":
		return g.invokeSync(c, f, payload)
	case "Event":
		id, err := g.eng.InvokeAsync(context.Background(), f.target(), payload)
		if err != nil {
			return err
		}
		c.setRequestID(id)
		ctx.SetStatusCode(http.StatusAccepted)
		return nil
	case "DryRun":
		if _, err := g.eng.Function(f.target()); err != nil {
			return err
		}
		ctx.SetStatusCode(http.StatusNoContent)
		return nil
	default:
		return invalidParam("X-Amz-Invocation-Type %q: use RequestResponse, Event or DryRun", typ)
	}
}

func (g *Gateway) invokeSync(c *call, f fnRef, payload []byte) error {
	ctx := c.ctx
	tail := false
	switch lt := string(ctx.Request.Header.Peek("X-Amz-Log-Type")); lt {
	case "", "None":
	case "Tail":
		tail = true
	default:
		return invalidParam("X-Amz-Log-Type %q: use None or Tail", lt)
	}
	// Not the request's context: a shutdown lets invocations in flight
	// finish rather than cancelling them.
	res, err := g.eng.Invoke(context.Background(), f.target(), payload)
	if err != nil {
		return err
	}
	c.setRequestID(res.RequestID)
	ctx.Response.Header.Set("X-Amz-Executed-Version", res.Version)
	if tail {
		ctx.Response.Header.Set("X-Amz-Log-Result", logTail(res.Log()))
	}
	writeResult(ctx, res)
	return nil
}

// writeResult writes a function's result as Lambda's Invoke does: the
// payload, or for a function error the X-Amz-Function-Error header and
// {"errorMessage", "errorType"}.
func writeResult(ctx *fasthttp.RequestCtx, res *engine.Result) {
	ctx.SetStatusCode(http.StatusOK)
	ctx.SetContentType("application/json")
	if fe := res.FunctionError; fe != nil {
		kind := "Handled"
		if fe.Unhandled {
			kind = "Unhandled"
		}
		ctx.Response.Header.Set("X-Amz-Function-Error", kind)
		b, _ := json.Marshal(map[string]string{"errorMessage": fe.Message, "errorType": fe.Type})
		ctx.SetBody(b)
		return
	}
	ctx.SetBody(res.Payload)
}

// logTail is the base64 of the last 4 KiB of a log.
func logTail(log []byte) string {
	if len(log) > maxLogTail {
		log = log[len(log)-maxLogTail:]
	}
	return base64.StdEncoding.EncodeToString(log)
}
