package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/flintfaas/flint/internal/names"
)

// Settings are what Lambda keeps beside a function's versions rather than
// in them: concurrency, asynchronous invocation, who may invoke the
// function and its URLs. They are not published with versions; Deploy and
// Update leave them as they are. Read them with Engine.Settings and change
// them with Engine.UpdateSettings.
type Settings struct {
	// ReservedConcurrency caps the function's concurrent invocations, all
	// versions together (Lambda's reserved concurrency). Nil: no cap of its
	// own; 0: every invocation is throttled, which is how Lambda switches a
	// function off. At most Config.MaxConcurrency.
	ReservedConcurrency *int
	// ProvisionedConcurrency keeps instances initialized ahead of demand,
	// by version number, alias name or $LATEST. An alias's instances are
	// its primary version's. With ReservedConcurrency set, each is at most
	// that.
	ProvisionedConcurrency map[string]int
	// EventInvokeConfig configures asynchronous invocations.
	EventInvokeConfig EventInvokeConfig
	// InvokePolicy says who may invoke the function (Lambda's resource-based
	// policy). The engine's own callers need no permission: the policy is
	// for the gateway in front of it, which calls Allows.
	InvokePolicy InvokePolicy
	// URLs are the function's URL configurations, by qualifier ("" for the
	// unqualified function, else an alias or $LATEST).
	URLs map[string]URLConfig
	// Tags are the function's tags, Lambda's TagResource: at most
	// MaxTags, keys of 1 to 128 and values of at most 256 letters, digits,
	// spaces and _.:/=+-@, keys not starting with "aws:". The engine only
	// keeps them.
	Tags map[string]string
}

// MaxTags is the most tags a function has, as on Lambda.
const MaxTags = 50

// EventInvokeConfig is a function's configuration for asynchronous
// invocations (Lambda's PutFunctionEventInvokeConfig). Its zero value is
// Lambda's default.
type EventInvokeConfig struct {
	// MaximumRetryAttempts after a failure: 0 to 2 (nil: 2).
	MaximumRetryAttempts *int
	// MaximumEventAge: 60 s to 6 h (zero: 6 h).
	MaximumEventAge time.Duration
	// OnSuccess and OnFailure are destinations: "function:NAME[:QUALIFIER]",
	// or "dead-letter" for the engine's dead-letter store. Failures go to
	// the dead-letter store when OnFailure is empty.
	OnSuccess, OnFailure string
}

// IsZero reports whether c is Lambda's default configuration (nothing
// set).
func (c EventInvokeConfig) IsZero() bool {
	return c.MaximumRetryAttempts == nil && c.MaximumEventAge == 0 && c.OnSuccess == "" && c.OnFailure == ""
}

// Invoke-policy actions.
const (
	// ActionInvokeFunction allows Invoke.
	ActionInvokeFunction = "lambda:InvokeFunction"
	// ActionInvokeFunctionURL allows requests to a function URL.
	ActionInvokeFunctionURL = "lambda:InvokeFunctionUrl"
	// ActionAll allows both.
	ActionAll = "lambda:*"
)

// Permission is one statement of a function's invoke policy (Lambda's
// AddPermission).
type Permission struct {
	// Sid names the statement: 1 to 100 letters, digits, hyphens and
	// underscores, unique in the policy.
	Sid string
	// Action is ActionInvokeFunction, ActionInvokeFunctionURL or ActionAll.
	Action string
	// Principal is "*" (anyone) or a principal a caller presents: an access
	// key id, or an account id that stands for all of its keys.
	Principal string
	// Qualifier limits the statement to invocations of one version or
	// alias; empty, it applies to every qualifier.
	Qualifier string
	// FunctionURLAuthType, when set ("NONE" or "AWS_IAM"), limits the
	// statement to function URL requests of that auth type.
	FunctionURLAuthType string
	// SourceArn is kept and shown (Lambda's AWS:SourceArn condition); Flint
	// has no other AWS services to call it.
	SourceArn string
}

// InvokePolicy is a function's resource-based policy: the statements that
// let principals invoke it.
type InvokePolicy []Permission

