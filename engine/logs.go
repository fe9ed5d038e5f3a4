package engine

import (
	"bytes"
	"strconv"
	"time"

	"github.com/flintfaas/flint/abi"
)

// logBuffer captures one instance's log lines for the invocation in
// progress (and, before the first, for its init). Each line reads
//
//	2026-11-28T14:39:11.123Z	<request id>	<LEVEL>	<message>
//
// where LEVEL is an ABI level, STDOUT or STDERR. Newlines inside one ABI
// log message become carriage returns, as Lambda's runtimes do, so one
// message stays one line. Past limit bytes, lines are dropped and counted.
type logBuffer struct {
	buf     []byte
	limit   int
	dropped int
	reqID   string
	stdout  stream
	stderr  stream
}

// stream is a guest output stream (WASI stdout or stderr) cut into lines.
type stream struct {
	l       *logBuffer
	level   string
	partial []byte
}

func newLogBuffer(limit int) *logBuffer {
	l := &logBuffer{limit: limit}
	l.stdout = stream{l: l, level: "STDOUT"}
	l.stderr = stream{l: l, level: "STDERR"}
	return l
}

// Log implements abihost.Logger.
func (l *logBuffer) Log(level abi.Level, msg []byte) {
	l.line(level.String(), msg, true)
}

// line appends one formatted line, or counts it dropped.
func (l *logBuffer) line(level string, msg []byte, foldNewlines bool) {
	reqID := l.reqID
	if reqID == "" {
		reqID = "-"
	}
	n := len("2006-01-02T15:04:05.000Z\t\t\t\n") + len(reqID) + len(level) + len(msg)
	if len(l.buf)+n > l.limit {
		l.dropped += len(msg)
		return
	}
	l.buf = time.Now().UTC().AppendFormat(l.buf, "2006-01-02T15:04:05.000Z")
	l.buf = append(l.buf, '\t')
	l.buf = append(l.buf, reqID...)
	l.buf = append(l.buf, '\t')
	l.buf = append(l.buf, level...)
	l.buf = append(l.buf, '\t')
	start := len(l.buf)
	l.buf = append(l.buf, msg...)
	if foldNewlines {
		for i, c := range l.buf[start:] {
			if c == '\n' {
				l.buf[start+i] = '\r'
			}
		}
	}
	l.buf = append(l.buf, '\n')
}

// Write implements io.Writer for WASI's stdout and stderr.
func (s *stream) Write(p []byte) (int, error) {
	n := len(p)
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			break
		}
		if len(s.partial) > 0 {
			s.partial = append(s.partial, p[:i]...)
			s.l.line(s.level, s.partial, false)
			s.partial = s.partial[:0]
		} else {
			s.l.line(s.level, p[:i], false)
		}
		p = p[i+1:]
	}
	if len(p) > 0 {
		if room := s.l.limit - len(s.partial); len(p) > room {
			s.l.dropped += len(p) - max(room, 0)
			p = p[:max(room, 0)]
		}
		s.partial = append(s.partial, p...)
	}
	return n, nil
}

func (s *stream) flush() {
	if len(s.partial) > 0 {
		s.l.line(s.level, s.partial, false)
		s.partial = s.partial[:0]
	}
}

// take returns the captured log (nil if empty) and starts afresh.
func (l *logBuffer) take() []byte {
	l.stdout.flush()
	l.stderr.flush()
	if l.dropped > 0 {
		marker := "log truncated: " + strconv.Itoa(l.dropped) + " bytes dropped (limit " + strconv.Itoa(l.limit) + " bytes per invocation)"
		l.limit += len(marker) + 64 // the marker always fits
		l.line("FLINT", []byte(marker), false)
		l.limit -= len(marker) + 64
		l.dropped = 0
	}
	if len(l.buf) == 0 {
		return nil
	}
	out := bytes.Clone(l.buf)
	l.buf = l.buf[:0]
	return out
}
