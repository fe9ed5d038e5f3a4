package cluster

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Status is the cluster as one node sees it.
type Status struct {
	// Node is the node answering.
	Node string
	// Nodes are the members it knows, itself included.
	Nodes []Member
	// JetStream is the health of the NATS JetStream the nodes share.
	JetStream JetStreamStatus
}

// JetStreamStatus is the shared JetStream's health as this node sees it.
type JetStreamStatus struct {
	// Connected says whether the node's NATS connection is up; Server is
	// the server it is connected to, and RTT the round trip to it.
	Connected bool
	Server    string        `json:",omitempty"`
	RTT       time.Duration `json:",omitempty"`
	// Error says what failed when the account could not be read.
	Error string `json:",omitempty"`
	// The account's use.
	Memory, Storage    uint64
	Streams, Consumers int
	// Flint's streams (the store's buckets, blobs and queues), each with
	// its replicas.
	Flint []StreamStatus `json:",omitempty"`
}

// StreamStatus is one stream's replication.
type StreamStatus struct {
	Name     string
	Messages uint64
	Bytes    uint64
	// Cluster names the NATS cluster, Leader the server leading the
	// stream; Replicas are the others, with their lag.
	Cluster  string    `json:",omitempty"`
	Leader   string    `json:",omitempty"`
	Replicas []Replica `json:",omitempty"`
}

// Replica is a follower of a stream.
type Replica struct {
	Name    string
	Current bool
	Offline bool `json:",omitempty"`
	Lag     uint64
	Active  time.Duration
}

// Status returns the members and the shared JetStream's health.
func (n *Node) Status(ctx context.Context) Status {
	st := Status{Node: n.cfg.Name, Nodes: n.Members(ctx)}
	nc, js := n.cfg.Conn, n.cfg.JetStream
	if nc == nil || js == nil {
		return st
	}
	st.JetStream.Connected = nc.IsConnected()
	st.JetStream.Server = nc.ConnectedServerName()
	if rtt, err := nc.RTT(); err == nil {
		st.JetStream.RTT = rtt
	}
	info, err := js.AccountInfo(ctx)
	if err != nil {
		st.JetStream.Error = err.Error()
		return st
	}
	st.JetStream.Memory, st.JetStream.Storage = info.Memory, info.Store
	st.JetStream.Streams, st.JetStream.Consumers = info.Streams, info.Consumers
	streams := js.ListStreams(ctx)
	for si := range streams.Info() {
		if !flintStream(si.Config.Name, n.cfg.Prefix) {
			continue
		}
		s := StreamStatus{Name: si.Config.Name, Messages: si.State.Msgs, Bytes: si.State.Bytes}
		if c := si.Cluster; c != nil {
			s.Cluster, s.Leader = c.Name, c.Leader
			for _, p := range c.Replicas {
				s.Replicas = append(s.Replicas, Replica{Name: p.Name, Current: p.Current, Offline: p.Offline, Lag: p.Lag, Active: p.Active})
			}
		}
		st.JetStream.Flint = append(st.JetStream.Flint, s)
	}
	if err := streams.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		st.JetStream.Error = err.Error()
	}
	return st
}

// flintStream reports whether a stream is one of the store's: its KV
// buckets (KV_<prefix>_...), object store (OBJ_<prefix>_...) and queues
// (QUEUE_<prefix>_...).
func flintStream(name, prefix string) bool {
	for _, kind := range []string{"KV_", "OBJ_", "QUEUE_"} {
		if strings.HasPrefix(name, kind+prefix+"_") {
			return true
		}
	}
	return false
}