// Allows reports whether a caller presenting principals (none for an
// anonymous function URL request) may perform action on the function
// invoked with qualifier ("" unqualified), through a function URL of
// authType ("" when not through a URL).
func (p InvokePolicy) Allows(action, qualifier, authType string, principals ...string) bool {
	for _, s := range p {
		switch {
		case s.Action != action && s.Action != ActionAll:
		case s.Qualifier != "" && s.Qualifier != qualifier:
		case s.FunctionURLAuthType != "" && authType != "" && s.FunctionURLAuthType != authType:
		case s.Principal == "*" || slices.Contains(principals, s.Principal):
			return true
		}
	}
	return false
}

// URL auth types and invoke modes.
const (
	// AuthNone lets anyone call a function URL (with an invoke policy that
	// allows "*").
	AuthNone = "NONE"
	// AuthIAM requires signed requests.
	AuthIAM = "AWS_IAM"
	// InvokeModeBuffered sends the response once complete.
	InvokeModeBuffered = "BUFFERED"
	// InvokeModeResponseStream streams the response as the function
	// flushes it (see WithResponseStream).
	InvokeModeResponseStream = "RESPONSE_STREAM"
)

// URLConfig is a function URL's configuration.
type URLConfig struct {
	// AuthType is AuthNone or AuthIAM.
	AuthType string
	// InvokeMode is InvokeModeBuffered (empty means that too) or
	// InvokeModeResponseStream.
	InvokeMode string
	// CORS configures cross-origin requests; nil: none.
	CORS *CORS
	// Created and LastModified are kept by the engine: what an update
	// sets is ignored.
	Created, LastModified time.Time
}

// CORS is a function URL's cross-origin resource sharing configuration,
// as Lambda's Cors.
type CORS struct {
	AllowCredentials bool
	AllowHeaders     []string
	AllowMethods     []string
	AllowOrigins     []string
	ExposeHeaders    []string
	// MaxAge in seconds: 0 to 86400.
	MaxAge int
}

