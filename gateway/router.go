package gateway

import (
	"net/http"
	"strings"
)

// access says who may call a route.
type access uint8

const (
	// public routes need no signature: health, metrics and function URLs
	// (which check their own auth type).
	public access = iota
	// signed routes need a valid signature by any key; the handler decides
	// (Invoke checks the function's invoke policy).
	signed
	// admin routes need an admin's key.
	admin
	// schedulerAdmin routes are the EventBridge Scheduler API: an admin's
	// key, with the request signed for the "scheduler" service (a request
	// signed for "lambda" cannot call them, nor one signed for
	// "scheduler" the other routes).
	schedulerAdmin
)

// route is one operation: a method and a path pattern, the handler, and
// who may call it. Patterns are slash-separated segments: a literal, a
// parameter ("{name}"), or, last, a parameter that takes the rest of the
// path ("{path...}"). The parameter {fn} is a function name (NAME,
// NAME:QUALIFIER or an ARN) and is parsed into call.fn, with the request's
// Qualifier query parameter, before the handler runs.
type route struct {
	method  string // "" matches every method
	pattern string
	op      string // the operation's name, as Lambda names it
	access  access
	handle  func(g *Gateway, c *call) error
}

// routes is the gateway's whole API: every operation it serves, in one
// table. The first segment of a Lambda path is the API version the
// operation belongs to, as in Lambda's own paths.
var routes = [...]route{
	// Health and metrics.
	{"GET", "/healthz", "Health", public, (*Gateway).healthz},
	{"GET", "/readyz", "Ready", public, (*Gateway).readyz},
	{"GET", "/metrics", "Metrics", public, (*Gateway).serveMetrics},
	// Function URLs.
	{"", "/fn/{target}/{path...}", "InvokeFunctionUrl", public, (*Gateway).serveFunctionURL},
	{"", "/fn/{target}", "InvokeFunctionUrl", public, (*Gateway).serveFunctionURL},
	{"", "/fn", "InvokeFunctionUrl", public, (*Gateway).serveFunctionURL}, // no function: Not Found

	// The Lambda API.
	{"GET", "/2015-03-31/functions", "ListFunctions", admin, (*Gateway).listFunctions},
	{"POST", "/2015-03-31/functions", "CreateFunction", admin, (*Gateway).createFunction},
	{"GET", "/2015-03-31/functions/{fn}", "GetFunction", admin, (*Gateway).getFunction},
	{"DELETE", "/2015-03-31/functions/{fn}", "DeleteFunction", admin, (*Gateway).deleteFunction},
	{"GET", "/2015-03-31/functions/{fn}/configuration", "GetFunctionConfiguration", admin, (*Gateway).getConfiguration},
	{"PUT", "/2015-03-31/functions/{fn}/configuration", "UpdateFunctionConfiguration", admin, (*Gateway).updateConfiguration},
	{"PUT", "/2015-03-31/functions/{fn}/code", "UpdateFunctionCode", admin, (*Gateway).updateCode},
	{"POST", "/2015-03-31/functions/{fn}/invocations", "Invoke", signed, (*Gateway).invoke},
	{"POST", "/2021-11-15/functions/{fn}/response-streaming-invocations", "InvokeWithResponseStream", signed, (*Gateway).invokeStream},
	{"GET", "/2015-03-31/functions/{fn}/versions", "ListVersionsByFunction", admin, (*Gateway).listVersions},
	{"POST", "/2015-03-31/functions/{fn}/versions", "PublishVersion", admin, (*Gateway).publishVersion},
	{"GET", "/2015-03-31/functions/{fn}/aliases", "ListAliases", admin, (*Gateway).listAliases},
	{"POST", "/2015-03-31/functions/{fn}/aliases", "CreateAlias", admin, (*Gateway).createAlias},
	{"GET", "/2015-03-31/functions/{fn}/aliases/{alias}", "GetAlias", admin, (*Gateway).getAlias},
	{"PUT", "/2015-03-31/functions/{fn}/aliases/{alias}", "UpdateAlias", admin, (*Gateway).updateAlias},
	{"DELETE", "/2015-03-31/functions/{fn}/aliases/{alias}", "DeleteAlias", admin, (*Gateway).deleteAlias},
	{"GET", "/2015-03-31/functions/{fn}/policy", "GetPolicy", admin, (*Gateway).getPolicy},
	{"POST", "/2015-03-31/functions/{fn}/policy", "AddPermission", admin, (*Gateway).addPermission},
	{"DELETE", "/2015-03-31/functions/{fn}/policy/{sid}", "RemovePermission", admin, (*Gateway).removePermission},
	{"PUT", "/2017-10-31/functions/{fn}/concurrency", "PutFunctionConcurrency", admin, (*Gateway).putConcurrency},
	{"DELETE", "/2017-10-31/functions/{fn}/concurrency", "DeleteFunctionConcurrency", admin, (*Gateway).deleteConcurrency},
	{"GET", "/2019-09-30/functions/{fn}/concurrency", "GetFunctionConcurrency", admin, (*Gateway).getConcurrency},
	{"PUT", "/2019-09-30/functions/{fn}/provisioned-concurrency", "PutProvisionedConcurrencyConfig", admin, (*Gateway).putProvisioned},
	{"GET", "/2019-09-30/functions/{fn}/provisioned-concurrency", "GetProvisionedConcurrencyConfig", admin, (*Gateway).getProvisioned},
	{"DELETE", "/2019-09-30/functions/{fn}/provisioned-concurrency", "DeleteProvisionedConcurrencyConfig", admin, (*Gateway).deleteProvisioned},
	{"PUT", "/2019-09-25/functions/{fn}/event-invoke-config", "PutFunctionEventInvokeConfig", admin, (*Gateway).putEventInvokeConfig},
	{"POST", "/2019-09-25/functions/{fn}/event-invoke-config", "UpdateFunctionEventInvokeConfig", admin, (*Gateway).updateEventInvokeConfig},
	{"GET", "/2019-09-25/functions/{fn}/event-invoke-config", "GetFunctionEventInvokeConfig", admin, (*Gateway).getEventInvokeConfig},
	{"DELETE", "/2019-09-25/functions/{fn}/event-invoke-config", "DeleteFunctionEventInvokeConfig", admin, (*Gateway).deleteEventInvokeConfig},
	{"POST", "/2021-10-31/functions/{fn}/url", "CreateFunctionUrlConfig", admin, (*Gateway).createURL},
	{"GET", "/2021-10-31/functions/{fn}/url", "GetFunctionUrlConfig", admin, (*Gateway).getURL},
	{"PUT", "/2021-10-31/functions/{fn}/url", "UpdateFunctionUrlConfig", admin, (*Gateway).updateURL},
	{"DELETE", "/2021-10-31/functions/{fn}/url", "DeleteFunctionUrlConfig", admin, (*Gateway).deleteURL},
	{"POST", "/2015-03-31/event-source-mappings", "CreateEventSourceMapping", admin, (*Gateway).createEventSourceMapping},
	{"GET", "/2015-03-31/event-source-mappings", "ListEventSourceMappings", admin, (*Gateway).listEventSourceMappings},
	{"GET", "/2015-03-31/event-source-mappings/{uuid}", "GetEventSourceMapping", admin, (*Gateway).getEventSourceMapping},
	{"PUT", "/2015-03-31/event-source-mappings/{uuid}", "UpdateEventSourceMapping", admin, (*Gateway).updateEventSourceMapping},
	{"DELETE", "/2015-03-31/event-source-mappings/{uuid}", "DeleteEventSourceMapping", admin, (*Gateway).deleteEventSourceMapping},
	{"GET", "/2017-03-31/tags/{fn}", "ListTags", admin, (*Gateway).listTags},
	{"POST", "/2017-03-31/tags/{fn}", "TagResource", admin, (*Gateway).tagFunction},
	{"DELETE", "/2017-03-31/tags/{fn}", "UntagResource", admin, (*Gateway).untagFunction},

	// Flint's own API: what Lambda has no API for.
	{"GET", "/flint/v1/roles", "ListRoles", admin, (*Gateway).listRoles},
	{"GET", "/flint/v1/roles/{role}", "GetRole", admin, (*Gateway).getRole},
	{"PUT", "/flint/v1/roles/{role}", "PutRole", admin, (*Gateway).putRole},
	{"DELETE", "/flint/v1/roles/{role}", "DeleteRole", admin, (*Gateway).deleteRole},
	{"GET", "/flint/v1/usage", "GetUsage", admin, (*Gateway).usage},
	{"GET", "/flint/v1/cluster", "GetClusterStatus", admin, (*Gateway).clusterStatus},
	{"GET", "/flint/v1/dead-letters", "ListDeadLetters", admin, (*Gateway).listDeadLetters},
	{"GET", "/flint/v1/dead-letters/{id}", "GetDeadLetter", admin, (*Gateway).getDeadLetter},
	{"DELETE", "/flint/v1/dead-letters/{id}", "DeleteDeadLetter", admin, (*Gateway).deleteDeadLetter},
	{"POST", "/flint/v1/dead-letters/{id}/redrive", "RedriveDeadLetter", admin, (*Gateway).redriveDeadLetter},
	{"GET", "/flint/v1/functions/{fn}/logs", "GetLogs", admin, (*Gateway).serveLogs},
	{"GET", "/flint/v1/functions/{fn}/code", "GetCode", admin, (*Gateway).serveCode},

	// The EventBridge Scheduler API (scheduler.go), signed for "scheduler".
	{"GET", "/schedules", "ListSchedules", schedulerAdmin, (*Gateway).listSchedules},
	{"POST", "/schedules/{schedule}", "CreateSchedule", schedulerAdmin, (*Gateway).createSchedule},
	{"GET", "/schedules/{schedule}", "GetSchedule", schedulerAdmin, (*Gateway).getSchedule},
	{"PUT", "/schedules/{schedule}", "UpdateSchedule", schedulerAdmin, (*Gateway).updateSchedule},
	{"DELETE", "/schedules/{schedule}", "DeleteSchedule", schedulerAdmin, (*Gateway).deleteSchedule},
	{"GET", "/schedule-groups", "ListScheduleGroups", schedulerAdmin, (*Gateway).listScheduleGroups},
	{"POST", "/schedule-groups/{group}", "CreateScheduleGroup", schedulerAdmin, (*Gateway).createScheduleGroup},
	{"GET", "/schedule-groups/{group}", "GetScheduleGroup", schedulerAdmin, (*Gateway).getScheduleGroup},
	{"DELETE", "/schedule-groups/{group}", "DeleteScheduleGroup", schedulerAdmin, (*Gateway).deleteScheduleGroup},
	{"GET", "/tags/{arn...}", "ListTagsForResource", schedulerAdmin, (*Gateway).listTagsForResource},
	{"POST", "/tags/{arn...}", "TagResource", schedulerAdmin, (*Gateway).tagResource},
	{"DELETE", "/tags/{arn...}", "UntagResource", schedulerAdmin, (*Gateway).untagResource},
	{"GET", "/flint/v1/streams", "ListStreams", admin, (*Gateway).listStreams},
	{"GET", "/flint/v1/streams/{stream}", "GetStream", admin, (*Gateway).getStream},
	{"PUT", "/flint/v1/streams/{stream}", "PutStream", admin, (*Gateway).putStream},
	{"DELETE", "/flint/v1/streams/{stream}", "DeleteStream", admin, (*Gateway).deleteStream},
	{"POST", "/flint/v1/streams/{stream}/messages", "PublishMessages", admin, (*Gateway).publishMessages},
	{"GET", "/flint/v1/event-source-mappings/{uuid}/stats", "GetEventSourceMappingStats", admin, (*Gateway).eventSourceMappingStats},
	// The web console (gateway/console), which signs its users in itself.
	{"", "/console", "Console", public, (*Gateway).serveConsole},
	{"", "/console/{path...}", "Console", public, (*Gateway).serveConsole},
}

