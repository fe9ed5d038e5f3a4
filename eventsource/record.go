package eventsource

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/flintfaas/flint/internal/jsonstr"
	"github.com/nats-io/nats.go/jetstream"
)

// EventSource is the eventSource of every record.
const EventSource = "nats:jetstream"

// recordMeta is what a record says besides its message: where it comes
// from, and when Flint received it.
type recordMeta struct {
	arn, region string
	received    time.Time
}

// appendRecord appends msg as an SQS record (the shape Lambda gives SQS
// messages, so that existing handlers and event types decode it):
//
//	{"messageId":"<stream sequence>","receiptHandle":"<stream>/<sequence>/<deliveries>",
//	 "body":"<the message, as text; base64 when it is not UTF-8>",
//	 "attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"<ms>",
//	   "SenderId":"nats","ApproximateFirstReceiveTimestamp":"<ms>",
//	   "SequenceNumber":"<stream sequence>","Subject":"<subject>"},
//	 "messageAttributes":{"<header>":{"stringValue":"..","stringListValues":[],
//	   "binaryListValues":[],"dataType":"String"}},
//	 "md5OfBody":"<hex>","eventSource":"nats:jetstream",
//	 "eventSourceARN":"arn:aws:nats:...:stream/NAME","awsRegion":"<region>"}
//
// A body that is not valid UTF-8 is sent in base64, and the attribute
// BodyEncoding says "base64". Header values beyond a name's first are in
// stringListValues.
func appendRecord(dst []byte, msg jetstream.Msg, md *jetstream.MsgMetadata, rm recordMeta) []byte {
	seq := strconv.AppendUint(nil, md.Sequence.Stream, 10)
	data := msg.Data()
	dst = append(dst, `{"messageId":"`...)
	dst = append(dst, seq...)
	dst = append(dst, `","receiptHandle":`...)
	dst = jsonstr.Append(dst, md.Stream+"/"+string(seq)+"/"+strconv.FormatUint(md.NumDelivered, 10))
	dst = append(dst, `,"body":`...)
	binary := !utf8.Valid(data)
	if binary {
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, data)
		dst = append(dst, '"')
	} else {
		dst = jsonstr.AppendBytes(dst, data)
	}
	dst = append(dst, `,"attributes":{"ApproximateReceiveCount":"`...)
	dst = strconv.AppendUint(dst, md.NumDelivered, 10)
	dst = append(dst, `","SentTimestamp":"`...)
	dst = strconv.AppendInt(dst, md.Timestamp.UnixMilli(), 10)
	dst = append(dst, `","SenderId":"nats","ApproximateFirstReceiveTimestamp":"`...)
	dst = strconv.AppendInt(dst, rm.received.UnixMilli(), 10)
	dst = append(dst, `","SequenceNumber":"`...)
	dst = append(dst, seq...)
	dst = append(dst, `","Subject":`...)
	dst = jsonstr.Append(dst, msg.Subject())
	if binary {
		dst = append(dst, `,"BodyEncoding":"base64"`...)
	}
	dst = append(dst, `},"messageAttributes":{`...)
	if h := msg.Headers(); len(h) > 0 {
		first := true
		for _, k := range slices.Sorted(mapKeys(h)) {
			vs := h[k]
			if len(vs) == 0 {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = jsonstr.Append(dst, k)
			dst = append(dst, `:{"stringValue":`...)
			dst = jsonstr.Append(dst, vs[0])
			dst = append(dst, `,"stringListValues":[`...)
			for i, v := range vs[1:] {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = jsonstr.Append(dst, v)
			}
			dst = append(dst, `],"binaryListValues":[],"dataType":"String"}`...)
		}
	}
	sum := md5.Sum(data)
	dst = append(dst, `},"md5OfBody":"`...)
	dst = hex.AppendEncode(dst, sum[:])
	dst = append(dst, `","eventSource":"`+EventSource+`","eventSourceARN":`...)
	dst = jsonstr.Append(dst, rm.arn)
	dst = append(dst, `,"awsRegion":`...)
	dst = jsonstr.Append(dst, rm.region)
	return append(dst, '}')
}

func mapKeys[M ~map[string]V, V any](m M) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// batchEvent joins records into the event a function gets:
// {"Records":[...]}.
func batchEvent(dst []byte, records [][]byte) []byte {
	dst = append(dst, `{"Records":[`...)
	for i, r := range records {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, r...)
	}
	return append(dst, "]}"...)
}

// eventOverhead is what batchEvent adds to its records: the wrapper and a
// comma per record.
func eventOverhead(records int) int { return len(`{"Records":[]}`) + max(records-1, 0) }

// failedItems reads a partial batch response as Lambda does, given the
// message ids of the batch. It returns the ids that failed, or all=true
// when the whole batch is to be treated as failed:
//
//   - an empty response, null, {}, or an empty or null batchItemFailures
//     list: nothing failed;
//   - a response that is not a JSON object, a batchItemFailures that is
//     not a list, an item without an itemIdentifier, an empty or null one,
//     or one that names no message of the batch: the whole batch failed.
func failedItems(response []byte, ids []string) (failed []string, all bool) {
	response = bytes.TrimSpace(response)
	if len(response) == 0 || bytes.Equal(response, []byte("null")) {
		return nil, false
	}
	if response[0] != '{' {
		return nil, true
	}
	// Maps, not a struct: encoding/json matches struct fields without
	// regard to case, and "ItemIdentifier" is a bad key name for Lambda.
	var r map[string]json.RawMessage
	if err := json.Unmarshal(response, &r); err != nil {
		return nil, true
	}
	list := bytes.TrimSpace(r["batchItemFailures"])
	if len(list) == 0 || bytes.Equal(list, []byte("null")) {
		return nil, false
	}
	var items []map[string]*string
	if err := json.Unmarshal(list, &items); err != nil {
		return nil, true
	}
	for _, item := range items {
		id := item["itemIdentifier"]
		if id == nil || *id == "" || !slices.Contains(ids, *id) {
			return nil, true
		}
		if !slices.Contains(failed, *id) {
			failed = append(failed, *id)
		}
	}
	return failed, false
}