// Settings returns a function's settings (a copy: change them with
// UpdateSettings).
func (e *Engine) Settings(function string) (Settings, error) {
	f, err := e.function(function)
	if err != nil {
		return Settings{}, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return settingsOf(f.rec), nil
}

// UpdateSettings changes a function's settings: change receives a copy of
// the current ones and edits it; an error it returns aborts the update and
// is returned as it is. The whole update is checked (ErrInvalidFunction
// says what is wrong), saved and applied at once, and concurrent updates
// of one function are serialized, so none is lost.
//
// UpdateSettings returns once the provisioned instances it asks for are
// ready; when one cannot be made (its init fails), the settings are saved
// all the same, the engine keeps trying in the background, and the error
// wraps ErrInitFailed.
func (e *Engine) UpdateSettings(ctx context.Context, function string, change func(*Settings) error) (Settings, error) {
	var out Settings
	_, err := e.updateRecord(ctx, function, func(rec *functionRecord) error {
		s := settingsOf(rec)
		if err := change(&s); err != nil {
			return err
		}
		if err := e.validateSettings(rec, s); err != nil {
			return err
		}
		applySettings(rec, s)
		out = settingsOf(rec)
		return nil
	})
	if err != nil {
		return Settings{}, err
	}
	if err := e.refreshProvisioned(ctx, function, true); err != nil {
		return out, err
	}
	return out, nil
}

// reservedCap is the limiter cap for a reserved concurrency: none (-1) or
// the number.
func reservedCap(n *int) int {
	if n == nil {
		return -1
	}
	return *n
}

func (e *Engine) validateSettings(rec *functionRecord, s Settings) error {
	if r := s.ReservedConcurrency; r != nil && (*r < 0 || *r > e.cfg.MaxConcurrency) {
		return invalid("reserved concurrency %d: must be between 0 and the engine's %d", *r, e.cfg.MaxConcurrency)
	}
	for q, n := range s.ProvisionedConcurrency {
		if _, ok := rec.version(q); !ok {
			if _, ok := rec.Aliases[q]; !ok {
				return fmt.Errorf("%w: %s has no version or alias %q", ErrFunctionNotFound, rec.Name, q)
			}
		}
		switch r := s.ReservedConcurrency; {
		case n < 0 || n > e.cfg.MaxConcurrency:
			return invalid("provisioned concurrency %d for %s: must be between 0 and %d", n, q, e.cfg.MaxConcurrency)
		case r != nil && n > *r:
			return invalid("provisioned concurrency %d for %s is over the reserved %d", n, q, *r)
		}
	}
	if err := e.validateEventConfig(s.EventInvokeConfig); err != nil {
		return err
	}
	sids := map[string]bool{}
	for _, p := range s.InvokePolicy {
		switch {
		case !validSid(p.Sid):
			return invalid("statement id %q: use 1 to 100 letters, digits, hyphens or underscores", p.Sid)
		case sids[p.Sid]:
			return fmt.Errorf("%w: the statement id %s is used twice", ErrConflict, p.Sid)
		case p.Action != ActionInvokeFunction && p.Action != ActionInvokeFunctionURL && p.Action != ActionAll:
			return invalid("action %q: use %s, %s or %s", p.Action, ActionInvokeFunction, ActionInvokeFunctionURL, ActionAll)
		case p.Principal == "" || len(p.Principal) > 256:
			return invalid("statement %s: a principal of 1 to 256 bytes is required", p.Sid)
		case p.Qualifier != "" && !names.Qualifier(p.Qualifier):
			return invalid("statement %s: qualifier %q is not a version or alias name", p.Sid, p.Qualifier)
		case p.FunctionURLAuthType != "" && p.FunctionURLAuthType != AuthNone && p.FunctionURLAuthType != AuthIAM:
			return invalid("statement %s: FunctionUrlAuthType %q: use %s or %s", p.Sid, p.FunctionURLAuthType, AuthNone, AuthIAM)
		case len(p.SourceArn) > 1024:
			return invalid("statement %s: the source ARN is over 1024 bytes", p.Sid)
		}
		sids[p.Sid] = true
	}
	if err := validateTags(s.Tags); err != nil {
		return err
	}
	for q, u := range s.URLs {
		switch {
		case q != "" && q != LatestVersion && !names.Alias(q):
			return invalid("a function URL's qualifier must be an alias or %s, not %q", LatestVersion, q)
		case u.AuthType != AuthNone && u.AuthType != AuthIAM:
			return invalid("URL auth type %q: use %s or %s", u.AuthType, AuthNone, AuthIAM)
		case u.InvokeMode != "" && u.InvokeMode != InvokeModeBuffered && u.InvokeMode != InvokeModeResponseStream:
			return invalid("URL invoke mode %q: use %s or %s", u.InvokeMode, InvokeModeBuffered, InvokeModeResponseStream)
		case u.CORS != nil && (u.CORS.MaxAge < 0 || u.CORS.MaxAge > 86400):
			return invalid("CORS MaxAge %d: must be between 0 and 86400 seconds", u.CORS.MaxAge)
		}
	}
	return nil
}

// validateTags checks tags as Lambda's TagResource does.
func validateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return invalid("%d tags: a function has at most %d", len(tags), MaxTags)
	}
	for k, v := range tags {
		switch {
		case k == "" || utf8.RuneCountInString(k) > 128 || !validTagText(k):
			return invalid("tag key %q: use 1 to 128 letters, digits, spaces and _.:/=+-@", truncated(k, 140))
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return invalid("tag key %q: keys starting with aws: are reserved", truncated(k, 140))
		case utf8.RuneCountInString(v) > 256 || !validTagText(v):
			return invalid("tag %s's value: use at most 256 letters, digits, spaces and _.:/=+-@", truncated(k, 140))
		}
	}
	return nil
}

func validTagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Zs, r) && !strings.ContainsRune("_.:/=+-@", r) {
			return false
		}
	}
	return true
}

