package eventsource

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeMsg is a JetStream message for the record's unit tests.
type fakeMsg struct {
	subject string
	data    []byte
	header  nats.Header
}

func (m fakeMsg) Metadata() (*jetstream.MsgMetadata, error) { return nil, nil }
func (m fakeMsg) Data() []byte                              { return m.data }
func (m fakeMsg) Headers() nats.Header                      { return m.header }
func (m fakeMsg) Subject() string                           { return m.subject }
func (m fakeMsg) Reply() string                             { return "" }
func (m fakeMsg) Ack() error                                { return nil }
func (m fakeMsg) DoubleAck(context.Context) error           { return nil }
func (m fakeMsg) Nak() error                                { return nil }
func (m fakeMsg) NakWithDelay(time.Duration) error          { return nil }
func (m fakeMsg) InProgress() error                         { return nil }
func (m fakeMsg) Term() error                               { return nil }
func (m fakeMsg) TermWithReason(string) error               { return nil }

// TestRecordDecodesAsSQS checks that a record decodes, unchanged, into the
// SQS event type Lambda handlers in Go use (aws-lambda-go's events).
func TestRecordDecodesAsSQS(t *testing.T) {
	sent := time.Date(2026, 12, 6, 10, 0, 0, 123e6, time.UTC)
	received := sent.Add(2 * time.Second)
	md := &jetstream.MsgMetadata{Stream: "orders", NumDelivered: 3, Timestamp: sent}
	md.Sequence.Stream = 42
	msg := fakeMsg{subject: "orders.eu", data: []byte(`{"id":7,"note":"a \"quoted\" <word>"}`),
		header: nats.Header{"Tenant": {"acme"}, "Trace": {"a", "b"}}}
	rec := appendRecord(nil, msg, md, recordMeta{arn: StreamARN("eu-west-1", "123456789012", "orders"), region: "eu-west-1", received: received})
	require.True(t, json.Valid(rec), "%s", rec)

	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(batchEvent(nil, [][]byte{rec}), &ev))
	require.Len(t, ev.Records, 1)
	r := ev.Records[0]
	assert.Equal(t, "42", r.MessageId)
	assert.Equal(t, "orders/42/3", r.ReceiptHandle)
	assert.Equal(t, string(msg.data), r.Body)
	sum := md5.Sum(msg.data)
	assert.Equal(t, hex.EncodeToString(sum[:]), r.Md5OfBody)
	assert.Equal(t, EventSource, r.EventSource)
	assert.Equal(t, "arn:aws:nats:eu-west-1:123456789012:stream/orders", r.EventSourceARN)
	assert.Equal(t, "eu-west-1", r.AWSRegion)
	assert.Equal(t, map[string]string{
		"ApproximateReceiveCount": "3", "SentTimestamp": strconv.FormatInt(sent.UnixMilli(), 10), "SenderId": "nats",
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(received.UnixMilli(), 10), "SequenceNumber": "42", "Subject": "orders.eu",
	}, r.Attributes)
	require.Contains(t, r.MessageAttributes, "Tenant")
	assert.Equal(t, "acme", *r.MessageAttributes["Tenant"].StringValue)
	assert.Equal(t, "String", r.MessageAttributes["Tenant"].DataType)
	assert.Equal(t, []string{"b"}, r.MessageAttributes["Trace"].StringListValues)

	t.Run("a binary body is base64", func(t *testing.T) {
		rec := appendRecord(nil, fakeMsg{subject: "b", data: []byte{0xff, 0x00, 0xfe}}, md, recordMeta{})
		var r events.SQSMessage
		require.NoError(t, json.Unmarshal(rec, &r))
		assert.Equal(t, "/wD+", r.Body)
		assert.Equal(t, "base64", r.Attributes["BodyEncoding"])
	})
	t.Run("hostile headers and subjects stay JSON", func(t *testing.T) {
		rec := appendRecord(nil, fakeMsg{subject: "a\"b\\c", data: []byte("x"),
			header: nats.Header{"\"}": {"\x00\n"}, "Empty": {}}}, md, recordMeta{arn: "\"", region: "\\"})
		require.True(t, json.Valid(rec), "%s", rec)
		assert.NotContains(t, string(rec), "Empty", "a header without values is left out")
	})
}

func TestFailedItems(t *testing.T) {
	ids := []string{"1", "2", "3"}
	tests := []struct {
		name, response string
		failed         []string
		all            bool
	}{
		{name: "empty response", response: ""},
		{name: "null", response: "null"},
		{name: "empty object", response: "{}"},
		{name: "empty list", response: `{"batchItemFailures":[]}`},
		{name: "null list", response: `{"batchItemFailures":null}`},
		{name: "other members only", response: `{"ok":true}`},
		{name: "one failure", response: `{"batchItemFailures":[{"itemIdentifier":"2"}]}`, failed: []string{"2"}},
		{name: "two, one twice", response: `{"batchItemFailures":[{"itemIdentifier":"3"},{"itemIdentifier":"1"},{"itemIdentifier":"3"}]}`, failed: []string{"3", "1"}},
		{name: "empty identifier", response: `{"batchItemFailures":[{"itemIdentifier":""}]}`, all: true},
		{name: "null identifier", response: `{"batchItemFailures":[{"itemIdentifier":null}]}`, all: true},
		{name: "missing identifier", response: `{"batchItemFailures":[{}]}`, all: true},
		{name: "bad key name", response: `{"batchItemFailures":[{"ItemIdentifier":"1"}]}`, all: true},
		{name: "unknown identifier", response: `{"batchItemFailures":[{"itemIdentifier":"9"}]}`, all: true},
		{name: "numeric identifier", response: `{"batchItemFailures":[{"itemIdentifier":2}]}`, all: true},
		{name: "list of strings", response: `{"batchItemFailures":["2"]}`, all: true},
		{name: "not a list", response: `{"batchItemFailures":"2"}`, all: true},
		{name: "not JSON", response: `oops`, all: true},
		{name: "a JSON string", response: `"ok"`, all: true},
		{name: "a JSON array", response: `[]`, all: true},
		{name: "truncated", response: `{"batchItemFailures":[{"itemIdentifier":"2"}`, all: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failed, all := failedItems([]byte(tt.response), ids)
			assert.Equal(t, tt.all, all)
			if !tt.all {
				assert.Equal(t, tt.failed, failed)
			}
		})
	}
}

func FuzzFailedItems(f *testing.F) {
	f.Add(`{"batchItemFailures":[{"itemIdentifier":"2"}]}`)
	f.Add(`{"batchItemFailures":[{"itemIdentifier":""}]}`)
	f.Add(strings.Repeat("[", 10000))
	ids := []string{"1", "2", "3"}
	f.Fuzz(func(t *testing.T, response string) {
		failed, all := failedItems([]byte(response), ids)
		if all {
			return
		}
		for _, id := range failed {
			assert.Contains(t, ids, id, "only the batch's ids fail")
		}
	})
}