// maxParams is the most parameters a pattern has.
const maxParams = 3

// router finds the route of a request: a tree of path segments, built once
// from the table.
type router struct {
	root node
}

// node is a path segment: its literal children, its parameter child, and
// the routes that end here, by method.
type node struct {
	literal map[string]*node
	param   *node
	name    string // the parameter's name, for a parameter node
	rest    bool   // the parameter takes the rest of the path
	routes  []*route
}

func newRouter(table []route) *router {
	r := &router{}
	for i := range table {
		rt := &table[i]
		n := &r.root
		for seg := range strings.SplitSeq(strings.Trim(rt.pattern, "/"), "/") {
			if name, ok := strings.CutPrefix(seg, "{"); ok {
				name = strings.TrimSuffix(name, "}")
				name, rest := strings.CutSuffix(name, "...")
				if n.param == nil {
					n.param = &node{name: name, rest: rest}
				}
				if n.param.name != name || n.param.rest != rest {
					panic("gateway: routes disagree on a parameter: " + rt.pattern)
				}
				n = n.param
				continue
			}
			if n.literal == nil {
				n.literal = map[string]*node{}
			}
			if n.literal[seg] == nil {
				n.literal[seg] = &node{}
			}
			n = n.literal[seg]
		}
		n.routes = append(n.routes, rt)
	}
	return r
}

