package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/flintfaas/flint/engine"
	"github.com/urfave/cli/v2"
)

func aliasCommand() *cli.Command {
	return &cli.Command{
		Name:  "alias",
		Usage: "set, list and delete a function's aliases",
		Subcommands: []*cli.Command{
			{
				Name:      "set",
				Usage:     "point an alias at a version (creating it if needed)",
				ArgsUsage: "NAME ALIAS VERSION",
				Description: `Points ALIAS of function NAME at VERSION. --weight V=W sends the share W
(more than 0, less than 1) of the alias's invocations to version V instead;
without it the alias routes everything to VERSION.`,
				Flags: withClientFlags(
					&cli.StringFlag{Name: "weight", Usage: "route the share `V=W` (0 < W < 1) of invocations to version V"},
					&cli.StringFlag{Name: "description", Usage: "the alias's `TEXT`"},
				),
				OnUsageError: onUsageError,
				Action:       clientAction(aliasSetAction),
			},
			{
				Name:         "ls",
				Usage:        "list a function's aliases",
				ArgsUsage:    "NAME",
				Flags:        withClientFlags(),
				OnUsageError: onUsageError,
				Action:       clientAction(aliasListAction),
			},
			{
				Name:         "rm",
				Usage:        "delete an alias",
				ArgsUsage:    "NAME ALIAS",
				Flags:        withClientFlags(),
				OnUsageError: onUsageError,
				Action:       clientAction(aliasRemoveAction),
			},
		},
	}
}

// aliasOut is an alias as -o json prints it.
type aliasOut struct {
	Name        string             `json:"name"`
	Arn         string             `json:"arn"`
	Version     string             `json:"version"`
	Routing     map[string]float64 `json:"routing,omitempty"` // version -> share of invocations
	Description string             `json:"description"`
	RevisionID  string             `json:"revisionId"`
}

func aliasOf(a types.AliasConfiguration) aliasOut {
	out := aliasOut{Name: aws.ToString(a.Name), Arn: aws.ToString(a.AliasArn), Version: aws.ToString(a.FunctionVersion),
		Description: aws.ToString(a.Description), RevisionID: aws.ToString(a.RevisionId)}
	if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
		out.Routing = a.RoutingConfig.AdditionalVersionWeights
	}
	return out
}

// routingText shows an alias's routing: "2: 10%".
func routingText(r map[string]float64) string {
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(r)) {
		parts = append(parts, fmt.Sprintf("%s: %s%%", v, strconv.FormatFloat(r[v]*100, 'f', -1, 64)))
	}
	return orDash(strings.Join(parts, ", "))
}

func parseWeight(cmd, s string) (map[string]float64, error) {
	v, w, ok := strings.Cut(s, "=")
	f, err := strconv.ParseFloat(w, 64)
	if !ok || v == "" || err != nil {
		return nil, usageErrorf("%s: --weight %q: want VERSION=WEIGHT with a weight more than 0 and less than 1, such as 2=0.1", cmd, s)
	}
	if !(f > 0 && f < 1) {
		return nil, usageErrorf("%s: --weight %q: the weight must be more than 0 and less than 1 (%s)", cmd, s, engine.WeightHint)
	}
	return map[string]float64{v: f}, nil
}

func aliasSetAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 3, "NAME ALIAS VERSION"); err != nil {
		return err
	}
	name, alias, version := c.Args().Get(0), c.Args().Get(1), c.Args().Get(2)
	// An empty map clears a routing an existing alias had.
	routing := &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}
	if c.IsSet("weight") {
		w, err := parseWeight(cl.cmd, c.String("weight"))
		if err != nil {
			return err
		}
		routing.AdditionalVersionWeights = w
	}
	var desc *string
	if c.IsSet("description") {
		desc = aws.String(c.String("description"))
	}
	ctx := c.Context
	var a types.AliasConfiguration
	created, err := cl.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{
		FunctionName: aws.String(name), Name: aws.String(alias), FunctionVersion: aws.String(version),
		Description: desc, RoutingConfig: routing,
	})
	var conflict *types.ResourceConflictException
	switch {
	case errors.As(err, &conflict):
		updated, err := cl.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
			FunctionName: aws.String(name), Name: aws.String(alias), FunctionVersion: aws.String(version),
			Description: desc, RoutingConfig: routing,
		})
		if err != nil {
			return cl.fail(err, "alias "+alias+" of function "+name)
		}
		a = types.AliasConfiguration{Name: updated.Name, AliasArn: updated.AliasArn, FunctionVersion: updated.FunctionVersion,
			Description: updated.Description, RoutingConfig: updated.RoutingConfig, RevisionId: updated.RevisionId}
	case err != nil:
		return cl.fail(err, subject(name, ""))
	default:
		a = types.AliasConfiguration{Name: created.Name, AliasArn: created.AliasArn, FunctionVersion: created.FunctionVersion,
			Description: created.Description, RoutingConfig: created.RoutingConfig, RevisionId: created.RevisionId}
	}
	out := aliasOf(a)
	if cl.json {
		return printJSON(cl.stdout, out)
	}
	msg := fmt.Sprintf("alias %s of function %s: version %s", alias, name, out.Version)
	if out.Routing != nil {
		msg += " (" + routingText(out.Routing) + ")"
	}
	_, err = fmt.Fprintln(cl.stdout, msg)
	return err
}

func aliasListAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name := c.Args().First()
	aliases := []aliasOut{}
	p := lambda.NewListAliasesPaginator(cl.lambda, &lambda.ListAliasesInput{FunctionName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(c.Context)
		if err != nil {
			return cl.fail(err, subject(name, ""))
		}
		for _, a := range page.Aliases {
			aliases = append(aliases, aliasOf(a))
		}
	}
	if cl.json {
		return printJSON(cl.stdout, aliases)
	}
	t := newTable(cl.stdout, "ALIAS", "VERSION", "ROUTING", "DESCRIPTION")
	for _, a := range aliases {
		t.row(a.Name, a.Version, routingText(a.Routing), orDash(a.Description))
	}
	return t.flush()
}

func aliasRemoveAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 2, "NAME ALIAS"); err != nil {
		return err
	}
	name, alias := c.Args().Get(0), c.Args().Get(1)
	if _, err := cl.lambda.DeleteAlias(c.Context, &lambda.DeleteAliasInput{FunctionName: aws.String(name), Name: aws.String(alias)}); err != nil {
		return cl.fail(err, "alias "+alias+" of function "+name)
	}
	if cl.json {
		return printJSON(cl.stdout, map[string]string{"deleted": alias, "function": name})
	}
	_, err := fmt.Fprintf(cl.stdout, "deleted alias %s of function %s\n", alias, name)
	return err
}
