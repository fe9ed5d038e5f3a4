package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"sync"

	"github.com/flintfaas/flint/engine"
)

// Invoke-policy actions.
const (
	actionInvoke    = "lambda:InvokeFunction"
	actionInvokeURL = "lambda:InvokeFunctionUrl"
	actionAll       = "lambda:*"
)

// permission is one statement of a function's invoke policy (Lambda's
// resource-based policy, managed with AddPermission).
type permission struct {
	Sid       string `json:"sid"`
	Action    string `json:"action"`
	Principal string `json:"principal"` // "*", an access key id, or the account id (every key)
	Qualifier string `json:"qualifier,omitempty"`
	AuthType  string `json:"authType,omitempty"` // FunctionUrlAuthType condition
	SourceArn string `json:"sourceArn,omitempty"`
}

// The engine extension keys the gateway keeps with a function.
const (
	extPermissions = "gateway.permissions"
	extURLs        = "gateway.urls"
)

// extCache decodes a function's extension once and reuses the value while
// the engine returns the same bytes: the invoke path reads permissions and
// URL settings on every request.
type extCache[T any] struct {
	mu sync.RWMutex
	m  map[string]cachedExt[T]
}

type cachedExt[T any] struct {
	raw json.RawMessage
	val T
}

func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func (c *extCache[T]) get(eng *engine.Engine, function, key string) (T, error) {
	var zero T
	raw, err := eng.Extension(function, key)
	if err != nil {
		return zero, err
	}
	c.mu.RLock()
	e, ok := c.m[function]
	c.mu.RUnlock()
	if ok && sameBytes(e.raw, raw) {
		return e.val, nil
	}
	var v T
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			return zero, err
		}
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedExt[T]{}
	}
	c.m[function] = cachedExt[T]{raw: raw, val: v}
	c.mu.Unlock()
	return v, nil
}

// permits reports whether the invoke policy of f lets principal (an access
// key id; "" for an anonymous function URL caller) perform action.
func (g *Gateway) permits(f fnRef, principal, action, authType string) bool {
	perms, err := g.perms.get(g.eng, f.name, extPermissions)
	if err != nil {
		return false
	}
	for _, p := range perms {
		switch {
		case p.Action != action && p.Action != actionAll:
		case p.Qualifier != "" && p.Qualifier != f.qualifier:
		case p.AuthType != "" && authType != "" && p.AuthType != authType:
		case p.Principal == "*",
			principal != "" && (p.Principal == principal || p.Principal == g.cfg.AccountID):
			return true
		}
	}
	return false
}

var sidRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)

// addPermissionInput is AddPermission's body.
type addPermissionInput struct {
	StatementID           string `json:"StatementId"`
	Action                string `json:"Action"`
	Principal             string `json:"Principal"`
	SourceArn             string `json:"SourceArn"`
	SourceAccount         string `json:"SourceAccount"`
	EventSourceToken      string `json:"EventSourceToken"`
	RevisionID            string `json:"RevisionId"`
	PrincipalOrgID        string `json:"PrincipalOrgID"`
	FunctionURLAuthType   string `json:"FunctionUrlAuthType"`
	InvokedViaFunctionURL *bool  `json:"InvokedViaFunctionUrl"`
}

