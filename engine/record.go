package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine/store"
)

// The store's bucket of function records, one JSON document per function.
const functionsBucket = "functions"

// functionRecord is everything the engine persists about a function: its
// $LATEST revision, its published versions, aliases and function-wide
// settings. Code lives in the store's blobs, by digest.
//
// Records are the persisted format, kept apart from the public types
// (Function, FunctionInfo, Alias, Settings) so that either can change
// without the other; records in memory are never modified once published
// (a change clones, edits and swaps the whole record), so a reader holding
// one needs no lock.
type functionRecord struct {
	Name        string                 `json:"name"`
	Created     time.Time              `json:"created"`
	Latest      revision               `json:"latest"`
	Versions    []revision             `json:"versions,omitempty"` // ascending
	NextVersion int                    `json:"nextVersion"`
	Aliases     map[string]aliasRecord `json:"aliases,omitempty"`
	// Reserved is the reserved concurrency; absent: none.
	Reserved    *int                       `json:"reserved,omitempty"`
	Provisioned map[string]int             `json:"provisioned,omitempty"` // by version or alias
	EventConfig *eventConfigRecord         `json:"eventConfig,omitempty"`
	Permissions []permissionRecord         `json:"permissions,omitempty"`
	URLs        map[string]urlRecord       `json:"urls,omitempty"` // by qualifier, "" unqualified
	Tags        map[string]string          `json:"tags,omitempty"`
	Extensions  map[string]json.RawMessage `json:"extensions,omitempty"` // read once, from older records
	// OldReserved is the reserved concurrency as records before the
	// settings API kept it (0 meant none).
	OldReserved int `json:"reservedConcurrency,omitempty"`
}

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
	// EphemeralStorageMB: 0 in records from before it existed, the default.
	EphemeralStorageMB int            `json:"ephemeralStorageMB,omitempty"`
	Policy             *policy.Policy `json:"policy,omitempty"`
	Description        string         `json:"description,omitempty"`
	Role               string         `json:"role,omitempty"`
}

// aliasRecord is an Alias as persisted (the field names are those records
// have always had).
type aliasRecord struct {
	Name              string  `json:"Name"`
	FunctionVersion   string  `json:"FunctionVersion"`
	AdditionalVersion string  `json:"AdditionalVersion"`
	AdditionalWeight  float64 `json:"AdditionalWeight"`
	Description       string  `json:"Description"`
	RevisionID        string  `json:"RevisionID"`
}

// eventConfigRecord is an EventInvokeConfig as persisted.
type eventConfigRecord struct {
	MaximumRetryAttempts *int          `json:"maximumRetryAttempts,omitempty"`
	MaximumEventAge      time.Duration `json:"maximumEventAge,omitempty"`
	OnSuccess            string        `json:"onSuccess,omitempty"`
	OnFailure            string        `json:"onFailure,omitempty"`
}

// permissionRecord is a Permission as persisted.
type permissionRecord struct {
	Sid       string `json:"sid"`
	Action    string `json:"action"`
	Principal string `json:"principal"`
	Qualifier string `json:"qualifier,omitempty"`
	AuthType  string `json:"authType,omitempty"`
	SourceArn string `json:"sourceArn,omitempty"`
}

// urlRecord is a URLConfig as persisted.
type urlRecord struct {
	AuthType     string      `json:"authType"`
	InvokeMode   string      `json:"invokeMode,omitempty"`
	CORS         *corsRecord `json:"cors,omitempty"`
	Created      time.Time   `json:"created"`
	LastModified time.Time   `json:"lastModified"`
}

