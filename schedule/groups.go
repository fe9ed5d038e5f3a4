package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/flintfaas/flint/engine/store"
)

// groupActive is the only state a group shows: Flint deletes a group at
// once, so it is never seen DELETING.
const groupActive = "ACTIVE"

// ensureDefaultGroup stores the default group if the store has none.
func (s *Scheduler) ensureDefaultGroup(ctx context.Context) error {
	now := apiTime(s.clock.Now())
	b, err := encodeGroup(&groupRecord{Name: DefaultGroup, Created: now, Modified: now})
	if err != nil {
		return err
	}
	err = s.groups.Update(ctx, DefaultGroup, func(_ []byte, exists bool) ([]byte, error) {
		if exists {
			return nil, store.ErrNoChange
		}
		return b, nil
	})
	if err != nil {
		return fmt.Errorf("schedule: default group: %w", err)
	}
	return nil
}

// getGroup reads a group's record, or says it does not exist.
func (s *Scheduler) getGroup(ctx context.Context, name string) (*groupRecord, error) {
	if !validName(name) || len(name) > MaxNameLength {
		return nil, notFound(fmt.Sprintf("Schedule group %s does not exist.", quoted(name)))
	}
	b, err := s.groups.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(fmt.Sprintf("Schedule group %s does not exist.", name))
	}
	if err != nil {
		return nil, err
	}
	return decodeGroup(name, b)
}

func (s *Scheduler) groupOf(g *groupRecord) Group {
	return Group{Name: g.Name, Arn: s.GroupArn(g.Name), State: groupActive, CreationDate: g.Created,
		LastModificationDate: g.Modified, Tags: slices.Clone(g.Tags)}
}

// CreateGroup adds a schedule group with tags and returns its ARN; a group
// of the same name is ErrConflict.
func (s *Scheduler) CreateGroup(ctx context.Context, name string, tags []Tag) (string, error) {
	if s.isClosed() {
		return "", ErrClosed
	}
	var v violations
	checkName(&v, "Name", name)
	checkTags(&v, "Tags", tags)
	if err := v.err(); err != nil {
		return "", err
	}
	now := apiTime(s.clock.Now())
	b, err := encodeGroup(&groupRecord{Name: name, Created: now, Modified: now, Tags: mergeTags(nil, tags)})
	if err != nil {
		return "", err
	}
	s.api.Lock()
	defer s.api.Unlock()
	err = s.groups.Update(ctx, name, func(_ []byte, exists bool) ([]byte, error) {
		if exists {
			return nil, conflict(fmt.Sprintf("Schedule group %s already exists.", name))
		}
		return b, nil
	})
	if err != nil {
		return "", err
	}
	return s.GroupArn(name), nil
}

// GetGroup returns a schedule group.
func (s *Scheduler) GetGroup(ctx context.Context, name string) (Group, error) {
	var v violations
	checkName(&v, "Name", name)
	if err := v.err(); err != nil {
		return Group{}, err
	}
	g, err := s.getGroup(ctx, name)
	if err != nil {
		return Group{}, err
	}
	return s.groupOf(g), nil
}

// ListGroups returns a page of schedule groups, by name, and the token of
// the next page ("" after the last).
func (s *Scheduler) ListGroups(ctx context.Context, o ListOptions) ([]Group, string, error) {
	limit, after, err := s.pageOf(o, false)
	if err != nil {
		return nil, "", err
	}
	var out []Group
	for {
		keys, more, err := s.groups.List(ctx, o.NamePrefix, after, min(limit-len(out), store.MaxListKeys))
		if err != nil {
			return nil, "", err
		}
		for _, name := range keys {
			after = name
			g, err := s.getGroup(ctx, name)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, "", err
			}
			out = append(out, s.groupOf(g))
		}
		if !more {
			return out, "", nil
		}
		if len(out) == limit {
			return out, encodeToken(after), nil
		}
	}
}

// DeleteGroup deletes a schedule group and every schedule in it. The
// default group cannot be deleted.
func (s *Scheduler) DeleteGroup(ctx context.Context, name string) error {
	if s.isClosed() {
		return ErrClosed
	}
	var v violations
	checkName(&v, "Name", name)
	if err := v.err(); err != nil {
		return err
	}
	if name == DefaultGroup {
		return invalid("Name", "The default schedule group cannot be deleted.")
	}
	s.api.Lock()
	defer s.api.Unlock()
	if _, err := s.getGroup(ctx, name); err != nil {
		return err
	}
	for {
		keys, _, err := s.schedules.List(ctx, name+"/", "", store.MaxListKeys)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			break
		}
		for _, key := range keys {
			if err := s.schedules.Delete(ctx, key); err != nil {
				return err
			}
			s.forget(key)
		}
	}
	return s.groups.Delete(ctx, name)
}

