package urlevent

import (
	"encoding/base64"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/flintfaas/flint/internal/ascii"
	"github.com/flintfaas/flint/internal/jsonstr"
	"github.com/flintfaas/flint/internal/mediatype"
)

// Header is one HTTP header field. A request's or a response's headers are
// a list of them, in order, where a name may repeat; names are compared
// without regard to case.
type Header struct {
	Name  string
	Value string
}

// IAMCaller is the caller of a function URL whose auth type is AWS_IAM, as
// its signature identified it: requestContext.authorizer.iam.
type IAMCaller struct {
	AccessKey      string // "AKIAIOSFODNN7EXAMPLE"
	AccountID      string // the caller's account, "111122223333"
	CallerID       string // "AIDACKCEVSQ6C2EXAMPLE"
	PrincipalOrgID string // empty: null
	UserARN        string // "arn:aws:iam::111122223333:user/example-user"
	UserID         string
}

// Request is one HTTP request to a function URL, as the gateway received
// it, with what the gateway knows about the URL. Only Method and RawPath
// are required; the zero value of every other field is sent as an empty
// string (Time as the Unix epoch).
type Request struct {
	// Method is the request method, "GET".
	Method string
	// RawPath is the path after the function URL's prefix, as received
	// (percent-encoded), starting with "/": for /fn/orders:live/items/a%2Fb
	// it is "/items/a%2Fb".
	RawPath string
	// RawQuery is the query string as received, without "?".
	RawQuery string
	// Host is the Host the request was sent to. It is the "host" header
	// unless Headers has one, and domainName unless DomainName is set.
	Host string
	// SourceIP is the address of the immediate TCP peer, without its port.
	SourceIP string
	// UserAgent is requestContext.http.userAgent; empty: the User-Agent
	// header.
	UserAgent string
	// Protocol is the request's protocol; empty: "HTTP/1.1".
	Protocol string
	// Headers are the request's header fields in the order received,
	// Cookie headers included (they become the event's cookies).
	Headers []Header
	// Body is the request body; it is not retained.
	Body []byte
	// RequestID is the invocation's request id.
	RequestID string
	// Time is when the request arrived.
	Time time.Time
	// URLID identifies the function URL: requestContext.apiId.
	URLID string
	// DomainName is requestContext.domainName, the URL's host; empty: Host.
	// Its first label is requestContext.domainPrefix.
	DomainName string
	// AccountID is requestContext.accountId; empty: "anonymous", which is
	// what Lambda sends for a function URL whose auth type is NONE.
	AccountID string
	// IAM is the caller when the URL's auth type is AWS_IAM; nil omits
	// requestContext.authorizer.
	IAM *IAMCaller
}

// timeLayout is requestContext.time's format: "07/Sep/2021:22:50:22 +0000".
const timeLayout = "02/Jan/2006:15:04:05 -0700"

