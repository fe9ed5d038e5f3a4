package queue

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/flintfaas/flint/internal/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzRecord: whatever a payload, a response or an error holds, the
// record is valid JSON, and carries the payload back when it was JSON.
func FuzzRecord(f *testing.F) {
	f.Add([]byte(`{"a":1}`), []byte(`"ok"`), "Boom", "it broke", true)
	f.Add([]byte("\xff\xfe not utf-8"), []byte("<html>"), "", "", false)
	f.Add([]byte(``), []byte(nil), "T", "\x00", true)
	f.Add([]byte(` [1, 2] `), []byte(`{"x": [true, null]}`), "E", "m", false)
	f.Fuzz(func(t *testing.T, payload, response []byte, errType, errMsg string, failed bool) {
		ev := &event{RequestID: "id", Target: "fn:live", Payload: payload}
		v := &verdict{Condition: ConditionSuccess, Time: t0, Attempts: 1, Ran: true, ExecutedVersion: "1", Response: response}
		if failed {
			v.Condition, v.FunctionError, v.Response, v.Error = ConditionRetriesExhausted, "Handled", nil, newErrorInfo(errType, errMsg)
		}
		rec := record(ev, v)
		require.True(t, json.Valid(rec), "%s", rec)
		var r Record
		require.NoError(t, json.Unmarshal(rec, &r))
		assert.Equal(t, v.Condition, r.RequestContext.Condition)
		if json.Valid(payload) {
			var want bytes.Buffer
			require.NoError(t, json.Compact(&want, payload))
			assert.Equal(t, want.String(), string(r.RequestPayload))
		}
	})
}

// FuzzDecodeEvent: a queue message body either decodes into an event that
// encodes and decodes to itself, or is an error; never a panic.
func FuzzDecodeEvent(f *testing.F) {
	ev := &event{RequestID: uuid.New(), Target: "fn:1", Payload: []byte(`{}`), Enqueued: t0, Attempts: 1,
		LastError: newErrorInfo("E", "m"), Pending: &verdict{Condition: ConditionSuccess, Time: t0}}
	b, err := ev.encode()
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`{"v":1,"requestId":"a","target":"fn"}`))
	f.Add([]byte(`{"v":1,"requestId":"a","target":"fn","attempts":-1}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := decodeEvent(body)
		if err != nil {
			return
		}
		b, err := ev.encode()
		if err != nil {
			require.ErrorIs(t, err, ErrPayloadTooLarge)
			return
		}
		again, err := decodeEvent(b)
		require.NoError(t, err)
		// Times lose their monotonic readings and locations in JSON.
		assert.True(t, ev.Enqueued.Equal(again.Enqueued))
		ev.Enqueued, again.Enqueued = time.Time{}, time.Time{}
		if ev.Pending != nil {
			assert.True(t, ev.Pending.Time.Equal(again.Pending.Time))
			ev.Pending.Time, again.Pending.Time = time.Time{}, time.Time{}
		}
		assert.Equal(t, ev, again)
	})
}
