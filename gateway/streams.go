package gateway

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/flintfaas/flint/eventsource"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Flint's stream operations (/flint/v1/streams): create, show, publish to
// and delete the JetStream streams event sources read, so that a person at
// a shell (flint stream) needs no other tool. Applications publish with any
// NATS client.

// Limits of the stream operations.
const (
	maxPublishBatch = 1000
	maxStreamSubjs  = 20
)

// streamInput is PutStream's body.
type streamInput struct {
	// Subjects the stream keeps; default: NAME.>.
	Subjects []string `json:"Subjects"`
	// MaxAge is how long messages are kept ("24h"); empty: forever.
	MaxAge string `json:"MaxAge"`
	// MaxMessages and MaxBytes cap what is kept; 0: no cap.
	MaxMessages int64 `json:"MaxMessages"`
	MaxBytes    int64 `json:"MaxBytes"`
	// Storage is "file" (the default) or "memory".
	Storage string `json:"Storage"`
	// Description is free text.
	Description string `json:"Description"`
}

// streamOutput describes a stream.
type streamOutput struct {
	Name          string    `json:"Name"`
	Arn           string    `json:"Arn"`
	Subjects      []string  `json:"Subjects"`
	Description   string    `json:"Description,omitempty"`
	Storage       string    `json:"Storage"`
	MaxAge        string    `json:"MaxAge,omitempty"`
	Messages      uint64    `json:"Messages"`
	Bytes         uint64    `json:"Bytes"`
	FirstSequence uint64    `json:"FirstSequence"`
	LastSequence  uint64    `json:"LastSequence"`
	Consumers     int       `json:"Consumers"`
	Created       time.Time `json:"Created"`
}

func (g *Gateway) jetStream() (jetstream.JetStream, error) {
	if g.cfg.JetStream == nil {
		return nil, invalidParam("streams are not available: this server runs without NATS JetStream")
	}
	return g.cfg.JetStream, nil
}

func (g *Gateway) streamOutput(info *jetstream.StreamInfo) streamOutput {
	out := streamOutput{
		Name: info.Config.Name, Arn: eventsource.StreamARN(g.cfg.Region, g.cfg.AccountID, info.Config.Name),
		Subjects: info.Config.Subjects, Description: info.Config.Description, Storage: "file",
		Messages: info.State.Msgs, Bytes: info.State.Bytes, FirstSequence: info.State.FirstSeq,
		LastSequence: info.State.LastSeq, Consumers: info.State.Consumers, Created: info.Created.UTC(),
	}
	if info.Config.Storage == jetstream.MemoryStorage {
		out.Storage = "memory"
	}
	if info.Config.MaxAge > 0 {
		out.MaxAge = info.Config.MaxAge.String()
	}
	return out
}

// streamParam returns the stream a path names, checked.
func streamParam(c *call) (string, error) {
	name := c.params.get("stream")
	if !eventsource.ValidStreamName(name) {
		return "", invalidParam("stream name %q: use 1 to 255 printable characters without spaces, '.', '*', '>', '/' or '\\'", truncated(name, 100))
	}
	return name, nil
}

// streamErr turns JetStream's not-found into the API's.
func streamErr(name string, err error) error {
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return apiErr("ResourceNotFoundException", "stream %s does not exist", name)
	}
	var apiE *jetstream.APIError
	if errors.As(err, &apiE) && apiE.Code < 500 {
		return invalidParam("stream %s: %s", name, apiE.Description)
	}
	return err
}

func (g *Gateway) listStreams(c *call) error {
	js, err := g.jetStream()
	if err != nil {
		return err
	}
	out := []streamOutput{}
	lister := js.ListStreams(c.ctx)
	for info := range lister.Info() {
		out = append(out, g.streamOutput(info))
	}
	if err := lister.Err(); err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, map[string]any{"Streams": out})
	return nil
}

func (g *Gateway) getStream(c *call) error {
	js, err := g.jetStream()
	if err != nil {
		return err
	}
	name, err := streamParam(c)
	if err != nil {
		return err
	}
	s, err := js.Stream(c.ctx, name)
	if err != nil {
		return streamErr(name, err)
	}
	info, err := s.Info(c.ctx)
	if err != nil {
		return streamErr(name, err)
	}
	writeJSON(c.ctx, http.StatusOK, g.streamOutput(info))
	return nil
}

// putStream creates a stream, or changes an existing one.
func (g *Gateway) putStream(c *call) error {
	js, err := g.jetStream()
	if err != nil {
		return err
	}
	name, err := streamParam(c)
	if err != nil {
		return err
	}
	var in streamInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	cfg := jetstream.StreamConfig{Name: name, Subjects: in.Subjects, Description: in.Description,
		MaxMsgs: -1, MaxBytes: -1, Storage: jetstream.FileStorage}
	if len(cfg.Subjects) == 0 {
		cfg.Subjects = []string{name + ".>"}
	}
	if len(cfg.Subjects) > maxStreamSubjs {
		return invalidParam("Subjects: %d, at most %d", len(cfg.Subjects), maxStreamSubjs)
	}
	for _, s := range cfg.Subjects {
		if !eventsource.ValidSubject(s) {
			return invalidParam("subject %q is not a NATS subject: tokens separated by '.', with '*' or a final '>' as wildcards", truncated(s, 100))
		}
	}
	if in.MaxAge != "" {
		d, err := time.ParseDuration(in.MaxAge)
		if err != nil || d < 0 {
			return invalidParam("MaxAge %q: a duration such as \"24h\"", truncated(in.MaxAge, 50))
		}
		cfg.MaxAge = d
	}
	if in.MaxMessages < 0 || in.MaxBytes < 0 {
		return invalidParam("MaxMessages and MaxBytes must not be negative (0: no cap)")
	}
	if in.MaxMessages > 0 {
		cfg.MaxMsgs = in.MaxMessages
	}
	if in.MaxBytes > 0 {
		cfg.MaxBytes = in.MaxBytes
	}
	switch in.Storage {
	case "", "file":
	case "memory":
		cfg.Storage = jetstream.MemoryStorage
	default:
		return invalidParam("Storage %q: use file or memory", truncated(in.Storage, 50))
	}
	s, err := js.CreateOrUpdateStream(c.ctx, cfg)
	if err != nil {
		return streamErr(name, err)
	}
	writeJSON(c.ctx, http.StatusOK, g.streamOutput(s.CachedInfo()))
	return nil
}

