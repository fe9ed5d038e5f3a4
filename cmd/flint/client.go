package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/urfave/cli/v2"
)

// Defaults of the client commands' connection flags.
const (
	defaultEndpoint = "http://127.0.0.1:8080"
	defaultRegion   = "us-east-1"
	// signingService is the SigV4 service name the server checks: the
	// Lambda API and Flint's own API are both signed for "lambda".
	signingService = "lambda"
)

// connectionFlags say which server to talk to and how to sign.
func connectionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "endpoint", Value: defaultEndpoint, Usage: "the Flint server's `URL`", EnvVars: []string{"FLINT_ENDPOINT"}},
		&cli.StringFlag{Name: "region", Usage: "the `REGION` requests are signed for", EnvVars: []string{"AWS_REGION", "AWS_DEFAULT_REGION"},
			DefaultText: "the profile's, else " + defaultRegion},
		&cli.StringFlag{Name: "access-key", Usage: "sign requests with the access key `ID` (else $AWS_ACCESS_KEY_ID, else the profile's; none: unsigned)", EnvVars: []string{"FLINT_ACCESS_KEY"}},
		&cli.StringFlag{Name: "secret-key", Usage: "the access key's secret `KEY` (else $AWS_SECRET_ACCESS_KEY, else the profile's)", EnvVars: []string{"FLINT_SECRET_KEY"}},
		&cli.StringFlag{Name: "profile", Usage: "take the access key and region from `NAME`, a profile of ~/.aws/credentials and ~/.aws/config", EnvVars: []string{"AWS_PROFILE"},
			DefaultText: "default, when it exists"},
	}
}

// clientFlags are the flags of a command that talks to a server and
// prints a result: the connection flags and --output.
func clientFlags() []cli.Flag {
	return append(connectionFlags(),
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: text (tables) or json"})
}

// withClientFlags appends the connection flags to a command's own.
func withClientFlags(flags ...cli.Flag) []cli.Flag { return append(flags, clientFlags()...) }

// client talks to a Flint server: the Lambda API through the AWS SDK, and
// Flint's own /flint/v1 API through an http.Client that signs as the SDK
// does.
type client struct {
	cmd      string // "flint deploy", for messages
	endpoint string
	lambda   *lambda.Client
	http     *http.Client
	json     bool
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer

	// scheduler is the AWS SDK's EventBridge Scheduler client, which
	// signs for "scheduler".
	scheduler *scheduler.Client
	// region is the one requests are signed for: --region, the profile's,
	// or the default.
	region string
}

// clientAction runs fn with a client built from the command's flags.
func clientAction(fn func(c *cli.Context, cl *client) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		cl, err := newClient(c)
		if err != nil {
			return err
		}
		return fn(c, cl)
	}
}

