package filter

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// sqsRecord is one record of an SQS event as a function receives it.
type sqsRecord struct {
	MessageID         string                      `json:"messageId"`
	ReceiptHandle     string                      `json:"receiptHandle"`
	Body              string                      `json:"body"`
	Attributes        map[string]string           `json:"attributes"`
	MessageAttributes map[string]messageAttribute `json:"messageAttributes"`
	MD5OfBody         string                      `json:"md5OfBody"`
	EventSource       string                      `json:"eventSource"`
	EventSourceARN    string                      `json:"eventSourceARN"`
	AWSRegion         string                      `json:"awsRegion"`
}

type messageAttribute struct {
	StringValue      string   `json:"stringValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues []string `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

// newRecord is a record as Flint's SQS-shaped event source builds it, with
// the given body.
func newRecord(body string) sqsRecord {
	sum := md5.Sum([]byte(body))
	return sqsRecord{
		MessageID:     "059f36b4-87a3-44ab-83d2-661975830a7d",
		ReceiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
		Body:          body,
		Attributes: map[string]string{
			"ApproximateReceiveCount":          "1",
			"SentTimestamp":                    "1545082649183",
			"SenderId":                         "AIDAIENQZJOLO23YVJ4VO",
			"ApproximateFirstReceiveTimestamp": "1545082649185",
		},
		MessageAttributes: map[string]messageAttribute{
			"tenant": {StringValue: "acme", StringListValues: []string{}, BinaryListValues: []string{}, DataType: "String"},
		},
		MD5OfBody:      hex.EncodeToString(sum[:]),
		EventSource:    "aws:sqs",
		EventSourceARN: "arn:aws:sqs:us-west-2:123456789012:my-queue",
		AWSRegion:      "us-west-2",
	}
}

// record is the JSON of newRecord(body).
func record(tb testing.TB, body string) []byte {
	tb.Helper()
	b, err := json.Marshal(newRecord(body))
	require.NoError(tb, err)
	return b
}

// mustCompile compiles a pattern a test relies on.
func mustCompile(tb testing.TB, pattern string) *Pattern {
	tb.Helper()
	p, err := Compile(pattern)
	require.NoError(tb, err, "pattern %s", pattern)
	return p
}
