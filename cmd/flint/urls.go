package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/urfave/cli/v2"
)

// publicURLStatement is the invoke-policy statement that lets anyone call
// a function URL whose auth type is NONE; the AWS console names it so.
const publicURLStatement = "FunctionURLAllowPublicAccess"

func urlCommand() *cli.Command {
	target := func(name, usage string, action func(*cli.Context, *client) error, flags ...cli.Flag) *cli.Command {
		return &cli.Command{
			Name:         name,
			Usage:        usage,
			ArgsUsage:    "NAME[:ALIAS]",
			Flags:        withClientFlags(flags...),
			OnUsageError: onUsageError,
			Action:       clientAction(action),
		}
	}
	create := target("create", "give a function (or an alias of it) an HTTP URL, or bring its URL to the flags given", urlCreateAction,
		&cli.StringFlag{Name: "auth", Value: "AWS_IAM", Usage: "who may call it: `TYPE` NONE (anyone) or AWS_IAM (signed requests)"},
		&cli.StringFlag{Name: "invoke-mode", Value: "BUFFERED", Usage: "`MODE` BUFFERED (the response whole) or RESPONSE_STREAM (chunked, as the function flushes)"})
	create.Description = `Creates the function URL. With --auth NONE it also adds the invoke-policy
statement that lets anyone call it (Principal "*", lambda:InvokeFunctionUrl),
so the URL printed works with curl; with AWS_IAM, requests must be signed
with SigV4 for the service "lambda".

Like deploy, it can be run again: a URL that exists is updated to the flags
given (and its public statement added or removed), or left as it is.`
	return &cli.Command{
		Name:  "url",
		Usage: "create, show and delete function URLs",
		Subcommands: []*cli.Command{
			create,
			target("get", "show a function URL", urlGetAction),
			target("rm", "delete a function URL (and its public access statement)", urlRemoveAction),
		},
	}
}

// urlOut is a function URL as -o json prints it.
type urlOut struct {
	URL          string `json:"url"`
	Function     string `json:"function"`
	AuthType     string `json:"authType"`
	InvokeMode   string `json:"invokeMode"`
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
	// Action is what create did: created, updated or unchanged.
	Action string `json:"action,omitempty"`
}

func (cl *client) printURL(u urlOut) error {
	if cl.json {
		return printJSON(cl.stdout, u)
	}
	t := newTable(cl.stdout)
	t.row("url", u.URL)
	t.row("function", u.Function)
	t.row("auth", u.AuthType)
	t.row("invoke mode", u.InvokeMode)
	t.row("created", shortTime(u.Created))
	t.row("last modified", shortTime(u.LastModified))
	return t.flush()
}

func urlTarget(c *cli.Context) (name, qualifier string, err error) {
	if err := wantArgs(c, 1, "NAME[:ALIAS]"); err != nil {
		return "", "", err
	}
	return splitTarget(c, c.Args().First())
}

func urlSubject(name, qualifier string) string { return "the URL of " + subject(name, qualifier) }

