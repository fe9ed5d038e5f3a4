package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"
)

// The commands for what Lambda has no API for, served by Flint under
// /flint/v1/: roles, logs, dead letters and usage.

// maxPolicyBytes bounds the policy document role put reads.
const maxPolicyBytes = 1 << 20

// ---- roles ----

func roleCommand() *cli.Command {
	sub := func(name, usage, args string, action func(*cli.Context, *client) error) *cli.Command {
		return &cli.Command{
			Name: name, Usage: usage, ArgsUsage: args,
			Flags: withClientFlags(), OnUsageError: onUsageError, Action: clientAction(action),
		}
	}
	put := sub("put", "create or replace a role's execution policy", "NAME POLICY.json|-", rolePutAction)
	put.Description = `Stores the execution policy (JSON, see abi/POLICY.md) as role NAME,
from a file or from stdin (-). Functions whose $LATEST runs with the role get
the new policy at once; published versions keep theirs. Deploy a function
with the role with "flint deploy NAME FILE.wasm --role NAME".`
	get := sub("get", "print a role's execution policy", "NAME", roleGetAction)
	get.Description = "Prints the policy document, which 'flint role put NAME -' takes back;\n-o json adds the role's name and ARN."
	return &cli.Command{
		Name:  "role",
		Usage: "manage roles: named execution policies functions run with",
		Subcommands: []*cli.Command{
			put,
			get,
			sub("ls", "list the roles", "", roleListAction),
			sub("rm", "delete a role no function uses", "NAME", roleRemoveAction),
		},
	}
}

// roleOut is a role as the server sends it and -o json prints it.
type roleOut struct {
	Name             string          `json:"name"`
	Arn              string          `json:"arn"`
	Policy           json.RawMessage `json:"policy"`
	UpdatedFunctions []string        `json:"updatedFunctions,omitempty"`
}

// roleWire is a role in the server's answers.
type roleWire struct {
	Name             string          `json:"Name"`
	Arn              string          `json:"Arn"`
	Policy           json.RawMessage `json:"Policy"`
	UpdatedFunctions []string        `json:"UpdatedFunctions"`
}

func (r roleWire) out() roleOut { return roleOut(r) }

func rolePutAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 2, "NAME POLICY.json|-"); err != nil {
		return err
	}
	name, src := c.Args().Get(0), c.Args().Get(1)
	var doc []byte
	var err error
	if src == "-" {
		doc, err = readLimited("stdin", cl.stdin, maxPolicyBytes)
	} else {
		doc, err = readLimited(src, nil, maxPolicyBytes)
	}
	switch {
	case err != nil:
		return usageErrorf("%s: %v", cl.cmd, err)
	case len(doc) > maxPolicyBytes:
		return usageErrorf("%s: %s: a policy is at most %d bytes", cl.cmd, src, maxPolicyBytes)
	case !json.Valid(doc):
		return usageErrorf("%s: %s is not JSON: want a policy document such as {\"Version\": \"2026-11-01\", \"Statement\": [...]}", cl.cmd, src)
	}
	// Putting the same policy again would still re-apply it to every
	// function with the role (a new revision each): skip it.
	var r roleWire
	err = cl.flintJSON(c.Context, http.MethodGet, "roles/"+url.PathEscape(name), nil, &r)
	if err == nil && sameJSON(r.Policy, doc) {
		if cl.json {
			return printJSON(cl.stdout, r.out())
		}
		_, err = fmt.Fprintf(cl.stdout, "role %s is up to date\n", name)
		return err
	}
	r = roleWire{}
	if err := cl.flintJSON(c.Context, http.MethodPut, "roles/"+url.PathEscape(name), doc, &r); err != nil {
		return cl.fail(err, "role "+name)
	}
	if cl.json {
		return printJSON(cl.stdout, r.out())
	}
	fmt.Fprintf(cl.stdout, "saved role %s (%s)\n", r.Name, r.Arn)
	for _, f := range r.UpdatedFunctions {
		fmt.Fprintf(cl.stdout, "function %s now runs with it\n", f)
	}
	return nil
}