func (g *Gateway) addPermission(c *call, f fnRef) error {
	var in addPermissionInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	switch {
	case !sidRE.MatchString(in.StatementID):
		return invalidParam("StatementId %q: use 1 to 100 letters, digits, hyphens or underscores", in.StatementID)
	case in.Action != actionInvoke && in.Action != actionInvokeURL && in.Action != actionAll:
		return invalidParam("Action %q: use %s, %s or %s", in.Action, actionInvoke, actionInvokeURL, actionAll)
	case in.Principal == "":
		return invalidParam("Principal is required: \"*\", an access key id, or the account id %s", g.cfg.AccountID)
	case in.FunctionURLAuthType != "" && in.FunctionURLAuthType != "NONE" && in.FunctionURLAuthType != "AWS_IAM":
		return invalidParam("FunctionUrlAuthType %q: use NONE or AWS_IAM", in.FunctionURLAuthType)
	}
	p := permission{Sid: in.StatementID, Action: in.Action, Principal: in.Principal, Qualifier: f.qualifier,
		AuthType: in.FunctionURLAuthType, SourceArn: in.SourceArn}
	if _, err := g.eng.Function(f.target()); err != nil {
		return err
	}
	err := g.updatePermissions(c, f.name, func(perms []permission) ([]permission, error) {
		if slices.ContainsFunc(perms, func(q permission) bool { return q.Sid == p.Sid }) {
			return nil, apiErr("ResourceConflictException", "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", p.Sid)
		}
		return append(perms, p), nil
	})
	if err != nil {
		return err
	}
	stmt, _ := json.Marshal(g.statement(f.name, p))
	writeJSON(c.ctx, http.StatusCreated, map[string]string{"Statement": string(stmt)})
	return nil
}

func (g *Gateway) updatePermissions(c *call, function string, change func([]permission) ([]permission, error)) error {
	g.permMu.Lock()
	defer g.permMu.Unlock()
	perms, err := g.perms.get(g.eng, function, extPermissions)
	if err != nil {
		return err
	}
	perms, err = change(slices.Clone(perms))
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if len(perms) > 0 {
		if raw, err = json.Marshal(perms); err != nil {
			return err
		}
	}
	return g.eng.SetExtension(c.ctx, function, extPermissions, raw)
}

func (g *Gateway) removePermission(c *call, f fnRef, sid string) error {
	err := g.updatePermissions(c, f.name, func(perms []permission) ([]permission, error) {
		i := slices.IndexFunc(perms, func(p permission) bool { return p.Sid == sid && p.Qualifier == f.qualifier })
		if i < 0 {
			return nil, apiErr("ResourceNotFoundException", "The statement id (%s) provided does not exist", sid)
		}
		return slices.Delete(perms, i, i+1), nil
	})
	if err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// statement renders a permission as an IAM policy statement, as GetPolicy
// and AddPermission return it.
func (g *Gateway) statement(function string, p permission) map[string]any {
	s := map[string]any{
		"Sid":      p.Sid,
		"Effect":   "Allow",
		"Action":   p.Action,
		"Resource": g.functionArn(function, p.Qualifier),
	}
	if p.Principal == "*" {
		s["Principal"] = "*"
	} else {
		s["Principal"] = map[string]string{"AWS": p.Principal}
	}
	cond := map[string]any{}
	if p.AuthType != "" {
		cond["StringEquals"] = map[string]string{"lambda:FunctionUrlAuthType": p.AuthType}
	}
	if p.SourceArn != "" {
		cond["ArnLike"] = map[string]string{"AWS:SourceArn": p.SourceArn}
	}
	if len(cond) > 0 {
		s["Condition"] = cond
	}
	return s
}

func (g *Gateway) getPolicy(c *call, f fnRef) error {
	if _, err := g.eng.Function(f.target()); err != nil {
		return err
	}
	perms, err := g.perms.get(g.eng, f.name, extPermissions)
	if err != nil {
		return err
	}
	var stmts []map[string]any
	for _, p := range perms {
		if p.Qualifier == f.qualifier {
			stmts = append(stmts, g.statement(f.name, p))
		}
	}
	if len(stmts) == 0 {
		return apiErr("ResourceNotFoundException", "The resource you requested does not exist.")
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": stmts})
	info, _ := g.eng.Function(f.target())
	writeJSON(c.ctx, http.StatusOK, map[string]string{"Policy": string(bytes.TrimSpace(doc)), "RevisionId": info.RevisionID})
	return nil
}

var errNoURL = errors.New("no function URL")
