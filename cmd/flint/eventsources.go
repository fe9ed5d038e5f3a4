package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/urfave/cli/v2"
)

// The event source commands: streams (flint stream) and the mappings that
// feed their records to functions (flint source).

// streamARN is a stream's ARN as the server names it.
func streamARN(c *cli.Context, name string) string {
	region := c.String("region")
	if region == "" {
		region = defaultRegion
	}
	return "arn:aws:nats:" + region + ":000000000000:stream/" + name
}

// ---- streams ----

func streamCommand() *cli.Command {
	sub := func(name, usage, args string, action func(*cli.Context, *client) error, flags ...cli.Flag) *cli.Command {
		return &cli.Command{Name: name, Usage: usage, ArgsUsage: args,
			Flags: withClientFlags(flags...), OnUsageError: onUsageError, Action: clientAction(action)}
	}
	create := sub("create", "create a stream (or change its subjects and limits)", "NAME", streamCreateAction,
		&cli.StringSliceFlag{Name: "subject", Usage: "a `SUBJECT` the stream keeps (repeatable)", DefaultText: "NAME.>"},
		&cli.DurationFlag{Name: "max-age", Usage: "keep messages for `D`", DefaultText: "until deleted"},
		&cli.BoolFlag{Name: "memory", Usage: "keep the stream in memory rather than on disk"},
	)
	create.Description = `Creates a NATS JetStream stream on the server, which event source mappings
('flint source add') read. Applications publish to its subjects with any NATS
client (the server's embedded NATS listens on 127.0.0.1:4222 by default), or
with 'flint stream pub'.`
	pub := sub("pub", "publish messages to a stream", "NAME [MESSAGE]", streamPubAction,
		&cli.StringFlag{Name: "subject", Usage: "publish on `SUBJECT`", DefaultText: "the stream's first subject"},
		&cli.StringFlag{Name: "file", Usage: "publish each line of `FILE` as a message (- for stdin)"},
		&cli.StringSliceFlag{Name: "header", Usage: "a header `K=V` of every message (repeatable)"},
	)
	return &cli.Command{
		Name:  "stream",
		Usage: "create, publish to, show and delete the streams event sources read",
		Subcommands: []*cli.Command{
			create, pub,
			sub("info", "show a stream", "NAME", streamInfoAction),
			sub("ls", "list the streams", "", streamListAction),
			sub("rm", "delete a stream (and its messages)", "NAME", streamRemoveAction),
		},
	}
}

// streamOut is a stream as the server describes it.
type streamOut struct {
	Name          string    `json:"name"`
	Arn           string    `json:"arn"`
	Subjects      []string  `json:"subjects"`
	Storage       string    `json:"storage"`
	MaxAge        string    `json:"maxAge,omitempty"`
	Messages      uint64    `json:"messages"`
	Bytes         uint64    `json:"bytes"`
	FirstSequence uint64    `json:"firstSequence"`
	LastSequence  uint64    `json:"lastSequence"`
	Consumers     int       `json:"consumers"`
	Created       time.Time `json:"created"`
}

func streamCreateAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name := c.Args().First()
	in := map[string]any{"Subjects": c.StringSlice("subject")}
	if d := c.Duration("max-age"); d > 0 {
		in["MaxAge"] = d.String()
	}
	if c.Bool("memory") {
		in["Storage"] = "memory"
	}
	body, _ := json.Marshal(in)
	var out streamOut
	if err := cl.flintJSON(c.Context, http.MethodPut, "streams/"+url.PathEscape(name), body, &out); err != nil {
		return cl.fail(err, "stream "+name)
	}
	if cl.json {
		return printJSON(cl.stdout, out)
	}
	_, err := fmt.Fprintf(cl.stdout, "stream %s (%s) keeps %s\n", out.Name, out.Arn, strings.Join(out.Subjects, ", "))
	return err
}

// maxPublishBatch is how many messages one request to the server carries.
const maxPublishBatch = 1000

