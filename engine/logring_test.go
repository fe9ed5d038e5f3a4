package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLogRingKeepsTheNewest(t *testing.T) {
	seqs := func(es []logEntry) []uint64 {
		out := []uint64{}
		for _, e := range es {
			out = append(out, e.Seq)
		}
		return out
	}
	tests := []struct {
		name  string
		added int
		since uint64
		want  []uint64
	}{
		{"none yet", 0, 0, []uint64{}},
		{"fewer than it keeps", 2, 0, []uint64{0, 1}},
		{"fewer, from the second", 2, 1, []uint64{1}},
		{"exactly full", 3, 0, []uint64{0, 1, 2}},
		{"wrapped: the oldest went", 5, 0, []uint64{2, 3, 4}},
		{"wrapped, from the newest", 5, 4, []uint64{4}},
		{"a sequence past the newest", 5, 9, []uint64{}},
		{"wrapped many times", 3*7 + 1, 0, []uint64{19, 20, 21}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newLogRing(3)
			for i := range tt.added {
				r.add(logEntry{RequestID: string(rune('a' + i))})
			}
			got := r.since(tt.since)
			assert.Equal(t, tt.want, seqs(got))
			for _, e := range got {
				assert.Equal(t, string(rune('a'+e.Seq)), e.RequestID, "entry %d holds what was added as it", e.Seq)
			}
			assert.LessOrEqual(t, len(r.entries), 3, "it never keeps more than its size")
		})
	}
}

func TestLogRingCostsNothingUntilUsed(t *testing.T) {
	r := newLogRing(DefaultLogRingSize)
	assert.Zero(t, cap(r.entries))
	ch := r.subscribe(1)
	r.add(logEntry{RequestID: "x"})
	assert.Equal(t, "x", (<-ch).RequestID)
	r.unsubscribe(ch)
}