// Event returns the payload format 2.0 event for r, as the package
// documentation describes it. Its error is a *RequestError when r.Method is
// not an HTTP token or r.RawPath does not start with "/".
func Event(r Request) ([]byte, error) {
	if !validToken(r.Method) {
		return nil, &RequestError{Field: "Method", Reason: strconv.Quote(r.Method) + " is not an HTTP method (a token such as GET)"}
	}
	if r.RawPath == "" || r.RawPath[0] != '/' {
		return nil, &RequestError{Field: "RawPath", Reason: strconv.Quote(r.RawPath) + ` does not start with "/"`}
	}

	// One pass over the headers: pick out cookies and the headers the
	// event also reads, and list the others to be sorted by name.
	var (
		idxBuf        [32]int
		idx           = idxBuf[:0]
		contentType   string
		userAgent     string
		haveType      bool
		haveUserAgent bool
		haveHost      bool
		haveCookies   bool
		size          = 640 + len(r.RawPath)*2 + len(r.RawQuery)*3 + base64.StdEncoding.EncodedLen(len(r.Body))
	)
	for i, h := range r.Headers {
		size += len(h.Name) + len(h.Value) + 8
		switch {
		case h.Name == "":
			continue
		case ascii.EqualFold(h.Name, "cookie"):
			haveCookies = haveCookies || hasCookie(h.Value)
			continue
		case ascii.EqualFold(h.Name, "content-type"):
			if !haveType {
				contentType, haveType = h.Value, true
			}
		case ascii.EqualFold(h.Name, "user-agent"):
			if !haveUserAgent {
				userAgent, haveUserAgent = h.Value, true
			}
		case ascii.EqualFold(h.Name, "host"):
			haveHost = true
		}
		idx = append(idx, i)
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return ascii.CompareFold(r.Headers[a].Name, r.Headers[b].Name)
	})
	if r.UserAgent != "" {
		userAgent = r.UserAgent
	}
	domain := r.DomainName
	if domain == "" {
		domain = r.Host
	}

	b := make([]byte, 0, size)
	b = append(b, `{"version":"2.0","routeKey":"$default","rawPath":`...)
	b = jsonstr.Append(b, r.RawPath)
	b = append(b, `,"rawQueryString":`...)
	b = jsonstr.Append(b, r.RawQuery)
	if haveCookies {
		b = append(b, `,"cookies":[`...)
		first := true
		for _, h := range r.Headers {
			if h.Name != "" && ascii.EqualFold(h.Name, "cookie") {
				b, first = appendCookies(b, h.Value, first)
			}
		}
		b = append(b, ']')
	}

	b = append(b, `,"headers":{`...)
	hostPending := !haveHost && r.Host != ""
	for i := 0; i < len(idx); {
		name := r.Headers[idx[i]].Name
		if hostPending && ascii.CompareFold(name, "host") > 0 {
			b = appendHostHeader(b, r.Host, i == 0)
			hostPending = false
		}
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = appendLowerContent(b, name)
		b = append(b, `":"`...)
		b = jsonstr.AppendContent(b, r.Headers[idx[i]].Value)
		j := i + 1
		for ; j < len(idx) && ascii.EqualFold(r.Headers[idx[j]].Name, name); j++ {
			b = append(b, ',')
			b = jsonstr.AppendContent(b, r.Headers[idx[j]].Value)
		}
		b = append(b, '"')
		i = j
	}
	if hostPending {
		b = appendHostHeader(b, r.Host, len(idx) == 0)
	}
	b = append(b, '}')

	b = appendQuery(b, r.RawQuery)

	b = append(b, `,"requestContext":{"accountId":`...)
	if r.AccountID == "" {
		b = append(b, `"anonymous"`...)
	} else {
		b = jsonstr.Append(b, r.AccountID)
	}
	b = append(b, `,"apiId":`...)
	b = jsonstr.Append(b, r.URLID)
	if r.IAM != nil {
		b = appendIAM(b, r.IAM)
	}
	b = append(b, `,"domainName":`...)
	b = jsonstr.Append(b, domain)
	b = append(b, `,"domainPrefix":`...)
	b = jsonstr.Append(b, domainPrefix(domain))
	b = append(b, `,"http":{"method":`...)
	b = jsonstr.Append(b, r.Method)
	b = append(b, `,"path":`...)
	b = jsonstr.Append(b, r.RawPath)
	b = append(b, `,"protocol":`...)
	if r.Protocol == "" {
		b = append(b, `"HTTP/1.1"`...)
	} else {
		b = jsonstr.Append(b, r.Protocol)
	}
	b = append(b, `,"sourceIp":`...)
	b = jsonstr.Append(b, r.SourceIP)
	b = append(b, `,"userAgent":`...)
	b = jsonstr.Append(b, userAgent)
	b = append(b, `},"requestId":`...)
	b = jsonstr.Append(b, r.RequestID)
	b = append(b, `,"routeKey":"$default","stage":"$default","time":"`...)
	t := r.Time.UTC()
	if r.Time.IsZero() {
		t = time.UnixMilli(0).UTC()
	}
	b = t.AppendFormat(b, timeLayout)
	b = append(b, `","timeEpoch":`...)
	b = strconv.AppendInt(b, t.UnixMilli(), 10)
	b = append(b, '}')

	switch {
	case len(r.Body) == 0:
		b = append(b, `,"isBase64Encoded":false}`...)
	case haveType && mediatype.IsText(contentType, r.Body):
		b = append(b, `,"body":`...)
		// A view, not a copy: appendString only reads it.
		b = jsonstr.Append(b, unsafe.String(unsafe.SliceData(r.Body), len(r.Body)))
		b = append(b, `,"isBase64Encoded":false}`...)
	default:
		b = append(b, `,"body":"`...)
		b = base64.StdEncoding.AppendEncode(b, r.Body)
		b = append(b, `","isBase64Encoded":true}`...)
	}
	return b, nil
}