func validSid(s string) bool {
	if len(s) == 0 || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// settingsOf returns a record's settings, as a copy.
func settingsOf(rec *functionRecord) Settings {
	s := Settings{ProvisionedConcurrency: maps.Clone(rec.Provisioned)}
	if rec.Reserved != nil {
		n := *rec.Reserved
		s.ReservedConcurrency = &n
	}
	if c := rec.EventConfig; c != nil {
		s.EventInvokeConfig = EventInvokeConfig{MaximumEventAge: c.MaximumEventAge, OnSuccess: c.OnSuccess, OnFailure: c.OnFailure}
		if c.MaximumRetryAttempts != nil {
			n := *c.MaximumRetryAttempts
			s.EventInvokeConfig.MaximumRetryAttempts = &n
		}
	}
	for _, p := range rec.Permissions {
		s.InvokePolicy = append(s.InvokePolicy, Permission{Sid: p.Sid, Action: p.Action, Principal: p.Principal,
			Qualifier: p.Qualifier, FunctionURLAuthType: p.AuthType, SourceArn: p.SourceArn})
	}
	s.Tags = maps.Clone(rec.Tags)
	if len(rec.URLs) > 0 {
		s.URLs = make(map[string]URLConfig, len(rec.URLs))
		for q, u := range rec.URLs {
			s.URLs[q] = u.config()
		}
	}
	return s
}

func (u urlRecord) config() URLConfig {
	c := URLConfig{AuthType: u.AuthType, InvokeMode: u.InvokeMode, Created: u.Created, LastModified: u.LastModified}
	if r := u.CORS; r != nil {
		c.CORS = &CORS{AllowCredentials: r.AllowCredentials, AllowHeaders: slices.Clone(r.AllowHeaders),
			AllowMethods: slices.Clone(r.AllowMethods), AllowOrigins: slices.Clone(r.AllowOrigins),
			ExposeHeaders: slices.Clone(r.ExposeHeaders), MaxAge: r.MaxAge}
	}
	return c
}

// applySettings writes validated settings into a record.
func applySettings(rec *functionRecord, s Settings) {
	rec.Reserved = nil
	if s.ReservedConcurrency != nil {
		n := *s.ReservedConcurrency
		rec.Reserved = &n
	}
	rec.Provisioned = nil
	for q, n := range s.ProvisionedConcurrency {
		if n > 0 {
			if rec.Provisioned == nil {
				rec.Provisioned = map[string]int{}
			}
			rec.Provisioned[q] = n
		}
	}
	rec.EventConfig = nil
	if c := s.EventInvokeConfig; !c.IsZero() {
		rec.EventConfig = &eventConfigRecord{MaximumEventAge: c.MaximumEventAge, OnSuccess: c.OnSuccess, OnFailure: c.OnFailure}
		if c.MaximumRetryAttempts != nil {
			n := *c.MaximumRetryAttempts
			rec.EventConfig.MaximumRetryAttempts = &n
		}
	}
	rec.Permissions = nil
	for _, p := range s.InvokePolicy {
		rec.Permissions = append(rec.Permissions, permissionRecord{Sid: p.Sid, Action: p.Action, Principal: p.Principal,
			Qualifier: p.Qualifier, AuthType: p.FunctionURLAuthType, SourceArn: p.SourceArn})
	}
	rec.Tags = nil
	if len(s.Tags) > 0 {
		rec.Tags = maps.Clone(s.Tags)
	}
	old := rec.URLs
	rec.URLs = nil
	now := time.Now().UTC()
	for q, u := range s.URLs {
		r := urlRecord{AuthType: u.AuthType, InvokeMode: u.InvokeMode, CORS: corsRecordOf(u.CORS)}
		if prev, ok := old[q]; ok {
			r.Created, r.LastModified = prev.Created, prev.LastModified
			if !sameURL(prev, r) {
				r.LastModified = now
			}
		} else {
			r.Created, r.LastModified = now, now
		}
		if rec.URLs == nil {
			rec.URLs = map[string]urlRecord{}
		}
		rec.URLs[q] = r
	}
}

func corsRecordOf(c *CORS) *corsRecord {
	if c == nil {
		return nil
	}
	return &corsRecord{AllowCredentials: c.AllowCredentials, AllowHeaders: slices.Clone(c.AllowHeaders),
		AllowMethods: slices.Clone(c.AllowMethods), AllowOrigins: slices.Clone(c.AllowOrigins),
		ExposeHeaders: slices.Clone(c.ExposeHeaders), MaxAge: c.MaxAge}
}

// sameURL reports whether a URL's configuration is unchanged (so that its
// LastModified stays).
func sameURL(a, b urlRecord) bool {
	if a.AuthType != b.AuthType || a.InvokeMode != b.InvokeMode || (a.CORS == nil) != (b.CORS == nil) {
		return false
	}
	if a.CORS == nil {
		return true
	}
	x, y := a.CORS, b.CORS
	return x.AllowCredentials == y.AllowCredentials && x.MaxAge == y.MaxAge &&
		slices.Equal(x.AllowHeaders, y.AllowHeaders) && slices.Equal(x.AllowMethods, y.AllowMethods) &&
		slices.Equal(x.AllowOrigins, y.AllowOrigins) && slices.Equal(x.ExposeHeaders, y.ExposeHeaders)
}