// newClient builds a client from the connection flags. Credentials come
// from --access-key/--secret-key (or FLINT_ACCESS_KEY/FLINT_SECRET_KEY),
// else from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else from the profile
// (--profile or AWS_PROFILE, else "default" when there is one) of the AWS
// CLI's shared files; with none, requests go unsigned, which a server
// without keys accepts. The region comes from --region (or AWS_REGION),
// else the profile, else us-east-1.
func newClient(c *cli.Context) (*client, error) {
	name := commandName(c)
	cl := &client{cmd: name, stdin: c.App.Reader, stdout: c.App.Writer, stderr: c.App.ErrWriter}
	switch out := c.String("output"); out {
	case "", "text": // "": a command without --output
	case "json":
		cl.json = true
	default:
		return nil, usageErrorf("%s: --output %q: use text or json", name, out)
	}
	u, err := url.Parse(c.String("endpoint"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("%s: --endpoint %q: want a URL such as %s", name, c.String("endpoint"), defaultEndpoint)
	}
	cl.endpoint = strings.TrimSuffix(u.String(), "/")

	id, secret, token := c.String("access-key"), c.String("secret-key"), ""
	if id == "" && secret == "" {
		id, secret, token = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")
	}
	if (id == "") != (secret == "") {
		return nil, usageErrorf("%s: give both an access key and its secret (--access-key and --secret-key, or FLINT_ACCESS_KEY and FLINT_SECRET_KEY)", name)
	}
	region := c.String("region")
	if id == "" || region == "" {
		profileName, explicit := c.String("profile"), c.IsSet("profile")
		if profileName == "" {
			profileName, explicit = "default", false
		}
		p, err := loadProfile(c.Context, name, profileName, explicit)
		if err != nil {
			return nil, err
		}
		if id == "" && p.creds.HasKeys() {
			id, secret, token = p.creds.AccessKeyID, p.creds.SecretAccessKey, p.creds.SessionToken
		}
		if region == "" {
			region = p.region
		}
	}
	if region == "" {
		region = defaultRegion
	}
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if id != "" {
		creds = credentials.NewStaticCredentialsProvider(id, secret, token)
	}

	// No overall timeout: a synchronous invocation may run for 15 minutes
	// and "logs --follow" for as long as the user likes. Ctrl-C cancels.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = 0
	hc := &http.Client{Transport: transport}
	cl.lambda = lambda.New(lambda.Options{
		Region:       region,
		BaseEndpoint: aws.String(cl.endpoint),
		Credentials:  creds,
		HTTPClient:   hc,
		// One attempt: the command reports what happened, and a retried
		// synchronous invocation would run the function twice.
		RetryMaxAttempts: 1,
	})
	cl.scheduler = scheduler.New(scheduler.Options{
		Region:           region,
		BaseEndpoint:     aws.String(cl.endpoint),
		Credentials:      creds,
		HTTPClient:       hc,
		RetryMaxAttempts: 1,
	})
	cl.http = &http.Client{Transport: &signingTransport{next: transport, creds: creds, region: region, signer: v4.NewSigner()}}
	cl.region = region
	return cl, nil
}

// signingTransport signs each request with SigV4 for the "lambda" service,
// as the SDK signs the Lambda API's; anonymous credentials send it as is.
type signingTransport struct {
	next   http.RoundTripper
	creds  aws.CredentialsProvider
	region string
	signer *v4.Signer
}

func (t *signingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, anonymous := t.creds.(aws.AnonymousCredentials); anonymous {
		return t.next.RoundTrip(req)
	}
	creds, err := t.creds.Retrieve(req.Context())
	if err != nil {
		return nil, err
	}
	var body []byte
	if req.Body != nil {
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
	}
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	if err := t.signer.SignHTTP(req.Context(), creds, req, hex.EncodeToString(sum[:]), signingService, t.region, time.Now()); err != nil {
		return nil, err
	}
	return t.next.RoundTrip(req)
}

// flintError is an error answer of Flint's own API. It is a smithy.APIError
// like the SDK's, so both are reported the same way.
type flintError struct {
	status  int
	code    string
	message string
}

func (e *flintError) Error() string        { return e.code + ": " + e.message }
func (e *flintError) ErrorCode() string    { return e.code }
func (e *flintError) ErrorMessage() string { return e.message }
func (e *flintError) ErrorFault() smithy.ErrorFault {
	if e.status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

var _ smithy.APIError = (*flintError)(nil)

// flintAPI sends a request to /flint/v1/PATH and returns the response
// when it succeeded (2xx), or the server's error as a *flintError.
func (cl *client) flintAPI(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, cl.endpoint+"/flint/v1/"+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fe := &flintError{status: resp.StatusCode, code: resp.Header.Get("X-Amzn-Errortype")}
	var msg struct {
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	if json.Unmarshal(b, &msg) == nil {
		fe.message = msg.Message + msg.Message2
	}
	if fe.code == "" {
		fe.code = http.StatusText(resp.StatusCode)
	}
	if fe.message == "" {
		fe.message = strings.TrimSpace(string(b))
	}
	return nil, fe
}

// flintJSON sends a request to Flint's API and decodes the answer into out
// (unless out is nil).
func (cl *client) flintJSON(ctx context.Context, method, path string, body []byte, out any) error {
	resp, err := cl.flintAPI(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding the server's answer to %s /flint/v1/%s: %w", method, path, err)
	}
	return nil
}

// fail turns an error of a request into the command's exit: one line on
// stderr and the exit status. subject names what the command was about
// ("function hello", "alias live of hello") for a not-found message.
func (cl *client) fail(err error, subject string) error {
	return requestError(cl.endpoint, err, subject)
}

func requestError(endpoint string, err error, subject string) error {
	var ee *exitError
	var api smithy.APIError
	switch {
	case errors.As(err, &ee):
		return ee
	case errors.Is(err, context.Canceled):
		return &exitError{code: exitInternal, msg: "flint: interrupted"}
	case errors.As(err, &api):
		status := httpStatus(err)
		code := exitUsage // the request was wrong: fix the command or the input
		if status >= 500 || status == http.StatusTooManyRequests || status == 0 {
			code = exitInternal
		}
		return &exitError{code: code, msg: fmt.Sprintf("flint: %s (%s)", apiMessage(api, subject), api.ErrorCode())}
	case errors.Is(err, syscall.ECONNREFUSED):
		return internalErrorf("flint: cannot reach a Flint server at %s: connection refused (is 'flint serve' running? set --endpoint or FLINT_ENDPOINT)", endpoint)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		var ue *url.Error
		if errors.As(err, &ue) {
			return internalErrorf("flint: %s %s: %v", ue.Op, ue.URL, ue.Err)
		}
		return internalErrorf("flint: %s: %v", endpoint, ne)
	}
	return internalErrorf("flint: %v", err)
}

// httpStatus is the HTTP status of an API error's response (0 if none).
func httpStatus(err error) int {
	var fe *flintError
	if errors.As(err, &fe) {
		return fe.status
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// apiMessage words an API error's message for the command line: one
// line, saying what to do where the server's message does not.
func apiMessage(api smithy.APIError, subject string) string {
	msg := strings.TrimSpace(api.ErrorMessage())
	// A signature mismatch comes with the canonical request on later lines.
	msg, _, _ = strings.Cut(msg, "\n")
	msg = strings.TrimSpace(msg)
	const keyHint = "give --access-key and --secret-key, or set FLINT_ACCESS_KEY and FLINT_SECRET_KEY"
	switch api.ErrorCode() {
	case "ResourceNotFoundException":
	case "MissingAuthenticationTokenException":
		return "the server takes signed requests only: " + keyHint
	case "UnrecognizedClientException":
		return "the server does not know this access key: give one of its keys with --access-key and --secret-key (or FLINT_ACCESS_KEY and FLINT_SECRET_KEY)"
	case "InvalidSignatureException":
		if strings.HasPrefix(msg, "The request signature we calculated does not match") {
			return "the request signature does not match: check the secret key (--secret-key or FLINT_SECRET_KEY)"
		}
		return msg
	default:
		if msg == "" {
			return api.ErrorCode()
		}
		return msg
	}
	// The engine says "function not found: NAME" or "function not found:
	// NAME has no version or alias "Q"".
	if rest, ok := strings.CutPrefix(msg, "function not found: "); ok {
		if !strings.Contains(rest, " ") {
			return "function " + rest + " not found"
		}
		return "function " + rest
	}
	if subject != "" && (msg == "" || strings.HasPrefix(msg, "The resource you requested does not exist")) {
		return subject + " not found"
	}
	return msg
}
