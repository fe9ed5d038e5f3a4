package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/flintfaas/flint/cluster"
	"github.com/urfave/cli/v2"
)

// clusterCommand is "flint cluster": the nodes of a Flint cluster and the
// JetStream they share, as the server asked sees them.
func clusterCommand() *cli.Command {
	return &cli.Command{
		Name:  "cluster",
		Usage: "show the cluster the server is a node of",
		Subcommands: []*cli.Command{{
			Name:  "status",
			Usage: "show the nodes (live, load, version) and the health of the JetStream they share",
			Description: `Asks the server (--endpoint) for the cluster as it sees it: every node
whose heartbeats it has seen, whether they still come (LIVE: the node
counts for the shares of reserved concurrency), and Flint's streams in
JetStream with their leader and replicas.`,
			Flags:        withClientFlags(),
			OnUsageError: onUsageError,
			Action: clientAction(func(c *cli.Context, cl *client) error {
				if err := wantArgs(c, 0, "no arguments"); err != nil {
					return err
				}
				var st cluster.Status
				if err := cl.flintJSON(c.Context, http.MethodGet, "cluster", nil, &st); err != nil {
					return cl.fail(err, "")
				}
				if cl.json {
					return printJSON(cl.stdout, st)
				}
				return printClusterStatus(cl, st)
			}),
		}},
	}
}

func printClusterStatus(cl *client, st cluster.Status) error {
	t := newTable(cl.stdout, "NODE", "ADDRESS", "VERSION", "LIVE", "LAST SEEN", "UP", "RUNNING", "FUNCTIONS")
	for _, n := range st.Nodes {
		name, seen := n.Name, n.LastSeen.Round(time.Millisecond).String()
		if n.Name == st.Node {
			name, seen = n.Name+" (this)", "-"
		}
		live := "yes"
		if !n.Live {
			live = "no"
		}
		t.row(name, n.Address, n.Version, live, seen, time.Since(n.Started).Round(time.Second).String(), n.Concurrent, n.Functions)
	}
	if err := t.flush(); err != nil {
		return err
	}
	js := st.JetStream
	fmt.Fprintln(cl.stdout)
	switch {
	case !js.Connected:
		fmt.Fprintln(cl.stdout, "JetStream: not connected")
	case js.Error != "":
		fmt.Fprintf(cl.stdout, "JetStream: connected to %s, but: %s\n", js.Server, js.Error)
	default:
		fmt.Fprintf(cl.stdout, "JetStream: connected to %s (round trip %v); %d streams, %d consumers, %s stored\n",
			js.Server, js.RTT.Round(time.Microsecond), js.Streams, js.Consumers, humanBytes(int64(js.Storage)))
	}
	if len(js.Flint) == 0 {
		return nil
	}
	fmt.Fprintln(cl.stdout)
	t = newTable(cl.stdout, "STREAM", "MESSAGES", "BYTES", "LEADER", "REPLICAS")
	for _, s := range js.Flint {
		var reps []string
		for _, r := range s.Replicas {
			state := "current"
			switch {
			case r.Offline:
				state = "offline"
			case !r.Current:
				state = fmt.Sprintf("behind by %d", r.Lag)
			}
			reps = append(reps, r.Name+" ("+state+")")
		}
		t.row(s.Name, s.Messages, humanBytes(int64(s.Bytes)), s.Leader, strings.Join(reps, ", "))
	}
	return t.flush()
}
