package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
)

// rolesBucket holds the gateway's roles: name -> execution policy JSON.
const rolesBucket = "gateway-roles"

// DefaultRole exists on every gateway and allows nothing: a function
// created with it reaches nothing outside its sandbox.
const DefaultRole = "default"

// roles are named execution policies. A function's Role ARN names one by
// its last path segment (arn:aws:iam::000000000000:role/NAME).
type roles struct {
	bucket store.Bucket
	mu     sync.Mutex
	parsed map[string]parsedRole
}

// parsedRole is a role's policy and the document it was parsed from: the
// document is read each time (another node of a cluster may have changed
// it), and parsed again only when it changed.
type parsedRole struct {
	doc    []byte
	policy *policy.Policy
}

func newRoles(s store.Store) (*roles, error) {
	b, err := s.Bucket(rolesBucket)
	if err != nil {
		return nil, err
	}
	r := &roles{bucket: b, parsed: map[string]parsedRole{}}
	ctx := context.Background()
	if _, err := b.Get(ctx, DefaultRole); errors.Is(err, store.ErrNotFound) {
		if err := b.Put(ctx, DefaultRole, []byte(`{"Version":"2026-11-01","Statement":[]}`)); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return r, nil
}

// roleName takes a role's name from its ARN (or the name itself).
func roleName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func validRoleName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("+=,.@_-", c)) {
			return false
		}
	}
	return true
}

// policyFor returns the execution policy of the role a function names.
func (r *roles) policyFor(roleArn string) (*policy.Policy, error) {
	name := roleName(roleArn)
	r.mu.Lock()
	defer r.mu.Unlock()
	doc, err := r.bucket.Get(context.Background(), name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidParam("The role defined for the function cannot be assumed: role %q does not exist; create it with `flint role put %s POLICY.json` (PUT /flint/v1/roles/%s)", name, name, name)
	}
	if err != nil {
		return nil, err
	}
	if pr, ok := r.parsed[name]; ok && bytes.Equal(pr.doc, doc) {
		return pr.policy, nil
	}
	p, err := policy.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", name, err)
	}
	r.parsed[name] = parsedRole{doc: doc, policy: p}
	return p, nil
}

func (g *Gateway) listRoles(c *call) error {
	ctx := c.ctx
	keys, _, err := g.roles.bucket.List(ctx, "", "", store.MaxListKeys)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		doc, err := g.roles.bucket.Get(ctx, k)
		if err != nil {
			continue
		}
		out = append(out, map[string]any{"Name": k, "Arn": g.roleArn(k), "Policy": jsonRaw(doc)})
	}
	writeJSON(ctx, http.StatusOK, map[string]any{"Roles": out})
	return nil
}

// roleParam returns the role a path names, checked.
func roleParam(c *call) (string, error) {
	name := c.params.get("role")
	if !validRoleName(name) {
		return "", invalidParam("role name %q: use 1 to 64 of letters, digits and +=,.@_-", name)
	}
	return name, nil
}

func (g *Gateway) getRole(c *call) error {
	name, err := roleParam(c)
	if err != nil {
		return err
	}
	doc, err := g.roles.bucket.Get(c.ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return apiErr("ResourceNotFoundException", "role %s does not exist", name)
	}
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, map[string]any{"Name": name, "Arn": g.roleArn(name), "Policy": jsonRaw(doc)})
	return nil
}

// putRole creates or replaces a role, and gives its new policy to every
// function whose $LATEST uses it.
func (g *Gateway) putRole(c *call) error {
	ctx := c.ctx
	name, err := roleParam(c)
	if err != nil {
		return err
	}
	p, err := policy.Parse(ctx.PostBody())
	if err != nil {
		return invalidParam("%v", err)
	}
	canonical, _ := p.MarshalJSON()
	if err := g.roles.bucket.Put(ctx, name, canonical); err != nil {
		return err
	}
	g.roles.mu.Lock()
	g.roles.parsed[name] = parsedRole{doc: canonical, policy: p}
	g.roles.mu.Unlock()
	updated, err := g.applyRole(ctx, name, p)
	if err != nil {
		return err
	}
	writeJSON(ctx, http.StatusOK, map[string]any{"Name": name, "Arn": g.roleArn(name), "Policy": jsonRaw(canonical), "UpdatedFunctions": updated})
	return nil
}

func (g *Gateway) deleteRole(c *call) error {
	ctx := c.ctx
	name, err := roleParam(c)
	if err != nil {
		return err
	}
	if name == DefaultRole {
		return apiErr("ResourceConflictException", "the default role cannot be deleted")
	}
	if _, err := g.roles.bucket.Get(ctx, name); errors.Is(err, store.ErrNotFound) {
		return apiErr("ResourceNotFoundException", "role %s does not exist", name)
	} else if err != nil {
		return err
	}
	for _, f := range g.eng.Functions() {
		if roleName(f.Role) == name {
			return apiErr("ResourceConflictException", "role %s is used by function %s", name, f.Name)
		}
	}
	if err := g.roles.bucket.Delete(ctx, name); err != nil {
		return err
	}
	g.roles.mu.Lock()
	delete(g.roles.parsed, name)
	g.roles.mu.Unlock()
	ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// applyRole gives every function whose $LATEST uses role name its new
// policy. Published versions keep the policy they were published with.
func (g *Gateway) applyRole(ctx context.Context, name string, p *policy.Policy) ([]string, error) {
	updated := []string{}
	doc, _ := p.MarshalJSON()
	for _, f := range g.eng.Functions() {
		if f.Role == "" || roleName(f.Role) != name {
			continue
		}
		if f.Policy != nil {
			if have, err := f.Policy.MarshalJSON(); err == nil && bytes.Equal(have, doc) {
				continue // already as the role says: no write
			}
		}
		if _, err := g.eng.Update(ctx, f.Name, func(fn *engine.Function) error {
			fn.Policy = p
			return nil
		}); err != nil {
			return updated, fmt.Errorf("applying role %s to %s: %w", name, f.Name, err)
		}
		updated = append(updated, f.Name)
	}
	return updated, nil
}

// followRoles keeps the functions this node knows in step with their
// roles when another node of a cluster changes one (the roles bucket is
// then a store.Watcher): that node applies the change to the functions it
// knows, and this one to the functions it knows, so that a function
// created on one node while its role changed on another ends up with the
// role as last written. It runs until ctx is done.
func (g *Gateway) followRoles(ctx context.Context) error {
	w, ok := g.roles.bucket.(store.Watcher)
	if !ok {
		return nil
	}
	return w.Watch(ctx, func(name string) {
		p, err := g.roles.policyFor(name)
		if err != nil {
			return // deleted, or unreadable: nothing to apply
		}
		if _, err := g.applyRole(ctx, name, p); err != nil && ctx.Err() == nil {
			g.cfg.Logger.Warn("applying a role changed elsewhere", "role", name, "err", err)
		}
	})
}

func (g *Gateway) roleArn(name string) string {
	return "arn:aws:iam::" + g.cfg.AccountID + ":role/" + name
}
