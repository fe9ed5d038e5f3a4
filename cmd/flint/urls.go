package main

import (
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
	create := target("create", "give a function (or an alias of it) an HTTP URL", urlCreateAction,
		&cli.StringFlag{Name: "auth", Value: "AWS_IAM", Usage: "who may call it: `TYPE` NONE (anyone) or AWS_IAM (signed requests)"})
	create.Description = `Creates the function URL. With --auth NONE it also adds the invoke-policy
statement that lets anyone call it (Principal "*", lambda:InvokeFunctionUrl),
so the URL printed works with curl; with AWS_IAM, requests must be signed
with SigV4 for the service "lambda".`
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
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
}

func (cl *client) printURL(u urlOut) error {
	if cl.json {
		return printJSON(cl.stdout, u)
	}
	t := newTable(cl.stdout)
	t.row("url", u.URL)
	t.row("function", u.Function)
	t.row("auth", u.AuthType)
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
	var q *string
	if qualifier != "" {
		q = aws.String(qualifier)
	}
	ctx := c.Context
	res, err := cl.lambda.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(name), Qualifier: q, AuthType: auth})
	if err != nil {
		return cl.fail(err, subject(name, qualifier))
	}
	if auth == types.FunctionUrlAuthTypeNone {
		_, err := cl.lambda.AddPermission(ctx, &lambda.AddPermissionInput{
			FunctionName: aws.String(name), Qualifier: q, StatementId: aws.String(publicURLStatement),
			Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone,
		})
		var conflict *types.ResourceConflictException
		if err != nil && !errors.As(err, &conflict) { // already there: fine
			return cl.fail(err, subject(name, qualifier))
		}
	}
	return cl.printURL(urlOut{URL: aws.ToString(res.FunctionUrl), Function: aws.ToString(res.FunctionArn), AuthType: string(res.AuthType),
		Created: aws.ToString(res.CreationTime), LastModified: aws.ToString(res.CreationTime)})
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
		Created: aws.ToString(res.CreationTime), LastModified: aws.ToString(res.LastModifiedTime)})
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
	_, err = cl.lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(name), Qualifier: q, StatementId: aws.String(publicURLStatement)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) { // an AWS_IAM URL has no such statement
		return cl.fail(err, subject(name, qualifier))
	}
	if cl.json {
		return printJSON(cl.stdout, map[string]string{"deleted": urlSubject(name, qualifier)})
	}
	_, err = fmt.Fprintf(cl.stdout, "deleted %s\n", urlSubject(name, qualifier))
	return err
}
