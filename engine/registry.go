package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/uuid"
)

// The store's bucket of function records, one JSON document per function.
const functionsBucket = "functions"

// functionRecord is everything the engine persists about a function: its
// $LATEST revision, its published versions, aliases and function-wide
// settings. Code lives in the store's blobs, by digest.
type functionRecord struct {
	Name        string               `json:"name"`
	Created     time.Time            `json:"created"`
	Latest      revision             `json:"latest"`
	Versions    []revision           `json:"versions,omitempty"` // ascending
	NextVersion int                  `json:"nextVersion"`
	Aliases     map[string]Alias     `json:"aliases,omitempty"`
	Reserved    int                  `json:"reservedConcurrency,omitempty"` // 0: none
	Provisioned map[string]int       `json:"provisioned,omitempty"`         // by version or alias
	EventConfig *EventInvokeConfig   `json:"eventConfig,omitempty"`
	Extensions  map[string]rawRecord `json:"extensions,omitempty"` // for the gateway's own settings
}

// rawRecord is opaque JSON kept for another package (the gateway's URL and
// permission settings).
type rawRecord = json.RawMessage

// revision is one state of a function's code and configuration: $LATEST,
// or a published (immutable) version.
type revision struct {
	Version      string         `json:"version"`
	CodeSHA256   string         `json:"codeSha256"`
	CodeSize     int            `json:"codeSize"`
	Config       revisionConfig `json:"config"`
	RevisionID   string         `json:"revisionId"`
	LastModified time.Time      `json:"lastModified"`
}

// revisionConfig is a Function's configuration as persisted.
type revisionConfig struct {
	Handler      string            `json:"handler"`
	Timeout      time.Duration     `json:"timeout"`
	MemoryMB     int               `json:"memoryMB"`
	Env          map[string]string `json:"env,omitempty"`
	SingleUse    bool              `json:"singleUse,omitempty"`
	NoSnapshot   bool              `json:"noSnapshot,omitempty"`
	SnapshotInit bool              `json:"snapshotInit,omitempty"`
	Policy       *policy.Policy    `json:"policy,omitempty"`
	Description  string            `json:"description,omitempty"`
	Role         string            `json:"role,omitempty"`
}

func (r revision) function(name string) Function {
	c := r.Config
	return Function{
		Name: name, Handler: c.Handler, Timeout: c.Timeout, MemoryMB: c.MemoryMB,
		Env: maps.Clone(c.Env), SingleUse: c.SingleUse, Policy: c.Policy, Description: c.Description, Role: c.Role,
		NoSnapshot: c.NoSnapshot, SnapshotInit: c.SnapshotInit,
	}
}

func configOf(f Function) revisionConfig {
	return revisionConfig{
		Handler: f.Handler, Timeout: f.Timeout, MemoryMB: f.MemoryMB, Env: maps.Clone(f.Env),
		SingleUse: f.SingleUse, Policy: f.Policy, Description: f.Description, Role: f.Role,
		NoSnapshot: f.NoSnapshot, SnapshotInit: f.SnapshotInit,
	}
}

// clone returns a deep enough copy to modify without touching r.
func (r *functionRecord) clone() *functionRecord {
	c := *r
	c.Versions = slices.Clone(r.Versions)
	c.Aliases = maps.Clone(r.Aliases)
	c.Provisioned = maps.Clone(r.Provisioned)
	c.Extensions = maps.Clone(r.Extensions)
	return &c
}

func (r *functionRecord) version(v string) (revision, bool) {
	if v == LatestVersion {
		return r.Latest, true
	}
	for _, rev := range r.Versions {
		if rev.Version == v {
			return rev, true
		}
	}
	return revision{}, false
}

// Alias names a published version of a function, optionally routing a
// share of invocations to a second version (Lambda's RoutingConfig).
type Alias struct {
	// Name: 1 to 128 letters, digits, hyphens and underscores, not only
	// digits (those name versions) and not $LATEST.
	Name string
	// FunctionVersion is the version it points to: a published version
	// number, or $LATEST.
	FunctionVersion string
	// AdditionalVersion, when set, receives AdditionalWeight (0 < w < 1) of
	// the invocations; both versions must be published versions.
	AdditionalVersion string
	AdditionalWeight  float64
	Description       string
	RevisionID        string
}

var aliasRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// pick chooses the version an invocation through the alias runs.
func (a Alias) pick() string {
	if a.AdditionalVersion != "" && rand.Float64() < a.AdditionalWeight {
		return a.AdditionalVersion
	}
	return a.FunctionVersion
}