func appendHostHeader(b []byte, host string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, `"host":`...)
	return jsonstr.Append(b, host)
}

// hasCookie reports whether a Cookie header value holds a cookie.
func hasCookie(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != ';' && c != ' ' && c != '\t' {
			return true
		}
	}
	return false
}

// appendCookies appends the cookies of one Cookie header value as array
// elements; first says whether the array is still empty.
func appendCookies(b []byte, v string, first bool) ([]byte, bool) {
	for v != "" {
		var c string
		if i := strings.IndexByte(v, ';'); i >= 0 {
			c, v = v[:i], v[i+1:]
		} else {
			c, v = v, ""
		}
		if c = strings.Trim(c, " \t"); c == "" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		b, first = jsonstr.Append(b, c), false
	}
	return b, first
}

// param is one decoded query parameter.
type param struct{ key, value string }

// appendQuery appends queryStringParameters for rawQuery, if it has any.
func appendQuery(b []byte, rawQuery string) []byte {
	var buf [16]param
	params := buf[:0]
	for q := rawQuery; q != ""; {
		var pair string
		if i := strings.IndexByte(q, '&'); i >= 0 {
			pair, q = q[:i], q[i+1:]
		} else {
			pair, q = q, ""
		}
		key, value, _ := strings.Cut(pair, "=")
		if key = formUnescape(key); key == "" {
			continue
		}
		params = append(params, param{key, formUnescape(value)})
	}
	if len(params) == 0 {
		return b
	}
	slices.SortStableFunc(params, func(x, y param) int { return strings.Compare(x.key, y.key) })
	b = append(b, `,"queryStringParameters":{`...)
	for i := 0; i < len(params); {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, params[i].key)
		b = append(b, `:"`...)
		b = jsonstr.AppendContent(b, params[i].value)
		j := i + 1
		for ; j < len(params) && params[j].key == params[i].key; j++ {
			b = append(b, ',')
			b = jsonstr.AppendContent(b, params[j].value)
		}
		b = append(b, '"')
		i = j
	}
	return append(b, '}')
}

// formUnescape decodes a query component as a form does ("+" is a space),
// keeping it as received when an escape is malformed.
func formUnescape(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func appendIAM(b []byte, c *IAMCaller) []byte {
	b = append(b, `,"authorizer":{"iam":{"accessKey":`...)
	b = jsonstr.Append(b, c.AccessKey)
	b = append(b, `,"accountId":`...)
	b = jsonstr.Append(b, c.AccountID)
	b = append(b, `,"callerId":`...)
	b = jsonstr.Append(b, c.CallerID)
	b = append(b, `,"cognitoIdentity":null,"principalOrgId":`...)
	if c.PrincipalOrgID == "" {
		b = append(b, `null`...)
	} else {
		b = jsonstr.Append(b, c.PrincipalOrgID)
	}
	b = append(b, `,"userArn":`...)
	b = jsonstr.Append(b, c.UserARN)
	b = append(b, `,"userId":`...)
	b = jsonstr.Append(b, c.UserID)
	return append(b, `}}`...)
}

// domainPrefix is requestContext.domainPrefix for a domain name: its first
// label, "abc" for "abc.lambda-url.us-east-1.on.aws" (the URL id, on
// Lambda). A port is left out, and an IP address is kept whole.
func domainPrefix(domain string) string {
	host := domain
	switch {
	case strings.HasPrefix(host, "["): // "[::1]:8080"
		if i := strings.IndexByte(host, ']'); i > 0 {
			return host[1:i]
		}
	case strings.Count(host, ":") == 1: // a port; more colons: IPv6
		host = host[:strings.IndexByte(host, ':')]
	}
	// Checked only when it may be one: a failed parse allocates its error.
	if host != "" && ('0' <= host[0] && host[0] <= '9' || strings.IndexByte(host, ':') >= 0) {
		if _, err := netip.ParseAddr(host); err == nil {
			return host
		}
	}
	if i := strings.IndexByte(host, '.'); i >= 0 {
		return host[:i]
	}
	return host
}

// validToken reports whether s is an HTTP token (RFC 9110, section 5.6.2),
// the syntax of methods and header names.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
