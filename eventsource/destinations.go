package eventsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/flintfaas/flint/engine"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Streams delivers asynchronous invocation records to streams: given as
// engine.Config.Destinations, it lets a function's OnSuccess and OnFailure
// destinations (and a schedule's dead-letter queue) be a stream's ARN, as
// on Lambda they may be an SQS queue's. A record is published to the
// stream's first subject, which must be a literal one.
type Streams struct {
	// JetStream holds the streams.
	JetStream jetstream.JetStream
}

var _ engine.Destinations = (*Streams)(nil)

// Check reports whether destination is the ARN of a stream that can take
// records.
func (s *Streams) Check(destination string) error {
	if !strings.HasPrefix(destination, "arn:aws:nats:") {
		return errors.New("use a stream's ARN, arn:aws:nats:REGION:ACCOUNT:stream/NAME")
	}
	_, err := s.subject(context.Background(), destination)
	return err
}

// Deliver publishes record to the destination stream. A record delivered
// twice (a retry after a lost reply) is kept once: its message id is its
// digest, for JetStream's deduplication.
func (s *Streams) Deliver(ctx context.Context, destination string, record []byte) error {
	subject, err := s.subject(ctx, destination)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(record)
	msg := nats.NewMsg(subject)
	msg.Header.Set(jetstream.MsgIDHeader, hex.EncodeToString(sum[:16]))
	msg.Data = record
	_, err = s.JetStream.PublishMsg(ctx, msg)
	return err
}

// subject is where a stream destination's records go.
func (s *Streams) subject(ctx context.Context, arn string) (string, error) {
	name, err := ParseStreamARN(arn)
	if err != nil {
		return "", err
	}
	stream, err := s.JetStream.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return "", fmt.Errorf("stream %s does not exist", name)
	}
	if err != nil {
		return "", fmt.Errorf("stream %s: %w", name, err)
	}
	subjects := stream.CachedInfo().Config.Subjects
	if len(subjects) == 0 || strings.ContainsAny(subjects[0], "*>") {
		return "", fmt.Errorf("stream %s's first subject must be a literal subject to publish records to (it has %q)", name, subjects)
	}
	return subjects[0], nil
}