// sameJSON reports whether two JSON documents hold the same value.
func sameJSON(a, b []byte) bool {
	var va, vb any
	return json.Unmarshal(a, &va) == nil && json.Unmarshal(b, &vb) == nil && reflect.DeepEqual(va, vb)
}

func roleGetAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name := c.Args().First()
	var r roleWire
	if err := cl.flintJSON(c.Context, http.MethodGet, "roles/"+url.PathEscape(name), nil, &r); err != nil {
		return cl.fail(err, "role "+name)
	}
	if cl.json {
		return printJSON(cl.stdout, r.out())
	}
	return printJSON(cl.stdout, r.Policy)
}

func roleListAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 0, "no arguments"); err != nil {
		return err
	}
	var resp struct{ Roles []roleWire }
	if err := cl.flintJSON(c.Context, http.MethodGet, "roles", nil, &resp); err != nil {
		return cl.fail(err, "")
	}
	roles := make([]roleOut, len(resp.Roles))
	for i, r := range resp.Roles {
		roles[i] = r.out()
	}
	if cl.json {
		return printJSON(cl.stdout, roles)
	}
	t := newTable(cl.stdout, "NAME", "ARN", "STATEMENTS")
	for _, r := range roles {
		var p struct{ Statement []json.RawMessage }
		_ = json.Unmarshal(r.Policy, &p)
		t.row(r.Name, r.Arn, len(p.Statement))
	}
	return t.flush()
}

func roleRemoveAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name := c.Args().First()
	if err := cl.flintJSON(c.Context, http.MethodDelete, "roles/"+url.PathEscape(name), nil, nil); err != nil {
		return cl.fail(err, "role "+name)
	}
	if cl.json {
		return printJSON(cl.stdout, map[string]string{"deleted": name})
	}
	_, err := fmt.Fprintf(cl.stdout, "deleted role %s\n", name)
	return err
}

// ---- logs ----

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "print a function's recent log, or follow it",
		ArgsUsage: "NAME",
		Description: `Prints the log records the server keeps for the function (the last ones of
each invocation, as START/END/REPORT blocks), each after a line with its
sequence number and time ("#42  2026-12-06T14:39:11.123Z"); --follow keeps
printing new ones until Ctrl-C. --since N prints the records from number N
on (so after "#41", --since 42 prints what came since).
-o json prints a JSON array of records, or with --follow one JSON object per
record and line.`,
		Flags: withClientFlags(
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing new records until interrupted"},
			&cli.Uint64Flag{Name: "since", Usage: "print the records from sequence number `N` on (0: every record kept)"},
		),
		OnUsageError: onUsageError,
		Action:       clientAction(logsAction),
	}
}

// ---- dead letters ----

// deadLetterWire is a dead letter as the server sends it.
type deadLetterWire struct {
	Key           string
	ID            string
	Function      string
	Payload       []byte
	Record        json.RawMessage
	Condition     string
	Attempts      int
	FirstEnqueued time.Time
	LastError     struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	Time time.Time
}

// deadLetterOut is a dead letter as -o json prints it.
type deadLetterOut struct {
	ID            string          `json:"id"`
	Function      string          `json:"function"`
	Condition     string          `json:"condition"`
	Attempts      int             `json:"attempts"`
	ErrorType     string          `json:"errorType,omitempty"`
	ErrorMessage  string          `json:"errorMessage,omitempty"`
	FirstEnqueued time.Time       `json:"firstEnqueued"`
	DeadLettered  time.Time       `json:"deadLettered"`
	Payload       any             `json:"payload"`
	Record        json.RawMessage `json:"record,omitempty"`
}

func (d deadLetterWire) out() deadLetterOut {
	return deadLetterOut{ID: d.ID, Function: d.Function, Condition: d.Condition, Attempts: d.Attempts,
		ErrorType: d.LastError.Type, ErrorMessage: d.LastError.Message, FirstEnqueued: d.FirstEnqueued,
		DeadLettered: d.Time, Payload: rawOrString(d.Payload), Record: d.Record}
}