func streamPubAction(c *cli.Context, cl *client) error {
	name := c.Args().First()
	var messages []string
	switch file := c.String("file"); {
	case c.NArg() == 2 && file == "":
		messages = []string{c.Args().Get(1)}
	case c.NArg() == 1 && file != "":
		var r io.Reader = cl.stdin
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return usageErrorf("%s: %v", cl.cmd, err)
			}
			defer f.Close()
			r = f
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if line := sc.Text(); line != "" {
				messages = append(messages, line)
			}
		}
		if err := sc.Err(); err != nil {
			return usageErrorf("%s: %s: %v (a line is at most 1 MiB)", cl.cmd, file, err)
		}
	default:
		return usageErrorf("%s: give NAME and a MESSAGE, or NAME and --file FILE", cl.cmd)
	}
	headers := map[string][]string{}
	for _, h := range c.StringSlice("header") {
		k, v, ok := strings.Cut(h, "=")
		if !ok || k == "" {
			return usageErrorf("%s: --header %q: use K=V", cl.cmd, h)
		}
		headers[k] = append(headers[k], v)
	}
	type msg struct {
		Subject string              `json:"Subject,omitempty"`
		Data    string              `json:"Data"`
		Headers map[string][]string `json:"Headers,omitempty"`
	}
	type published struct {
		Subject  string `json:"subject"`
		Sequence uint64 `json:"sequence"`
	}
	var all []published
	for len(messages) > 0 {
		n := min(len(messages), maxPublishBatch)
		batch := make([]msg, n)
		for i, m := range messages[:n] {
			batch[i] = msg{Subject: c.String("subject"), Data: m}
			if len(headers) > 0 {
				batch[i].Headers = headers
			}
		}
		messages = messages[n:]
		body, _ := json.Marshal(map[string]any{"Messages": batch})
		var out struct{ Published []published }
		if err := cl.flintJSON(c.Context, http.MethodPost, "streams/"+url.PathEscape(name)+"/messages", body, &out); err != nil {
			if len(all) > 0 {
				fmt.Fprintf(cl.stderr, "%s: %d messages were published before this error\n", cl.cmd, len(all))
			}
			return cl.fail(err, "stream "+name)
		}
		all = append(all, out.Published...)
	}
	if cl.json {
		return printJSON(cl.stdout, all)
	}
	if len(all) == 1 {
		_, err := fmt.Fprintf(cl.stdout, "published to %s as #%d\n", all[0].Subject, all[0].Sequence)
		return err
	}
	_, err := fmt.Fprintf(cl.stdout, "published %d messages (#%d to #%d)\n", len(all), all[0].Sequence, all[len(all)-1].Sequence)
	return err
}

func streamInfoAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name := c.Args().First()
	var out streamOut
	if err := cl.flintJSON(c.Context, http.MethodGet, "streams/"+url.PathEscape(name), nil, &out); err != nil {
		return cl.fail(err, "stream "+name)
	}
	if cl.json {
		return printJSON(cl.stdout, out)
	}
	t := newTable(cl.stdout, "FIELD", "VALUE")
	t.row("name", out.Name)
	t.row("arn", out.Arn)
	t.row("subjects", strings.Join(out.Subjects, ", "))
	t.row("storage", out.Storage)
	t.row("max age", cmpOr(out.MaxAge, "none"))
	t.row("messages", out.Messages)
	t.row("bytes", out.Bytes)
	t.row("sequences", fmt.Sprintf("%d to %d", out.FirstSequence, out.LastSequence))
	t.row("consumers", out.Consumers)
	t.row("created", out.Created.Format(time.RFC3339))
	return t.flush()
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func streamListAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 0, "no arguments"); err != nil {
		return err
	}
	var resp struct{ Streams []streamOut }
	if err := cl.flintJSON(c.Context, http.MethodGet, "streams", nil, &resp); err != nil {
		return cl.fail(err, "")
	}
	if cl.json {
		return printJSON(cl.stdout, resp.Streams)
	}
	t := newTable(cl.stdout, "NAME", "SUBJECTS", "MESSAGES", "BYTES", "CONSUMERS")
	for _, s := range resp.Streams {
		t.row(s.Name, strings.Join(s.Subjects, ","), s.Messages, s.Bytes, s.Consumers)
	}
	return t.flush()
}

func streamRemoveAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "NAME"); err != nil {
		return err
	}
	name := c.Args().First()
	if err := cl.flintJSON(c.Context, http.MethodDelete, "streams/"+url.PathEscape(name), nil, nil); err != nil {
		return cl.fail(err, "stream "+name)
	}
	if cl.json {
		return printJSON(cl.stdout, map[string]string{"deleted": name})
	}
	_, err := fmt.Fprintf(cl.stdout, "deleted stream %s\n", name)
	return err
}

// ---- event source mappings ----

