package gateway

import (
	"maps"
	"net/http"

	"github.com/flintfaas/flint/engine"
)

// Tags are a function's, not a version's or an alias's: Lambda's
// TagResource, UntagResource and ListTags take the unqualified function ARN.

// tagged returns the function a tag operation names, refusing a qualifier.
func tagged(c *call) (string, error) {
	if c.fn.qualifier != "" {
		return "", invalidParam("tags belong to the function: give its unqualified ARN, not version or alias %s", c.fn.qualifier)
	}
	return c.fn.name, nil
}

func (g *Gateway) listTags(c *call) error {
	name, err := tagged(c)
	if err != nil {
		return err
	}
	s, err := g.eng.Settings(name)
	if err != nil {
		return err
	}
	tags := s.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	writeJSON(c.ctx, http.StatusOK, map[string]any{"Tags": tags})
	return nil
}

func (g *Gateway) tagFunction(c *call) error {
	name, err := tagged(c)
	if err != nil {
		return err
	}
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if len(in.Tags) == 0 {
		return invalidParam("Tags: give at least one tag")
	}
	if _, err := g.eng.UpdateSettings(c.ctx, name, func(s *engine.Settings) error {
		if s.Tags == nil {
			s.Tags = map[string]string{}
		}
		maps.Copy(s.Tags, in.Tags)
		return nil
	}); err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

func (g *Gateway) untagFunction(c *call) error {
	name, err := tagged(c)
	if err != nil {
		return err
	}
	var keys []string
	for _, k := range c.ctx.QueryArgs().PeekMulti("tagKeys") {
		keys = append(keys, string(k))
	}
	if len(keys) == 0 {
		return invalidParam("tagKeys: give at least one tag key")
	}
	if _, err := g.eng.UpdateSettings(c.ctx, name, func(s *engine.Settings) error {
		for _, k := range keys {
			delete(s.Tags, k)
		}
		return nil
	}); err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}