// EventInvokeConfig is a function's configuration for asynchronous
// invocations (Lambda's PutFunctionEventInvokeConfig).
type EventInvokeConfig struct {
	// MaximumRetryAttempts after a failure: 0 to 2 (default 2).
	MaximumRetryAttempts *int `json:"maximumRetryAttempts,omitempty"`
	// MaximumEventAge: 60 s to 6 h (default 6 h).
	MaximumEventAge time.Duration `json:"maximumEventAge,omitempty"`
	// OnSuccess and OnFailure are destinations: "function:NAME[:QUALIFIER]",
	// or "dead-letter" for the engine's dead-letter store. Failures go to
	// the dead-letter store when OnFailure is empty.
	OnSuccess string `json:"onSuccess,omitempty"`
	OnFailure string `json:"onFailure,omitempty"`
}

// Version describes a published version or $LATEST.
type Version = FunctionInfo

func isVersionNumber(q string) bool {
	n, err := strconv.Atoi(q)
	return err == nil && n > 0 && strconv.Itoa(n) == q
}

// splitTarget splits "name[:qualifier]". It refuses an empty qualifier
// ("name:"), which names nothing, rather than read it as $LATEST.
func splitTarget(target string) (name, qualifier string, err error) {
	name, qualifier, qualified := strings.Cut(target, ":")
	if qualified && qualifier == "" {
		return "", "", fmt.Errorf("%w: %q has an empty qualifier", ErrFunctionNotFound, target)
	}
	return name, qualifier, nil
}

func (e *Engine) bucket() (store.Bucket, error) { return e.store.Bucket(functionsBucket) }

// saveRecord persists rec (a new or changed record).
func (e *Engine) saveRecord(ctx context.Context, rec *functionRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("engine: encode function %s: %w", rec.Name, err)
	}
	bucket, err := e.bucket()
	if err != nil {
		return err
	}
	return bucket.Put(ctx, rec.Name, b)
}

// loadRecords reads every persisted function.
func (e *Engine) loadRecords(ctx context.Context) ([]*functionRecord, error) {
	bucket, err := e.bucket()
	if err != nil {
		return nil, err
	}
	var out []*functionRecord
	after := ""
	for {
		keys, more, err := bucket.List(ctx, "", after, store.MaxListKeys)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			b, err := bucket.Get(ctx, k)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			var rec functionRecord
			if err := json.Unmarshal(b, &rec); err != nil {
				return nil, fmt.Errorf("engine: function record %q: %w", k, err)
			}
			out = append(out, &rec)
		}
		if !more || len(keys) == 0 {
			return out, nil
		}
		after = keys[len(keys)-1]
	}
}

// updateRecord applies change to function name's record under the
// function's lock and persists it. change returns an error to abort.
func (e *Engine) updateRecord(ctx context.Context, name string, change func(rec *functionRecord) error) (*functionRecord, error) {
	f, err := e.function(name)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := f.rec.clone()
	if err := change(rec); err != nil {
		return nil, err
	}
	if err := e.saveRecord(ctx, rec); err != nil {
		return nil, err
	}
	f.rec = rec
	return rec, nil
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
	if !isVersionNumber(version) {
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
	if err != nil {
		return err
	}
	e.dropRuntime(name, version)
	return nil
}

// SetAlias creates or updates an alias.
func (e *Engine) SetAlias(ctx context.Context, function string, a Alias) (Alias, error) {
	if !aliasRE.MatchString(a.Name) || isVersionNumber(a.Name) || a.Name == LatestVersion {
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
			return Alias{}, invalid("alias %s: the additional version's weight %v must be between 0 and 1", a.Name, a.AdditionalWeight)
		}
		if !isVersionNumber(a.FunctionVersion) || !isVersionNumber(a.AdditionalVersion) {
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
			rec.Aliases = map[string]Alias{}
		}
		rec.Aliases[a.Name] = a
		return nil
	})
	if err != nil {
		return Alias{}, err
	}
	e.refreshProvisioned(function)
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
	return a, nil
}

// Aliases lists a function's aliases by name.
func (e *Engine) Aliases(function string) ([]Alias, error) {
	f, err := e.function(function)
	if err != nil {
		return nil, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := slices.Collect(maps.Values(f.rec.Aliases))
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
		e.refreshProvisioned(function)
	}
	return err
}