func sourceCommand() *cli.Command {
	sub := func(name, usage, args string, action func(*cli.Context, *client) error, flags ...cli.Flag) *cli.Command {
		return &cli.Command{Name: name, Usage: usage, ArgsUsage: args,
			Flags: withClientFlags(flags...), OnUsageError: onUsageError, Action: clientAction(action)}
	}
	add := sub("add", "feed a stream's messages to a function", "FUNCTION STREAM", sourceAddAction,
		&cli.IntFlag{Name: "batch-size", Usage: "at most `N` records an invocation (1 to 10000)", DefaultText: "10"},
		&cli.DurationFlag{Name: "window", Usage: "gather records for up to `D` before invoking (0 to 5m; at least 1s over 10 records)", DefaultText: "none: a batch goes with what has arrived"},
		&cli.StringSliceFlag{Name: "subject", Usage: "only messages on `SUBJECT` (wildcards allowed; repeatable)"},
		&cli.StringSliceFlag{Name: "filter", Usage: "only records matching the event-filtering `PATTERN` (repeatable: any may match)"},
		&cli.BoolFlag{Name: "report-failures", Usage: "the function names failed records (ReportBatchItemFailures)"},
		&cli.IntFlag{Name: "concurrency", Usage: "invoke at most `N` batches at once (2 to 1000)", DefaultText: "5"},
		&cli.IntFlag{Name: "retries", Value: -1, Usage: "retry a failed record `N` times before its failure destination (-1: until too old)"},
		&cli.DurationFlag{Name: "max-age", Usage: "send records older than `D` to the failure destination", DefaultText: "no limit"},
		&cli.StringFlag{Name: "on-failure", Usage: "failed records go to stream `NAME`", DefaultText: "Flint's dead-letter store"},
		&cli.StringFlag{Name: "start", Usage: "start at the stream's oldest message (`TRIM_HORIZON`) or at new ones (LATEST)", DefaultText: "TRIM_HORIZON"},
		&cli.BoolFlag{Name: "disabled", Usage: "create the mapping paused"},
	)
	add.Description = `Creates an event source mapping (Lambda's CreateEventSourceMapping): the
records of STREAM go to FUNCTION in batches, as SQS messages go to a Lambda
function. 'flint source ls' shows its state.`
	return &cli.Command{
		Name:  "source",
		Usage: "manage event source mappings: streams feeding functions",
		Subcommands: []*cli.Command{
			add,
			sub("ls", "list event source mappings", "", sourceListAction,
				&cli.StringFlag{Name: "function", Usage: "only `FUNCTION`'s"},
				&cli.StringFlag{Name: "stream", Usage: "only `STREAM`'s"}),
			sub("get", "show an event source mapping and its counters", "UUID", sourceGetAction),
			sub("rm", "delete an event source mapping", "UUID", sourceRemoveAction),
			sub("pause", "stop invoking; the mapping keeps its place in the stream", "UUID", sourceEnableAction(false)),
			sub("resume", "invoke again, from where the mapping stopped", "UUID", sourceEnableAction(true)),
		},
	}
}

// sourceOut is a mapping as -o json prints it.
type sourceOut struct {
	UUID                 string    `json:"uuid"`
	Function             string    `json:"function"`
	Source               string    `json:"source"`
	State                string    `json:"state"`
	BatchSize            int32     `json:"batchSize"`
	WindowSeconds        int32     `json:"windowSeconds"`
	Subjects             []string  `json:"subjects,omitempty"`
	Filters              []string  `json:"filters,omitempty"`
	ReportFailures       bool      `json:"reportFailures"`
	Concurrency          int32     `json:"concurrency,omitempty"`
	Retries              int32     `json:"retries"`
	OnFailure            string    `json:"onFailure"`
	LastProcessingResult string    `json:"lastProcessingResult"`
	LastModified         time.Time `json:"lastModified"`
	Stats                any       `json:"stats,omitempty"`
}