func dlqCommand() *cli.Command {
	sub := func(name, usage, args string, action func(*cli.Context, *client) error) *cli.Command {
		return &cli.Command{
			Name: name, Usage: usage, ArgsUsage: args,
			Flags: withClientFlags(), OnUsageError: onUsageError, Action: clientAction(action),
		}
	}
	return &cli.Command{
		Name:  "dlq",
		Usage: "list, show, redrive and delete asynchronous events that failed (the dead-letter store)",
		Subcommands: []*cli.Command{
			sub("ls", "list dead letters, oldest first", "", dlqListAction),
			sub("show", "show a dead letter: its event, error and attempts", "ID", dlqShowAction),
			sub("redrive", "queue a dead letter's event again (and remove it from the store)", "ID", dlqRedriveAction),
			sub("rm", "delete a dead letter", "ID", dlqRemoveAction),
		},
	}
}

func dlqListAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 0, "no arguments"); err != nil {
		return err
	}
	var all []deadLetterOut
	after := ""
	for {
		path := "dead-letters?limit=1000"
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		var page struct {
			DeadLetters []deadLetterWire
			NextAfter   string
		}
		if err := cl.flintJSON(c.Context, http.MethodGet, path, nil, &page); err != nil {
			return cl.fail(err, "")
		}
		for _, d := range page.DeadLetters {
			all = append(all, d.out())
		}
		if page.NextAfter == "" || page.NextAfter == after {
			break
		}
		after = page.NextAfter
	}
	if cl.json {
		if all == nil {
			all = []deadLetterOut{}
		}
		return printJSON(cl.stdout, all)
	}
	t := newTable(cl.stdout, "ID", "FUNCTION", "CONDITION", "ATTEMPTS", "ERROR", "DEAD-LETTERED")
	for _, d := range all {
		t.row(d.ID, d.Function, d.Condition, d.Attempts, orDash(escapeText(d.ErrorType, true)), d.DeadLettered.UTC().Format("2006-01-02 15:04:05Z"))
	}
	return t.flush()
}

func dlqShowAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "ID"); err != nil {
		return err
	}
	id := c.Args().First()
	var d deadLetterWire
	if err := cl.flintJSON(c.Context, http.MethodGet, "dead-letters/"+url.PathEscape(id), nil, &d); err != nil {
		return cl.fail(err, "dead letter "+id)
	}
	out := d.out()
	if cl.json {
		return printJSON(cl.stdout, out)
	}
	t := newTable(cl.stdout)
	t.row("id", out.ID)
	t.row("function", out.Function)
	t.row("condition", out.Condition)
	t.row("attempts", out.Attempts)
	t.row("error type", orDash(escapeText(out.ErrorType, true)))
	t.row("error", orDash(escapeText(out.ErrorMessage, true)))
	t.row("enqueued", out.FirstEnqueued.UTC().Format(time.RFC3339))
	t.row("dead-lettered", out.DeadLettered.UTC().Format(time.RFC3339))
	t.row("payload", escapeText(string(d.Payload), true))
	return t.flush()
}

func dlqRedriveAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "ID"); err != nil {
		return err
	}
	id := c.Args().First()
	var resp struct{ RequestId string }
	if err := cl.flintJSON(c.Context, http.MethodPost, "dead-letters/"+url.PathEscape(id)+"/redrive", nil, &resp); err != nil {
		return cl.fail(err, "dead letter "+id)
	}
	if cl.json {
		return printJSON(cl.stdout, map[string]string{"redriven": id, "requestId": resp.RequestId})
	}
	_, err := fmt.Fprintf(cl.stdout, "queued %s again as request %s\n", id, resp.RequestId)
	return err
}

func dlqRemoveAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "ID"); err != nil {
		return err
	}
	id := c.Args().First()
	if err := cl.flintJSON(c.Context, http.MethodDelete, "dead-letters/"+url.PathEscape(id), nil, nil); err != nil {
		return cl.fail(err, "dead letter "+id)
	}
	if cl.json {
		return printJSON(cl.stdout, map[string]string{"deleted": id})
	}
	_, err := fmt.Fprintf(cl.stdout, "deleted dead letter %s\n", id)
	return err
}

// ---- usage ----

// usageOut is one function's metered use, for -o json.
type usageOut struct {
	Function  string  `json:"function"`
	Requests  uint64  `json:"requests"`
	BilledMS  int64   `json:"billedMs"`
	GBSeconds float64 `json:"gbSeconds"`
}

func usageCommand() *cli.Command {
	return &cli.Command{
		Name:         "usage",
		Usage:        "show each function's metered use since the server started: requests, billed time, GB-seconds",
		Flags:        withClientFlags(),
		OnUsageError: onUsageError,
		Action: clientAction(func(c *cli.Context, cl *client) error {
			if err := wantArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			var resp struct {
				Usage []struct {
					Function       string
					Requests       uint64
					BilledDuration time.Duration
					GBSeconds      float64
				}
				Nodes int // a cluster's nodes that answered; 0 alone
			}
			if err := cl.flintJSON(c.Context, http.MethodGet, "usage", nil, &resp); err != nil {
				return cl.fail(err, "")
			}
			out := make([]usageOut, len(resp.Usage))
			for i, u := range resp.Usage {
				out[i] = usageOut{Function: u.Function, Requests: u.Requests, BilledMS: u.BilledDuration.Milliseconds(), GBSeconds: u.GBSeconds}
			}
			if cl.json {
				return printJSON(cl.stdout, out)
			}
			t := newTable(cl.stdout, "FUNCTION", "REQUESTS", "BILLED", "GB-SECONDS")
			for _, u := range out {
				t.row(u.Function, u.Requests, (time.Duration(u.BilledMS) * time.Millisecond).String(), strconv.FormatFloat(u.GBSeconds, 'f', -1, 64))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if resp.Nodes > 0 {
				fmt.Fprintf(cl.stdout, "(summed over the %d nodes of the cluster that answered)\n", resp.Nodes)
			}
			return nil
		}),
	}
}

// logRecord is a log record as the server sends it with format=json, and
// as -o json prints it.
type logRecord struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	RequestID string    `json:"requestId,omitempty"`
	Version   string    `json:"version,omitempty"`
	Failed    bool      `json:"failed"`
	Text      string    `json:"text"`
}

func logsAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name := c.Args().First()
	q := url.Values{"format": {"json"}}
	if c.IsSet("since") {
		q.Set("since", strconv.FormatUint(c.Uint64("since"), 10))
	}
	follow := c.Bool("follow")
	if follow {
		q.Set("follow", "1")
	}
	resp, err := cl.flintAPI(c.Context, http.MethodGet, "functions/"+url.PathEscape(name)+"/logs?"+q.Encode(), nil)
	if err != nil {
		return cl.fail(err, subject(name, ""))
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	all := []logRecord{}
	for {
		var r logRecord
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if c.Context.Err() != nil {
				return nil // interrupted while following: the usual way to stop
			}
			return cl.fail(err, "")
		}
		switch {
		case cl.json && !follow:
			all = append(all, r)
			continue
		case cl.json:
			err = json.NewEncoder(cl.stdout).Encode(r)
		default:
			_, err = fmt.Fprintf(cl.stdout, "#%d  %s\n", r.Seq, r.Time.UTC().Format("2006-01-02T15:04:05.000Z"))
			if err == nil {
				err = writeShown(cl.stdout, []byte(r.Text))
			}
		}
		if err != nil {
			return internalErrorf("%s: write: %v", cl.cmd, err)
		}
	}
	if cl.json && !follow {
		return printJSON(cl.stdout, all)
	}
	return nil
}
