package policy

import (
	"fmt"
	"strconv"
)

// Action is a capability a function may call through the host ABI. The zero
// value is not an action; a policy never allows it.
type Action uint8

// The known actions. Their names in a policy document are what String
// returns.
const (
	// KVGet reads one key. Resource: kv:STORE/KEY.
	KVGet Action = iota + 1
	// KVPut writes one key. Resource: kv:STORE/KEY.
	KVPut
	// KVDelete deletes one key. Resource: kv:STORE/KEY.
	KVDelete
	// KVList lists keys by prefix. Resource: kv:STORE/PREFIX.
	KVList
	// HTTPFetch makes an outbound HTTP request. Resource: the full request
	// URL, checked again for every redirect hop.
	HTTPFetch
	// FnInvoke invokes another function. Resource: fn:NAME or
	// fn:NAME:QUALIFIER.
	FnInvoke
	// FSRead reads a file. Resource: fs:/PATH, the cleaned path as the guest
	// sees it.
	FSRead
	// FSWrite writes a file. Resource: fs:/PATH.
	FSWrite
	// ConfigGet reads a configuration value. Resource: config:NAME.
	ConfigGet

	// numActions is one past the last action, for per-action arrays.
	numActions
)

// service is the family an action belongs to; a resource applies to the
// actions of its own service only.
type service uint8

const (
	svcNone service = iota
	svcKV
	svcHTTP
	svcFn
	svcFS
	svcConfig
	// svcApp is the embedder's own host capabilities: an open set of
	// actions app:NAME, which are not Action values (see AppPrefix).
	svcApp
)

// actionInfo holds what is known about each action, indexed by Action.
// Like the other tables here it is read-only.
var actionInfo = [numActions]struct {
	name string
	svc  service
}{
	KVGet:     {"kv:Get", svcKV},
	KVPut:     {"kv:Put", svcKV},
	KVDelete:  {"kv:Delete", svcKV},
	KVList:    {"kv:List", svcKV},
	HTTPFetch: {"http:Fetch", svcHTTP},
	FnInvoke:  {"fn:Invoke", svcFn},
	FSRead:    {"fs:Read", svcFS},
	FSWrite:   {"fs:Write", svcFS},
	ConfigGet: {"config:Get", svcConfig},
}

// serviceNames are the prefixes of action names, indexed by service.
var serviceNames = [...]string{
	svcKV:     "kv",
	svcHTTP:   "http",
	svcFn:     "fn",
	svcFS:     "fs",
	svcConfig: "config",
	svcApp:    "app",
}

// serviceArticles are the indefinite articles for serviceNames, for
// messages: "an http resource", "a kv resource".
var serviceArticles = [...]string{
	svcKV:     "a",
	svcHTTP:   "an",
	svcFn:     "an",
	svcFS:     "an",
	svcConfig: "a",
	svcApp:    "an",
}

// valid reports whether a is one of the known actions.
func (a Action) valid() bool { return a > 0 && a < numActions }

// String returns the action's name as written in a policy document, such as
// "kv:Get", or "Action(N)" for a value that is not a known action.
func (a Action) String() string {
	if !a.valid() {
		return "Action(" + strconv.Itoa(int(a)) + ")"
	}
	return actionInfo[a].name
}

// service returns the action's service, or svcNone for an unknown action.
func (a Action) service() service {
	if !a.valid() {
		return svcNone
	}
	return actionInfo[a].svc
}

// ParseAction returns the action named name ("kv:Get", "http:Fetch", ...).
// Names are case-sensitive and contain no wildcards. The error for any other
// name wraps ErrUnknownAction.
func ParseAction(name string) (Action, error) {
	for a := Action(1); a < numActions; a++ {
		if actionInfo[a].name == name {
			return a, nil
		}
	}
	return 0, fmt.Errorf("policy: %q: %w", name, ErrUnknownAction)
}

// AppPrefix starts the actions and the resources of the host application's
// own capabilities (an embedder's engine.Config.HostCapabilities): a
// capability named NAME is the action "app:NAME" ("app:orders.Get"), and
// it is checked on a resource the capability names, which starts with
// "app:" too ("app:orders/tenant-42/o-17"). The set of such actions is
// open — every valid name is one — so they are not Action values:
// evaluate them with Policy.EvaluateApp.
const AppPrefix = "app:"

// MaxAppNameLen bounds the name of a host capability.
const MaxAppNameLen = 128

// ValidAppName reports whether name can name a host capability: 1 to 128
// ASCII letters, digits, '_', '.' and '-', starting with a letter
// ("orders.Get", "billing.v2.charge").
func ValidAppName(name string) bool {
	if len(name) == 0 || len(name) > MaxAppNameLen || !isLetter(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// isLetter reports whether c is an ASCII letter.
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// validAppAction reports whether action is "app:" followed by a valid
// capability name.
func validAppAction(action string) bool {
	return len(action) > len(AppPrefix) && action[:len(AppPrefix)] == AppPrefix && ValidAppName(action[len(AppPrefix):])
}