func urlCreateAction(c *cli.Context, cl *client) error {
	name, qualifier, err := urlTarget(c)
	if err != nil {
		return err
	}
	auth := types.FunctionUrlAuthType(c.String("auth"))
	if auth != types.FunctionUrlAuthTypeNone && auth != types.FunctionUrlAuthTypeAwsIam {
		return usageErrorf("%s: --auth %q: use NONE or AWS_IAM", cl.cmd, auth)
	}
	mode := types.InvokeMode(c.String("invoke-mode"))
	if mode != types.InvokeModeBuffered && mode != types.InvokeModeResponseStream {
		return usageErrorf("%s: --invoke-mode %q: use BUFFERED or RESPONSE_STREAM", cl.cmd, mode)
	}
	var q *string
	if qualifier != "" {
		q = aws.String(qualifier)
	}
	ctx := c.Context
	out := urlOut{Action: "created"}
	res, err := cl.lambda.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(name), Qualifier: q,
		AuthType: auth, InvokeMode: mode})
	var conflict *types.ResourceConflictException
	switch {
	case errors.As(err, &conflict):
		// It exists: bring it to the flags given, as deploy does.
		cur, err := cl.lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(name), Qualifier: q})
		if err != nil {
			return cl.fail(err, urlSubject(name, qualifier))
		}
		out = urlOut{URL: aws.ToString(cur.FunctionUrl), Function: aws.ToString(cur.FunctionArn), AuthType: string(cur.AuthType),
			InvokeMode: string(cur.InvokeMode), Created: aws.ToString(cur.CreationTime), LastModified: aws.ToString(cur.LastModifiedTime),
			Action: "unchanged"}
		if cur.AuthType != auth || cur.InvokeMode != mode {
			up, err := cl.lambda.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String(name), Qualifier: q,
				AuthType: auth, InvokeMode: mode})
			if err != nil {
				return cl.fail(err, urlSubject(name, qualifier))
			}
			out = urlOut{URL: aws.ToString(up.FunctionUrl), Function: aws.ToString(up.FunctionArn), AuthType: string(up.AuthType),
				InvokeMode: string(up.InvokeMode), Created: aws.ToString(up.CreationTime), LastModified: aws.ToString(up.LastModifiedTime),
				Action: "updated"}
		}
	case err != nil:
		return cl.fail(err, subject(name, qualifier))
	default:
		out = urlOut{URL: aws.ToString(res.FunctionUrl), Function: aws.ToString(res.FunctionArn), AuthType: string(res.AuthType),
			InvokeMode: string(res.InvokeMode), Created: aws.ToString(res.CreationTime), LastModified: aws.ToString(res.CreationTime),
			Action: "created"}
	}
	if err := cl.publicStatement(ctx, name, q, auth == types.FunctionUrlAuthTypeNone); err != nil {
		return cl.fail(err, subject(name, qualifier))
	}
	if !cl.json {
		fmt.Fprintf(cl.stdout, "%s %s\n", map[string]string{"created": "created", "updated": "updated", "unchanged": "unchanged:"}[out.Action],
			urlSubject(name, qualifier))
	}
	return cl.printURL(out)
}

// publicStatement adds (public) or removes the invoke-policy statement that
// lets anyone call a function URL whose auth type is NONE.
func (cl *client) publicStatement(ctx context.Context, name string, q *string, public bool) error {
	if public {
		_, err := cl.lambda.AddPermission(ctx, &lambda.AddPermissionInput{
			FunctionName: aws.String(name), Qualifier: q, StatementId: aws.String(publicURLStatement),
			Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone,
		})
		var conflict *types.ResourceConflictException
		if err != nil && !errors.As(err, &conflict) { // already there: fine
			return err
		}
		return nil
	}
	_, err := cl.lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(name), Qualifier: q, StatementId: aws.String(publicURLStatement)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) { // none: fine
		return err
	}
	return nil
}

func urlGetAction(c *cli.Context, cl *client) error {
	name, qualifier, err := urlTarget(c)
	if err != nil {
		return err
	}
	in := &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(name)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	res, err := cl.lambda.GetFunctionUrlConfig(c.Context, in)
	if err != nil {
		return cl.fail(err, urlSubject(name, qualifier))
	}
	return cl.printURL(urlOut{URL: aws.ToString(res.FunctionUrl), Function: aws.ToString(res.FunctionArn), AuthType: string(res.AuthType),
		InvokeMode: string(res.InvokeMode), Created: aws.ToString(res.CreationTime), LastModified: aws.ToString(res.LastModifiedTime)})
}

func urlRemoveAction(c *cli.Context, cl *client) error {
	name, qualifier, err := urlTarget(c)
	if err != nil {
		return err
	}
	var q *string
	if qualifier != "" {
		q = aws.String(qualifier)
	}
	ctx := c.Context
	if _, err := cl.lambda.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String(name), Qualifier: q}); err != nil {
		return cl.fail(err, urlSubject(name, qualifier))
	}
	if err := cl.publicStatement(ctx, name, q, false); err != nil {
		return cl.fail(err, subject(name, qualifier))
	}
	if cl.json {
		return printJSON(cl.stdout, map[string]string{"deleted": urlSubject(name, qualifier)})
	}
	_, err = fmt.Fprintf(cl.stdout, "deleted %s\n", urlSubject(name, qualifier))
	return err
}