// params are the values of a matched route's parameters.
type params struct {
	n      int
	names  [maxParams]string
	values [maxParams]string
}

// get returns the value of parameter name ("" when absent).
func (p *params) get(name string) string {
	for i := range p.n {
		if p.names[i] == name {
			return p.values[i]
		}
	}
	return ""
}

// match finds the route for method and path. It returns the route, or nil
// and the status that says why none: 404 for a path no route has, 405 for
// a path whose routes take other methods. A literal segment wins over a
// parameter.
func (r *router) match(method, path string, p *params) (*route, int) {
	n := &r.root
	rest := strings.TrimPrefix(path, "/")
	for rest != "" {
		seg, after, _ := strings.Cut(rest, "/")
		if next := n.literal[seg]; next != nil {
			n, rest = next, after
			continue
		}
		next := n.param
		if next == nil || p.n == maxParams || (seg == "" && !next.rest) {
			return nil, http.StatusNotFound
		}
		p.names[p.n] = next.name
		if next.rest {
			p.values[p.n] = rest
			p.n++
			n, rest = next, ""
			break
		}
		p.values[p.n] = seg
		p.n++
		n, rest = next, after
	}
	if len(n.routes) == 0 {
		return nil, http.StatusNotFound
	}
	for _, rt := range n.routes {
		if rt.method == "" || rt.method == method {
			return rt, 0
		}
	}
	return nil, http.StatusMethodNotAllowed
}