// groupOfArn returns the group an ARN names, for the tagging calls: only
// groups have tags.
func (s *Scheduler) groupOfArn(arn string) (string, error) {
	const field = "ResourceArn"
	prefix := fmt.Sprintf("arn:aws:scheduler:%s:%s:", s.cfg.Region, s.cfg.AccountID)
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		if strings.HasPrefix(arn, "arn:aws:scheduler:") {
			return "", notFound(fmt.Sprintf("Resource %s does not exist.", quoted(arn)))
		}
		return "", invalid(field, fmt.Sprintf("Invalid %s %s: want arn:aws:scheduler:%s:%s:schedule-group/NAME",
			field, quoted(arn), s.cfg.Region, s.cfg.AccountID))
	}
	name, ok := strings.CutPrefix(rest, "schedule-group/")
	if !ok {
		return "", invalid(field, fmt.Sprintf("Invalid %s %s: only schedule groups have tags", field, quoted(arn)))
	}
	if !validName(name) || len(name) > MaxNameLength {
		return "", notFound(fmt.Sprintf("Schedule group %s does not exist.", quoted(name)))
	}
	return name, nil
}

// Tags returns the tags of the schedule group arn names.
func (s *Scheduler) Tags(ctx context.Context, arn string) ([]Tag, error) {
	name, err := s.groupOfArn(arn)
	if err != nil {
		return nil, err
	}
	g, err := s.getGroup(ctx, name)
	if err != nil {
		return nil, err
	}
	return slices.Clone(g.Tags), nil
}

// Tag adds tags to the schedule group arn names, replacing the values of
// keys it has.
func (s *Scheduler) Tag(ctx context.Context, arn string, tags []Tag) error {
	var v violations
	checkTags(&v, "Tags", tags)
	if err := v.err(); err != nil {
		return err
	}
	return s.changeTags(ctx, arn, func(old []Tag) ([]Tag, error) {
		merged := mergeTags(old, tags)
		if len(merged) > MaxTags {
			return nil, invalid("Tags", fmt.Sprintf("A schedule group has at most %d tags.", MaxTags))
		}
		return merged, nil
	})
}

// Untag removes the tags with the keys from the schedule group arn names.
func (s *Scheduler) Untag(ctx context.Context, arn string, keys []string) error {
	var v violations
	if len(keys) > MaxTags {
		v.add("TagKeys", fmt.Sprintf("[%d keys]", len(keys)), fmt.Sprintf("Member must have length less than or equal to %d", MaxTags))
	}
	for i, k := range keys {
		v.length(fmt.Sprintf("TagKeys.%d.member", i+1), k, 1, MaxTagKeyLength)
	}
	if err := v.err(); err != nil {
		return err
	}
	return s.changeTags(ctx, arn, func(old []Tag) ([]Tag, error) {
		return slices.DeleteFunc(old, func(t Tag) bool { return slices.Contains(keys, t.Key) }), nil
	})
}

func (s *Scheduler) changeTags(ctx context.Context, arn string, change func([]Tag) ([]Tag, error)) error {
	if s.isClosed() {
		return ErrClosed
	}
	name, err := s.groupOfArn(arn)
	if err != nil {
		return err
	}
	now := apiTime(s.clock.Now())
	s.api.Lock()
	defer s.api.Unlock()
	return s.groups.Update(ctx, name, func(b []byte, exists bool) ([]byte, error) {
		if !exists {
			return nil, notFound(fmt.Sprintf("Schedule group %s does not exist.", name))
		}
		g, err := decodeGroup(name, b)
		if err != nil {
			return nil, err
		}
		if g.Tags, err = change(g.Tags); err != nil {
			return nil, err
		}
		g.Modified = now
		return encodeGroup(g)
	})
}

// mergeTags returns old with tags set, sorted by key.
func mergeTags(old, tags []Tag) []Tag {
	out := slices.Clone(old)
	for _, t := range tags {
		if i := slices.IndexFunc(out, func(o Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	return out
}
