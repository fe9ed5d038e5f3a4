package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/internal/names"
	"github.com/flintfaas/flint/internal/uuid"
)

// WeightHint says why an alias's routing weight is strictly between 0 and
// 1, in the engine's message and the CLI's alike.
const WeightHint = "0 would route nothing to it: give no additional version; 1 would route everything: point the alias at it"

// Alias names a published version of a function, optionally routing a
// share of invocations to a second version (Lambda's RoutingConfig).
type Alias struct {
	// Name: 1 to 128 letters, digits, hyphens and underscores, not only
	// digits (those name versions) and not $LATEST.
	Name string
	// FunctionVersion is the version it points to: a published version
	// number, or $LATEST.
	FunctionVersion string
	// AdditionalVersion, when set, receives AdditionalWeight (0 < w < 1;
	// see WeightHint) of
	// the invocations; both versions must be published versions.
	AdditionalVersion string
	AdditionalWeight  float64
	Description       string
	RevisionID        string
}

// record and alias convert between the public and the persisted type,
// which have the same fields today: a field added to one must be added to
// the other, or the conversion stops compiling.
func (a Alias) record() aliasRecord { return aliasRecord(a) }

func (r aliasRecord) alias() Alias { return Alias(r) }

// pick chooses the version an invocation through the alias runs.
func (a aliasRecord) pick() string {
	if a.AdditionalVersion != "" && rand.Float64() < a.AdditionalWeight {
		return a.AdditionalVersion
	}
	return a.FunctionVersion
}

// PublishVersion publishes $LATEST's code and configuration as a new,
// immutable version numbered one more than the last, and returns it. If
// $LATEST has not changed since the last published version, that version
// is returned, as Lambda does.
func (e *Engine) PublishVersion(ctx context.Context, name, description string) (*FunctionInfo, error) {
	var published revision
	rec, err := e.updateRecord(ctx, name, func(rec *functionRecord) error {
		if n := len(rec.Versions); n > 0 && rec.Versions[n-1].RevisionID == rec.Latest.RevisionID {
			published = rec.Versions[n-1]
			return nil
		}
		rec.NextVersion = max(rec.NextVersion, 1)
		published = rec.Latest
		published.Version = strconv.Itoa(rec.NextVersion)
		published.LastModified = time.Now().UTC()
		if description != "" {
			published.Config.Description = description
		}
		rec.NextVersion++
		rec.Versions = append(rec.Versions, published)
		return nil
	})
	if err != nil {
		return nil, err
	}
	info := infoOf(rec, published)
	return &info, nil
}

