package engine

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// logKind says what produced a log entry.
type logKind uint8

const (
	logInvocation logKind = iota
	logShutdown           // lines of a retiring instance
)

// logEntry is one invocation's log, kept structured so that formatting
// (START, END, REPORT) costs nothing unless someone reads it.
type logEntry struct {
	Seq          uint64
	Time         time.Time
	Kind         logKind
	RequestID    string
	Version      string
	Duration     time.Duration
	InitDuration time.Duration
	Cold         bool
	Failed       bool
	MemoryMB     int
	MemoryUsed   uint64
	Lines        []byte
}

// logRing keeps a function's most recent log entries and passes new ones
// to subscribers. It grows as entries come, up to size of them: a
// function deployed and never invoked costs none (a full ring of the
// default size is ~140 KB).
type logRing struct {
	mu      sync.Mutex
	size    uint64     // how many entries it keeps, at most
	entries []logEntry // entry seq is at seq%size; shorter until full
	next    uint64     // sequence number of the next entry
	subs    map[chan logEntry]struct{}
	dropped uint64 // entries a slow subscriber missed
}

func newLogRing(size int) *logRing {
	return &logRing{size: uint64(size)}
}

func (r *logRing) add(e logEntry) {
	r.mu.Lock()
	e.Seq = r.next
	if uint64(len(r.entries)) < r.size {
		r.entries = append(r.entries, e) // not full: next == len(entries)
	} else {
		r.entries[r.next%r.size] = e
	}
	r.next++
	for ch := range r.subs {
		select {
		case ch <- e:
		default:
			r.dropped++
		}
	}
	r.mu.Unlock()
}

// since returns the kept entries with a sequence number at least seq,
// oldest first.
func (r *logRing) since(seq uint64) []logEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest := uint64(0)
	if r.next > r.size {
		oldest = r.next - r.size
	}
	// A seq past the newest (a follower ahead of a restarted engine) has
	// nothing yet; unchecked, r.next-seq would wrap around.
	seq = min(max(seq, oldest), r.next)
	out := make([]logEntry, 0, r.next-seq)
	for s := seq; s < r.next; s++ {
		out = append(out, r.entries[s%r.size])
	}
	return out
}

func (r *logRing) subscribe(buffer int) chan logEntry {
	ch := make(chan logEntry, buffer)
	r.mu.Lock()
	if r.subs == nil {
		r.subs = map[chan logEntry]struct{}{}
	}
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	return ch
}

func (r *logRing) unsubscribe(ch chan logEntry) {
	r.mu.Lock()
	delete(r.subs, ch)
	r.mu.Unlock()
}

// formatInvocation appends e as Lambda writes an invocation's log.
func formatInvocation(b []byte, e logEntry) []byte {
	if e.Kind == logShutdown {
		return append(b, e.Lines...)
	}
	b = append(b, "START RequestId: "...)
	b = append(b, e.RequestID...)
	b = append(b, " Version: "...)
	b = append(b, e.Version...)
	b = append(b, '\n')
	b = append(b, e.Lines...)
	b = append(b, "END RequestId: "...)
	b = append(b, e.RequestID...)
	b = append(b, "\nREPORT RequestId: "...)
	b = append(b, e.RequestID...)
	b = append(b, "\tDuration: "...)
	b = appendMillis(b, e.Duration)
	b = append(b, " ms\tBilled Duration: "...)
	b = strconv.AppendInt(b, int64(billed(e.Duration)/time.Millisecond), 10)
	b = append(b, " ms\tMemory Size: "...)
	b = strconv.AppendInt(b, int64(e.MemoryMB), 10)
	b = append(b, " MB\tMax Memory Used: "...)
	b = strconv.AppendUint(b, (e.MemoryUsed+(1<<20)-1)>>20, 10)
	b = append(b, " MB"...)
	if e.Cold {
		b = append(b, "\tInit Duration: "...)
		b = appendMillis(b, e.InitDuration)
		b = append(b, " ms"...)
	}
	return append(b, '\n')
}

func appendMillis(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

// LogRecord is one entry of a function's log: an invocation's complete log
// (START, the function's lines, END, REPORT), or the lines of an instance
// retiring.
type LogRecord struct {
	Seq       uint64
	Time      time.Time
	RequestID string // empty for a retiring instance's lines
	Version   string
	Failed    bool
	Text      []byte
}

func (e logEntry) record() LogRecord {
	return LogRecord{Seq: e.Seq, Time: e.Time, RequestID: e.RequestID, Version: e.Version,
		Failed: e.Failed, Text: formatInvocation(nil, e)}
}

// Logs returns the kept log records of function name from sequence number
// since on (0: all kept), oldest first. The ring keeps the last
// Config.LogRingSize.
func (e *Engine) Logs(name string, since uint64) ([]LogRecord, error) {
	f, err := e.function(name)
	if err != nil {
		return nil, err
	}
	entries := f.logs.since(since)
	out := make([]LogRecord, len(entries))
	for i, en := range entries {
		out[i] = en.record()
	}
	return out, nil
}

// FollowLogs calls fn with each new log record of function name until ctx
// is done or fn returns false. Records arriving faster than fn consumes
// them are dropped (and counted), never blocking invocations.
func (e *Engine) FollowLogs(ctx context.Context, name string, fn func(LogRecord) bool) error {
	f, err := e.function(name)
	if err != nil {
		return err
	}
	ch := f.logs.subscribe(256)
	defer f.logs.unsubscribe(ch)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case en := <-ch:
			if !fn(en.record()) {
				return nil
			}
		}
	}
}