func (g *Gateway) deleteStream(c *call) error {
	js, err := g.jetStream()
	if err != nil {
		return err
	}
	name, err := streamParam(c)
	if err != nil {
		return err
	}
	if mgr := g.cfg.EventSources; mgr != nil {
		if ms := mgr.List("", name); len(ms) > 0 {
			return apiErr("ResourceConflictException", "stream %s is read by event source mapping %s: delete the mapping first", name, ms[0].UUID)
		}
	}
	if err := js.DeleteStream(c.ctx, name); err != nil {
		return streamErr(name, err)
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// publishInput is PublishMessages' body.
type publishInput struct {
	Messages []struct {
		// Subject; default: the stream's first subject, when literal.
		Subject string `json:"Subject"`
		// Data is the message, as text.
		Data string `json:"Data"`
		// Headers become the records' messageAttributes.
		Headers map[string][]string `json:"Headers"`
	} `json:"Messages"`
}

// publishMessages publishes messages to a stream, in order, each stored
// before the next is sent.
func (g *Gateway) publishMessages(c *call) error {
	js, err := g.jetStream()
	if err != nil {
		return err
	}
	name, err := streamParam(c)
	if err != nil {
		return err
	}
	var in publishInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	switch n := len(in.Messages); {
	case n == 0:
		return invalidParam("Messages: give at least one")
	case n > maxPublishBatch:
		return invalidParam("Messages: %d, at most %d a request", n, maxPublishBatch)
	}
	s, err := js.Stream(c.ctx, name)
	if err != nil {
		return streamErr(name, err)
	}
	subjects := s.CachedInfo().Config.Subjects
	def := ""
	if len(subjects) > 0 && !strings.ContainsAny(subjects[0], "*>") {
		def = subjects[0]
	}
	type published struct {
		Subject  string `json:"Subject"`
		Sequence uint64 `json:"Sequence"`
	}
	out := make([]published, 0, len(in.Messages))
	for i, m := range in.Messages {
		subject := m.Subject
		if subject == "" {
			if def == "" {
				return invalidParam("Messages[%d].Subject is required: stream %s has no literal first subject", i, name)
			}
			subject = def
		}
		if !eventsource.ValidSubject(subject) || strings.ContainsAny(subject, "*>") {
			return invalidParam("Messages[%d].Subject %q: a literal NATS subject", i, truncated(subject, 100))
		}
		if !slices.ContainsFunc(subjects, func(f string) bool { return subjectMatches(f, subject) }) {
			return invalidParam("Messages[%d].Subject %q is not one of stream %s's subjects %q", i, truncated(subject, 100), name, subjects)
		}
		msg := nats.NewMsg(subject)
		msg.Data = []byte(m.Data)
		for k, vs := range m.Headers {
			if !validHeaderName(k) {
				return invalidParam("Messages[%d].Headers: name %q: use letters, digits and -_.", i, truncated(k, 100))
			}
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n") {
					return invalidParam("Messages[%d].Headers[%q]: a value may not hold a line break", i, k)
				}
				msg.Header.Add(k, v)
			}
		}
		ack, err := js.PublishMsg(c.ctx, msg, jetstream.WithExpectStream(name))
		if err != nil {
			return streamErr(name, err)
		}
		out = append(out, published{Subject: subject, Sequence: ack.Sequence})
	}
	writeJSON(c.ctx, http.StatusOK, map[string]any{"Published": out})
	return nil
}

// eventSourceMappingStats serves a mapping's counters and lag.
func (g *Gateway) eventSourceMappingStats(c *call) error {
	mgr, err := g.eventSources()
	if err != nil {
		return err
	}
	st, err := mgr.Stats(c.ctx, c.params.get("uuid"))
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, st)
	return nil
}

// validHeaderName reports whether s can name a NATS header: 1 to 256
// letters, digits and -_. (what a header line cannot be confused by).
func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// subjectMatches reports whether a literal subject matches a subject
// filter, with NATS's wildcards: '*' one token, a final '>' the rest.
func subjectMatches(filter, subject string) bool {
	for {
		ft, frest, fmore := strings.Cut(filter, ".")
		st, srest, smore := strings.Cut(subject, ".")
		switch {
		case ft == ">":
			return true
		case ft != "*" && ft != st:
			return false
		case !fmore || !smore:
			return fmore == smore
		}
		filter, subject = frest, srest
	}
}
