package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"

	"github.com/flintfaas/flint/engine"
)

// permits reports whether the invoke policy of f lets a caller with
// access key principal ("" for an anonymous function URL caller) perform
// action. An account-id principal grants every key of the account.
func (g *Gateway) permits(f fnRef, principal, action, authType string) bool {
	s, err := g.eng.Settings(f.name)
	if err != nil {
		return false
	}
	return g.allows(s, f, principal, action, authType)
}

// allows is permits on settings s already read (a function URL request
// reads them once for its URL and its permission).
func (g *Gateway) allows(s engine.Settings, f fnRef, principal, action, authType string) bool {
	if principal == "" {
		return s.InvokePolicy.Allows(action, f.qualifier, authType)
	}
	return s.InvokePolicy.Allows(action, f.qualifier, authType, principal, g.cfg.AccountID)
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

func (g *Gateway) addPermission(c *call) error {
	f := c.fn
	var in addPermissionInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	switch {
	case !sidRE.MatchString(in.StatementID):
		return invalidParam("StatementId %q: use 1 to 100 letters, digits, hyphens or underscores", in.StatementID)
	case in.Action != engine.ActionInvokeFunction && in.Action != engine.ActionInvokeFunctionURL && in.Action != engine.ActionAll:
		return invalidParam("Action %q: use %s, %s or %s", in.Action, engine.ActionInvokeFunction, engine.ActionInvokeFunctionURL, engine.ActionAll)
	case in.Principal == "":
		return invalidParam("Principal is required: \"*\", an access key id, or the account id %s", g.cfg.AccountID)
	case in.FunctionURLAuthType != "" && in.FunctionURLAuthType != "NONE" && in.FunctionURLAuthType != "AWS_IAM":
		return invalidParam("FunctionUrlAuthType %q: use NONE or AWS_IAM", in.FunctionURLAuthType)
	}
	p := engine.Permission{Sid: in.StatementID, Action: in.Action, Principal: in.Principal, Qualifier: f.qualifier,
		FunctionURLAuthType: in.FunctionURLAuthType, SourceArn: in.SourceArn}
	if _, err := g.eng.Function(f.target()); err != nil {
		return err
	}
	_, err := g.eng.UpdateSettings(c.ctx, f.name, func(s *engine.Settings) error {
		if slices.ContainsFunc(s.InvokePolicy, func(q engine.Permission) bool { return q.Sid == p.Sid }) {
			return apiErr("ResourceConflictException", "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", p.Sid)
		}
		s.InvokePolicy = append(s.InvokePolicy, p)
		return nil
	})
	if err != nil {
		return err
	}
	stmt, _ := json.Marshal(g.statement(f.name, p))
	writeJSON(c.ctx, http.StatusCreated, map[string]string{"Statement": string(stmt)})
	return nil
}

func (g *Gateway) removePermission(c *call) error {
	f, sid := c.fn, c.params.get("sid")
	_, err := g.eng.UpdateSettings(c.ctx, f.name, func(s *engine.Settings) error {
		i := slices.IndexFunc(s.InvokePolicy, func(p engine.Permission) bool { return p.Sid == sid && p.Qualifier == f.qualifier })
		if i < 0 {
			return apiErr("ResourceNotFoundException", "The statement id (%s) provided does not exist", sid)
		}
		s.InvokePolicy = slices.Delete(s.InvokePolicy, i, i+1)
		return nil
	})
	if err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// statement renders a permission as an IAM policy statement, as GetPolicy
// and AddPermission return it.
func (g *Gateway) statement(function string, p engine.Permission) map[string]any {
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
	if p.FunctionURLAuthType != "" {
		cond["StringEquals"] = map[string]string{"lambda:FunctionUrlAuthType": p.FunctionURLAuthType}
	}
	if p.SourceArn != "" {
		cond["ArnLike"] = map[string]string{"AWS:SourceArn": p.SourceArn}
	}
	if len(cond) > 0 {
		s["Condition"] = cond
	}
	return s
}

func (g *Gateway) getPolicy(c *call) error {
	f := c.fn
	if _, err := g.eng.Function(f.target()); err != nil {
		return err
	}
	s, err := g.eng.Settings(f.name)
	if err != nil {
		return err
	}
	var stmts []map[string]any
	for _, p := range s.InvokePolicy {
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