// Versions lists a function's $LATEST and published versions.
func (e *Engine) Versions(name string) ([]FunctionInfo, error) {
	f, err := e.function(name)
	if err != nil {
		return nil, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := []FunctionInfo{infoOf(f.rec, f.rec.Latest)}
	for _, v := range f.rec.Versions {
		out = append(out, infoOf(f.rec, v))
	}
	return out, nil
}

// DeleteVersion deletes a published version. It refuses $LATEST and a
// version an alias points to.
func (e *Engine) DeleteVersion(ctx context.Context, name, version string) error {
	if !names.Version(version) {
		return invalid("version %q: only published versions (1, 2, ...) can be deleted", version)
	}
	_, err := e.updateRecord(ctx, name, func(rec *functionRecord) error {
		i := slices.IndexFunc(rec.Versions, func(r revision) bool { return r.Version == version })
		if i < 0 {
			return fmt.Errorf("%w: %s has no version %s", ErrFunctionNotFound, name, version)
		}
		for _, a := range rec.Aliases {
			if a.FunctionVersion == version || a.AdditionalVersion == version {
				return fmt.Errorf("%w: version %s of %s is used by alias %q; point the alias elsewhere first",
					ErrConflict, version, name, a.Name)
			}
		}
		rec.Versions = slices.Delete(rec.Versions, i, i+1)
		delete(rec.Provisioned, version)
		return nil
	})
	return err
}

// SetAlias creates or updates an alias.
func (e *Engine) SetAlias(ctx context.Context, function string, a Alias) (Alias, error) {
	if !names.Alias(a.Name) {
		return Alias{}, invalid("alias name %q: use 1 to 128 letters, digits, hyphens or underscores, not only digits", a.Name)
	}
	if len(a.Description) > 256 {
		return Alias{}, invalid("alias description is over 256 bytes")
	}
	if a.FunctionVersion == "" {
		return Alias{}, invalid("alias %s: FunctionVersion is required: a published version or %s", a.Name, LatestVersion)
	}
	if a.AdditionalVersion == "" && a.AdditionalWeight != 0 {
		return Alias{}, invalid("alias %s: a routing weight needs an additional version", a.Name)
	}
	if a.AdditionalVersion != "" {
		if !(a.AdditionalWeight > 0 && a.AdditionalWeight < 1) {
			return Alias{}, invalid("alias %s: the additional version's weight %v must be more than 0 and less than 1 (%s)", a.Name, a.AdditionalWeight, WeightHint)
		}
		if !names.Version(a.FunctionVersion) || !names.Version(a.AdditionalVersion) {
			return Alias{}, invalid("alias %s: routing between versions needs two published versions, not $LATEST", a.Name)
		}
		if a.AdditionalVersion == a.FunctionVersion {
			return Alias{}, invalid("alias %s: the additional version must differ from the primary", a.Name)
		}
	}
	a.RevisionID = uuid.New()
	_, err := e.updateRecord(ctx, function, func(rec *functionRecord) error {
		for _, v := range []string{a.FunctionVersion, a.AdditionalVersion} {
			if v == "" {
				continue
			}
			if _, ok := rec.version(v); !ok {
				return fmt.Errorf("%w: %s has no version %q for alias %s", ErrFunctionNotFound, function, v, a.Name)
			}
		}
		if rec.Aliases == nil {
			rec.Aliases = map[string]aliasRecord{}
		}
		rec.Aliases[a.Name] = a.record()
		return nil
	})
	if err != nil {
		return Alias{}, err
	}
	_ = e.refreshProvisioned(ctx, function, false)
	return a, nil
}

// Alias returns one alias of a function.
func (e *Engine) Alias(function, name string) (Alias, error) {
	f, err := e.function(function)
	if err != nil {
		return Alias{}, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	a, ok := f.rec.Aliases[name]
	if !ok {
		return Alias{}, fmt.Errorf("%w: %s has no alias %q", ErrFunctionNotFound, function, name)
	}
	return a.alias(), nil
}

// Aliases lists a function's aliases by name.
func (e *Engine) Aliases(function string) ([]Alias, error) {
	f, err := e.function(function)
	if err != nil {
		return nil, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Alias, 0, len(f.rec.Aliases))
	for _, a := range f.rec.Aliases {
		out = append(out, a.alias())
	}
	slices.SortFunc(out, func(a, b Alias) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// DeleteAlias deletes an alias.
func (e *Engine) DeleteAlias(ctx context.Context, function, name string) error {
	_, err := e.updateRecord(ctx, function, func(rec *functionRecord) error {
		if _, ok := rec.Aliases[name]; !ok {
			return fmt.Errorf("%w: %s has no alias %q", ErrFunctionNotFound, function, name)
		}
		delete(rec.Aliases, name)
		delete(rec.Provisioned, name)
		return nil
	})
	if err == nil {
		_ = e.refreshProvisioned(ctx, function, false)
	}
	return err
}

func infoOf(rec *functionRecord, r revision) FunctionInfo {
	f := r.function(rec.Name)
	return FunctionInfo{
		Name: rec.Name, Version: r.Version,
		CodeSHA256: r.CodeSHA256, CodeSize: r.CodeSize,
		Handler: f.Handler, Timeout: f.Timeout, MemoryMB: f.MemoryMB, Env: f.Env,
		Policy: f.Policy, Description: f.Description, Role: f.Role, SingleUse: f.SingleUse,
		NoSnapshot: f.NoSnapshot, SnapshotInit: f.SnapshotInit, EphemeralStorageMB: f.EphemeralStorageMB,
		RevisionID: r.RevisionID, LastModified: r.LastModified,
	}
}