func sourceOf(m *lambda.GetEventSourceMappingOutput) sourceOut {
	out := sourceOut{UUID: aws.ToString(m.UUID), Function: aws.ToString(m.FunctionArn), Source: aws.ToString(m.EventSourceArn),
		State: aws.ToString(m.State), BatchSize: aws.ToInt32(m.BatchSize), WindowSeconds: aws.ToInt32(m.MaximumBatchingWindowInSeconds),
		Subjects: m.Topics, Retries: aws.ToInt32(m.MaximumRetryAttempts),
		LastProcessingResult: aws.ToString(m.LastProcessingResult), LastModified: aws.ToTime(m.LastModified)}
	if m.FilterCriteria != nil {
		for _, f := range m.FilterCriteria.Filters {
			out.Filters = append(out.Filters, aws.ToString(f.Pattern))
		}
	}
	out.ReportFailures = len(m.FunctionResponseTypes) > 0
	if m.ScalingConfig != nil {
		out.Concurrency = aws.ToInt32(m.ScalingConfig.MaximumConcurrency)
	}
	if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil {
		out.OnFailure = aws.ToString(m.DestinationConfig.OnFailure.Destination)
	}
	return out
}

// asGetOutput gives the mapping outputs of create, update, delete and list
// one shape.
func asGetOutput(m types.EventSourceMappingConfiguration) *lambda.GetEventSourceMappingOutput {
	return &lambda.GetEventSourceMappingOutput{UUID: m.UUID, FunctionArn: m.FunctionArn, EventSourceArn: m.EventSourceArn,
		State: m.State, BatchSize: m.BatchSize, MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds,
		Topics: m.Topics, MaximumRetryAttempts: m.MaximumRetryAttempts, FilterCriteria: m.FilterCriteria,
		FunctionResponseTypes: m.FunctionResponseTypes, ScalingConfig: m.ScalingConfig, DestinationConfig: m.DestinationConfig,
		LastProcessingResult: m.LastProcessingResult, LastModified: m.LastModified}
}

func sourceAddAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 2, "FUNCTION STREAM"); err != nil {
		return err
	}
	fn, stream := c.Args().Get(0), c.Args().Get(1)
	in := &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(fn), EventSourceArn: aws.String(streamARN(c, stream)),
		Enabled: aws.Bool(!c.Bool("disabled")), Topics: c.StringSlice("subject"), MaximumRetryAttempts: aws.Int32(int32(c.Int("retries")))}
	if c.IsSet("batch-size") {
		in.BatchSize = aws.Int32(int32(c.Int("batch-size")))
	}
	if c.IsSet("window") {
		w := c.Duration("window")
		if w%time.Second != 0 {
			return usageErrorf("%s: --window %v: whole seconds", cl.cmd, w)
		}
		in.MaximumBatchingWindowInSeconds = aws.Int32(int32(w / time.Second))
	}
	for _, p := range c.StringSlice("filter") {
		if in.FilterCriteria == nil {
			in.FilterCriteria = &types.FilterCriteria{}
		}
		in.FilterCriteria.Filters = append(in.FilterCriteria.Filters, types.Filter{Pattern: aws.String(p)})
	}
	if c.Bool("report-failures") {
		in.FunctionResponseTypes = []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}
	}
	if c.IsSet("concurrency") {
		in.ScalingConfig = &types.ScalingConfig{MaximumConcurrency: aws.Int32(int32(c.Int("concurrency")))}
	}
	if c.IsSet("max-age") {
		a := c.Duration("max-age")
		in.MaximumRecordAgeInSeconds = aws.Int32(int32(a / time.Second))
	}
	if dest := c.String("on-failure"); dest != "" {
		if !strings.HasPrefix(dest, "arn:") && dest != "flint:dead-letter" {
			dest = streamARN(c, dest)
		}
		in.DestinationConfig = &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(dest)}}
	}
	if p := c.String("start"); p != "" {
		in.StartingPosition = types.EventSourcePosition(strings.ToUpper(p))
	}
	out, err := cl.lambda.CreateEventSourceMapping(c.Context, in)
	if err != nil {
		return cl.fail(err, "function "+fn)
	}
	m := sourceOf(asGetOutput(types.EventSourceMappingConfiguration{UUID: out.UUID, FunctionArn: out.FunctionArn,
		EventSourceArn: out.EventSourceArn, State: out.State, BatchSize: out.BatchSize,
		MaximumBatchingWindowInSeconds: out.MaximumBatchingWindowInSeconds, Topics: out.Topics,
		MaximumRetryAttempts: out.MaximumRetryAttempts, FilterCriteria: out.FilterCriteria,
		FunctionResponseTypes: out.FunctionResponseTypes, ScalingConfig: out.ScalingConfig, DestinationConfig: out.DestinationConfig,
		LastProcessingResult: out.LastProcessingResult, LastModified: out.LastModified}))
	if cl.json {
		return printJSON(cl.stdout, m)
	}
	_, err = fmt.Fprintf(cl.stdout, "stream %s now feeds %s: mapping %s (%s)\n", stream, fn, m.UUID, m.State)
	return err
}

func sourceListAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 0, "no arguments"); err != nil {
		return err
	}
	in := &lambda.ListEventSourceMappingsInput{}
	if fn := c.String("function"); fn != "" {
		in.FunctionName = aws.String(fn)
	}
	if s := c.String("stream"); s != "" {
		in.EventSourceArn = aws.String(streamARN(c, s))
	}
	var all []sourceOut
	p := lambda.NewListEventSourceMappingsPaginator(cl.lambda, in)
	for p.HasMorePages() {
		page, err := p.NextPage(c.Context)
		if err != nil {
			return cl.fail(err, "")
		}
		for _, m := range page.EventSourceMappings {
			all = append(all, sourceOf(asGetOutput(m)))
		}
	}
	if cl.json {
		if all == nil {
			all = []sourceOut{}
		}
		return printJSON(cl.stdout, all)
	}
	t := newTable(cl.stdout, "UUID", "STREAM", "FUNCTION", "STATE", "BATCH", "LAST RESULT")
	for _, m := range all {
		t.row(m.UUID, lastPart(m.Source, "/"), lastPart(m.Function, ":function:"), m.State, m.BatchSize, m.LastProcessingResult)
	}
	return t.flush()
}

// lastPart is what follows the last sep in s.
func lastPart(s, sep string) string {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[i+len(sep):]
	}
	return s
}

func sourceGetAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "UUID"); err != nil {
		return err
	}
	id := c.Args().First()
	m, err := cl.lambda.GetEventSourceMapping(c.Context, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		return cl.fail(err, "event source mapping "+id)
	}
	out := sourceOf(m)
	var stats map[string]any
	if err := cl.flintJSON(c.Context, http.MethodGet, "event-source-mappings/"+url.PathEscape(id)+"/stats", nil, &stats); err == nil {
		out.Stats = stats
	}
	if cl.json {
		return printJSON(cl.stdout, out)
	}
	t := newTable(cl.stdout, "FIELD", "VALUE")
	t.row("uuid", out.UUID)
	t.row("function", out.Function)
	t.row("source", out.Source)
	t.row("state", out.State)
	t.row("batch size", out.BatchSize)
	t.row("window", fmt.Sprintf("%ds", out.WindowSeconds))
	if len(out.Subjects) > 0 {
		t.row("subjects", strings.Join(out.Subjects, ", "))
	}
	for _, f := range out.Filters {
		t.row("filter", f)
	}
	t.row("report failures", out.ReportFailures)
	t.row("retries", out.Retries)
	t.row("on failure", out.OnFailure)
	t.row("last result", out.LastProcessingResult)
	for _, k := range []string{"Batches", "Records", "Succeeded", "Failed", "FilteredOut", "SentToFailureDestination", "Throttles", "Lag", "InFlight"} {
		if v, ok := stats[k]; ok {
			t.row(strings.ToLower(k), v)
		}
	}
	return t.flush()
}

func sourceRemoveAction(c *cli.Context, cl *client) error {
	if err := wantArgs(c, 1, "UUID"); err != nil {
		return err
	}
	id := c.Args().First()
	out, err := cl.lambda.DeleteEventSourceMapping(c.Context, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		return cl.fail(err, "event source mapping "+id)
	}
	if cl.json {
		return printJSON(cl.stdout, map[string]string{"deleted": id, "state": aws.ToString(out.State)})
	}
	_, err = fmt.Fprintf(cl.stdout, "deleted event source mapping %s\n", id)
	return err
}

func sourceEnableAction(enabled bool) func(*cli.Context, *client) error {
	return func(c *cli.Context, cl *client) error {
		if err := wantArgs(c, 1, "UUID"); err != nil {
			return err
		}
		id := c.Args().First()
		out, err := cl.lambda.UpdateEventSourceMapping(c.Context, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(enabled)})
		if err != nil {
			return cl.fail(err, "event source mapping "+id)
		}
		if cl.json {
			return printJSON(cl.stdout, map[string]string{"uuid": id, "state": aws.ToString(out.State)})
		}
		verb := "paused"
		if enabled {
			verb = "resumed"
		}
		_, err = fmt.Fprintf(cl.stdout, "%s event source mapping %s (%s)\n", verb, id, aws.ToString(out.State))
		return err
	}
}