// SetReservedConcurrency caps the function's concurrent invocations, all
// versions together (Lambda's reserved concurrency); 0 removes the cap.
func (e *Engine) SetReservedConcurrency(ctx context.Context, function string, n int) error {
	if n < 0 || n > e.cfg.MaxConcurrency {
		return invalid("reserved concurrency %d: must be between 0 and the engine's %d", n, e.cfg.MaxConcurrency)
	}
	_, err := e.updateRecord(ctx, function, func(rec *functionRecord) error {
		rec.Reserved = n
		return nil
	})
	if err == nil {
		f, _ := e.function(function)
		f.limit.setCap(n)
	}
	return err
}

// SetProvisionedConcurrency keeps n instances of a version or alias (or
// $LATEST) initialized ahead of demand; 0 removes the setting.
func (e *Engine) SetProvisionedConcurrency(ctx context.Context, function, qualifier string, n int) error {
	if n < 0 || n > e.cfg.MaxConcurrency {
		return invalid("provisioned concurrency %d: must be between 0 and %d", n, e.cfg.MaxConcurrency)
	}
	_, err := e.updateRecord(ctx, function, func(rec *functionRecord) error {
		if _, ok := rec.version(qualifier); !ok {
			if _, ok := rec.Aliases[qualifier]; !ok {
				return fmt.Errorf("%w: %s has no version or alias %q", ErrFunctionNotFound, function, qualifier)
			}
		}
		if rec.Reserved > 0 && n > rec.Reserved {
			return invalid("provisioned concurrency %d is over the reserved %d", n, rec.Reserved)
		}
		if rec.Provisioned == nil {
			rec.Provisioned = map[string]int{}
		}
		if n == 0 {
			delete(rec.Provisioned, qualifier)
		} else {
			rec.Provisioned[qualifier] = n
		}
		return nil
	})
	if err == nil {
		e.refreshProvisioned(function)
	}
	return err
}

// ProvisionedConcurrency returns the provisioned concurrency set on one
// version or alias (or $LATEST) of a function: its own setting, not the
// sum a version gets from the aliases pointing to it.
func (e *Engine) ProvisionedConcurrency(function, qualifier string) (int, error) {
	f, err := e.function(function)
	if err != nil {
		return 0, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if _, ok := f.rec.version(qualifier); !ok {
		if _, ok := f.rec.Aliases[qualifier]; !ok {
			return 0, fmt.Errorf("%w: %s has no version or alias %q", ErrFunctionNotFound, function, qualifier)
		}
	}
	return f.rec.Provisioned[qualifier], nil
}

// SetEventInvokeConfig sets a function's asynchronous invocation settings.
func (e *Engine) SetEventInvokeConfig(ctx context.Context, function string, c EventInvokeConfig) error {
	if err := e.validateEventConfig(c); err != nil {
		return err
	}
	_, err := e.updateRecord(ctx, function, func(rec *functionRecord) error {
		rec.EventConfig = &c
		return nil
	})
	return err
}

// EventInvokeConfig returns a function's asynchronous invocation settings.
func (e *Engine) EventInvokeConfig(function string) (EventInvokeConfig, error) {
	f, err := e.function(function)
	if err != nil {
		return EventInvokeConfig{}, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.rec.EventConfig == nil {
		return EventInvokeConfig{}, nil
	}
	return *f.rec.EventConfig, nil
}

// SetExtension stores opaque settings another package keeps with a
// function (the gateway's URL configuration and invoke permissions). A nil
// value deletes them.
func (e *Engine) SetExtension(ctx context.Context, function, key string, value json.RawMessage) error {
	_, err := e.updateRecord(ctx, function, func(rec *functionRecord) error {
		if value == nil {
			delete(rec.Extensions, key)
			return nil
		}
		if rec.Extensions == nil {
			rec.Extensions = map[string]rawRecord{}
		}
		rec.Extensions[key] = value
		return nil
	})
	return err
}

// Extension returns settings stored with SetExtension, or nil.
func (e *Engine) Extension(function, key string) (json.RawMessage, error) {
	f, err := e.function(function)
	if err != nil {
		return nil, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.rec.Extensions[key], nil
}

func infoOf(rec *functionRecord, r revision) FunctionInfo {
	f := r.function(rec.Name)
	return FunctionInfo{
		Name: rec.Name, Version: r.Version,
		CodeSHA256: r.CodeSHA256, CodeSize: r.CodeSize,
		Handler: f.Handler, Timeout: f.Timeout, MemoryMB: f.MemoryMB, Env: f.Env,
		Policy: f.Policy, Description: f.Description, Role: f.Role, SingleUse: f.SingleUse,
		NoSnapshot: f.NoSnapshot, SnapshotInit: f.SnapshotInit,
		MinIdle: rec.Provisioned[r.Version], MaxInstances: rec.Reserved,
		RevisionID: r.RevisionID, LastModified: r.LastModified,
	}
}