// corsRecord is a CORS as persisted, in the field names of Lambda's API
// (which is how records before typed URL settings kept it).
type corsRecord struct {
	AllowCredentials bool     `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           int      `json:"MaxAge,omitempty"`
}

func (r revision) function(name string) Function {
	c := r.Config
	return Function{
		Name: name, Handler: c.Handler, Timeout: c.Timeout, MemoryMB: c.MemoryMB,
		Env: maps.Clone(c.Env), SingleUse: c.SingleUse, Policy: c.Policy, Description: c.Description, Role: c.Role,
		NoSnapshot: c.NoSnapshot, SnapshotInit: c.SnapshotInit,
		EphemeralStorageMB: cmp.Or(c.EphemeralStorageMB, DefaultEphemeralStorageMB),
	}
}

func configOf(f Function) revisionConfig {
	return revisionConfig{
		Handler: f.Handler, Timeout: f.Timeout, MemoryMB: f.MemoryMB, Env: maps.Clone(f.Env),
		SingleUse: f.SingleUse, Policy: f.Policy, Description: f.Description, Role: f.Role,
		NoSnapshot: f.NoSnapshot, SnapshotInit: f.SnapshotInit, EphemeralStorageMB: f.EphemeralStorageMB,
	}
}

// clone returns a copy deep enough to modify without touching r.
func (r *functionRecord) clone() *functionRecord {
	c := *r
	c.Versions = slices.Clone(r.Versions)
	c.Aliases = maps.Clone(r.Aliases)
	c.Provisioned = maps.Clone(r.Provisioned)
	c.Permissions = slices.Clone(r.Permissions)
	c.URLs = maps.Clone(r.URLs)
	c.Tags = maps.Clone(r.Tags)
	if r.Reserved != nil {
		n := *r.Reserved
		c.Reserved = &n
	}
	if r.EventConfig != nil {
		ec := *r.EventConfig
		c.EventConfig = &ec
	}
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

// upgrade brings a record read from an older format to this one: the
// gateway's URL and permission settings, once opaque "extensions", become
// typed fields, and a reserved concurrency of 0 (which meant none) is none.
func (r *functionRecord) upgrade() error {
	if r.OldReserved > 0 && r.Reserved == nil {
		n := r.OldReserved
		r.Reserved = &n
	}
	r.OldReserved = 0
	if raw := r.Extensions["gateway.permissions"]; len(raw) > 0 && r.Permissions == nil {
		if err := json.Unmarshal(raw, &r.Permissions); err != nil {
			return fmt.Errorf("invoke permissions: %w", err)
		}
	}
	if raw := r.Extensions["gateway.urls"]; len(raw) > 0 && r.URLs == nil {
		if err := json.Unmarshal(raw, &r.URLs); err != nil {
			return fmt.Errorf("URL settings: %w", err)
		}
	}
	r.Extensions = nil
	return nil
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

// decodeRecord reads a persisted function record, upgrading an older
// format.
func decodeRecord(name string, raw []byte) (*functionRecord, error) {
	var rec functionRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("engine: function record %q: %w", name, err)
	}
	if err := rec.upgrade(); err != nil {
		return nil, fmt.Errorf("engine: function record %q: %w", name, err)
	}
	if rec.Name != name {
		return nil, fmt.Errorf("engine: function record %q names %q", name, rec.Name)
	}
	return &rec, nil
}

// loadRecords reads every persisted function, with the bytes each was
// read from.
func (e *Engine) loadRecords(ctx context.Context) ([]*functionRecord, [][]byte, error) {
	bucket, err := e.bucket()
	if err != nil {
		return nil, nil, err
	}
	var recs []*functionRecord
	var raws [][]byte
	after := ""
	for {
		keys, more, err := bucket.List(ctx, "", after, store.MaxListKeys)
		if err != nil {
			return nil, nil, err
		}
		for _, k := range keys {
			raw, err := bucket.Get(ctx, k)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			rec, err := decodeRecord(k, raw)
			if err != nil {
				return nil, nil, err
			}
			recs, raws = append(recs, rec), append(raws, raw)
		}
		if !more || len(keys) == 0 {
			return recs, raws, nil
		}
		after = keys[len(keys)-1]
	}
}

// writeRecord applies change to f's record as the store has it and saves
// the result, atomically: a change another engine sharing the store made
// meanwhile is neither lost nor overwritten, since change runs again on
// it. change must be quick and not call the store; it may run more than
// once. When the store has no record, create is the record change starts
// from, or, when nil, writeRecord fails with ErrFunctionNotFound (the
// function was removed). It returns the record saved and its encoding.
// Callers hold f.write and adopt what it returns.
func (e *Engine) writeRecord(ctx context.Context, f *function, create *functionRecord, change func(rec *functionRecord) error) (*functionRecord, []byte, error) {
	bucket, err := e.bucket()
	if err != nil {
		return nil, nil, err
	}
	var rec *functionRecord
	var raw []byte
	err = bucket.Update(ctx, f.name, func(old []byte, exists bool) ([]byte, error) {
		switch {
		case exists:
			r, err := decodeRecord(f.name, old)
			if err != nil {
				return nil, err
			}
			rec = r
		case create != nil:
			rec = create.clone()
		default:
			return nil, fmt.Errorf("%w: %s", ErrFunctionNotFound, f.name)
		}
		if err := change(rec); err != nil {
			return nil, err
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("engine: encode function %s: %w", f.name, err)
		}
		raw = b
		return b, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return rec, raw, nil
}

// updateRecord applies change to function name's record (see writeRecord)
// and makes the engine serve the result. change returns an error to abort.
func (e *Engine) updateRecord(ctx context.Context, name string, change func(rec *functionRecord) error) (*functionRecord, error) {
	f, err := e.function(name)
	if err != nil {
		return nil, err
	}
	f.write.Lock()
	rec, raw, err := e.writeRecord(ctx, f, nil, change)
	refresh := false
	if err == nil {
		refresh = e.adopt(f, rec, raw, nil)
	}
	f.write.Unlock()
	if err != nil {
		return nil, err
	}
	if refresh {
		_ = e.refreshProvisioned(ctx, name, false)
	}
	return rec, nil
}

// adopt makes rec, just read from or written to the store, the record f
// serves: runtimes of versions that are gone or changed ($LATEST
// redeployed, by this engine or another) retire, and the reserved
// concurrency applies at once. latest, when set, is the runtime of rec's
// $LATEST, made by the caller. adopt reports whether provisioned instances
// must be refreshed (refreshProvisioned, which the caller does once it no
// longer holds f.write). Callers hold f.write.
func (e *Engine) adopt(f *function, rec *functionRecord, raw []byte, latest *version) (refresh bool) {
	var retired []*version
	f.mu.Lock()
	old := f.rec
	f.rec, f.raw = rec, raw
	if latest != nil {
		if prev := f.latest.Swap(latest); prev != nil {
			retired = append(retired, prev)
		}
	} else if v := f.latest.Load(); v != nil && !v.serves(rec.Latest) {
		f.latest.Store(nil)
		retired = append(retired, v)
	}
	for ver, v := range f.runtimes {
		if r, ok := rec.version(ver); !ok || !v.serves(r) {
			delete(f.runtimes, ver)
			retired = append(retired, v)
		}
	}
	f.mu.Unlock()
	for _, v := range retired {
		e.retire(v)
	}
	f.limit.setCap(e.reservedCap(rec))
	return (len(retired) > 0 && latest == nil) || !maps.Equal(provisionedCounts(old), provisionedCounts(rec))
}

// provisionedCounts is how many idle instances each version of rec keeps.
func provisionedCounts(rec *functionRecord) map[string]int {
	out := map[string]int{}
	for _, v := range append([]revision{rec.Latest}, rec.Versions...) {
		if n := provisionedTotal(rec, v.Version); n > 0 {
			out[v.Version] = n
		}
	}
	return out
}
