package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi/policy"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snapshotModes are the ways an engine can start instances, the one
// without snapshots first: it is the reference the others must match.
var snapshotModes = []struct {
	name string
	mode engine.SnapshotMode
}{
	{"off", engine.SnapshotsOff},
	{"map", engine.SnapshotsDefault},
	{"copy", engine.SnapshotsCopy},
}

// snapEngine starts an engine with the snapshot mode given.
func snapEngine(t testing.TB, mode engine.SnapshotMode) *engine.Engine {
	return newEngine(t, engine.Config{Snapshots: mode})
}

// memcounter returns engine/testdata/memcounter, the Go guest that counts
// in a package variable (see its doc comment).
func memcounter(t testing.TB) []byte { return testguest.Go(t, "engine/testdata/memcounter") }

// counted is memcounter's response.
type counted struct {
	Count int    `json:"count"`
	Base  int    `json:"base"`
	Inits int    `json:"inits"`
	Nonce string `json:"nonce"`
	File  string `json:"file"`
	KV    string `json:"kv"`
}

// count invokes a memcounter function with payload and decodes its answer.
func count(t testing.TB, eng *engine.Engine, name, payload string) counted {
	t.Helper()
	var c counted
	require.NoError(t, json.Unmarshal(mustSucceed(t, eng, name, payload).Payload, &c))
	return c
}

// cell is snapcell's response: its counter cell, how many times flint_init
// ran in its memory's history, and its global.
type cell struct{ Counter, Inits, Global int32 }

// snapcell invokes an engine/testdata/snapcell function and decodes its
// answer.
func snapcell(t testing.TB, eng *engine.Engine, name, payload string) cell {
	t.Helper()
	res := mustSucceed(t, eng, name, payload)
	require.Len(t, res.Payload, 12)
	le := binary.LittleEndian
	return cell{int32(le.Uint32(res.Payload)), int32(le.Uint32(res.Payload[4:])), int32(le.Uint32(res.Payload[8:]))}
}

// transcript runs payloads one after the other and describes each outcome
// without what legitimately differs between runs: timestamps and request
// ids in the logs, durations, whether the instance was cold.
func transcript(t testing.TB, eng *engine.Engine, name string, payloads []string) []string {
	t.Helper()
	out := make([]string, 0, len(payloads))
	for i, p := range payloads {
		res := invoke(t, eng, name, p)
		var b strings.Builder
		fmt.Fprintf(&b, "#%d %.40q -> ", i, p)
		if fe := res.FunctionError; fe != nil {
			fmt.Fprintf(&b, "error type=%q unhandled=%v message=%q", fe.Type, fe.Unhandled, fe.Message)
		} else {
			fmt.Fprintf(&b, "payload=%q", res.Payload)
		}
		for _, l := range parseLogs(t, res.Logs) {
			fmt.Fprintf(&b, "\n  %s %s", l.Level, strings.ReplaceAll(l.Message, res.RequestID, "<request>"))
		}
		out = append(out, b.String())
	}
	return out
}

func repeat(n int, payloads ...string) []string {
	var out []string
	for range n {
		out = append(out, payloads...)
	}
	return out
}

// TestSnapshotBehavesLikeInit runs each guest through the same invocations
// on an engine without snapshots and on engines starting instances from
// mapped and from copied snapshots, and requires the same outcomes:
// payloads, function errors, log lines. Traps, timeouts and the memory cap
// make the engines replace (or recycle) instances along the way.
func TestSnapshotBehavesLikeInit(t *testing.T) {
	kvPolicy := policy.MustParse(`{"Version": "2026-11-01", "Statement": [
		{"Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": ["kv:counters/*"]}]}`)
	words := []string{"the cat and the hat", "", "a a a b b c", "don't stop, don't", "Ünïcode wörds wörds"}
	var texts []string
	for i := range 50 {
		texts = append(texts, words[i%len(words)]+strings.Repeat(" x", i))
	}
	var names []string
	for i := range 50 {
		names = append(names, fmt.Sprintf(`{"name":"ana%d"}`, i))
	}
	tests := []struct {
		name     string
		fn       engine.Function
		payloads []string
		snapshot string // the status's prefix with snapshots on
		first    string // the first response, when set
	}{
		{name: "hello", fn: engine.Function{Code: testguest.Go(t, "hello"), Env: map[string]string{"GREETING": "Hola"}},
			payloads: append(names, "not json", `{}`), snapshot: "ready", first: `{"message":"Hola, ana0!"}`},
		{name: "echo", fn: engine.Function{Code: testguest.Go(t, "echo")},
			payloads: append(texts, ""), snapshot: "ready", first: "the cat and the hat"},
		{name: "wordcount", fn: engine.Function{Code: testguest.Go(t, "wordcount")},
			payloads: texts, snapshot: "ready"},
		{name: "fail", fn: engine.Function{Code: testguest.Go(t, "fail")},
			payloads: texts, snapshot: "ready"},
		{name: "panic", fn: engine.Function{Code: testguest.Go(t, "panic")},
			payloads: repeat(6, "x"), snapshot: "ready"},
		{name: "spin", fn: engine.Function{Code: testguest.Go(t, "spin"), Timeout: 100 * time.Millisecond},
			payloads: []string{`{"ms":1}`, "", `{"ms":1}`, `{"sleep_ms":1}`, `{"sleep_ms":5000}`, "", "bad", `{"ms":1}`}, snapshot: "ready"},
		{name: "memhog", fn: engine.Function{Code: testguest.Go(t, "memhog"), MemoryMB: 40},
			payloads: repeat(8, `{"mb":8}`), snapshot: "ready"},
		{name: "kvcounter allowed", fn: engine.Function{Code: testguest.Go(t, "kvcounter"), Policy: kvPolicy},
			payloads: append(repeat(48, `{"key":"x"}`), `{}`, "[]"), snapshot: "ready", first: `{"key":"x","count":1}`},
		{name: "kvcounter denied", fn: engine.Function{Code: testguest.Go(t, "kvcounter")},
			payloads: repeat(10, `{"key":"x"}`), snapshot: "ready"},
		{name: "wat-echo", fn: engine.Function{Code: testguest.WATEcho(t)},
			payloads: append(texts, strings.Repeat("y", 200_000)), snapshot: "off: the module has no initializer to skip"},
		{name: "snapcell", fn: engine.Function{Code: wat(t, "snapcell"), MemoryMB: 1, Timeout: 100 * time.Millisecond},
			payloads: repeat(3, "", "u", "", "", "g", "", "s", "", "G", "u", ""), snapshot: "ready"},
		{name: "c-hello", fn: engine.Function{Code: testguest.File(t, "guest-examples/c-hello/hello.wasm"), Env: map[string]string{"GREETING": "Bonjour"}},
			payloads: append(repeat(10, "ana", "", "Zoë"), strings.Repeat("z", 5000)), snapshot: "ready", first: "Bonjour, ana! (crc32 779f6fe2)"},
	}
	engines := make([]*engine.Engine, len(snapshotModes))
	for i, m := range snapshotModes {
		engines[i] = snapEngine(t, m.mode)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn.Name = strings.ReplaceAll(tt.name, " ", "-")
			var want []string
			for i, m := range snapshotModes {
				eng := engines[i]
				deploy(t, eng, tt.fn)
				got := transcript(t, eng, tt.fn.Name, tt.payloads)
				st := stats(t, eng, tt.fn.Name)
				switch {
				case m.mode == engine.SnapshotsOff:
					assert.Equal(t, "off: disabled in the engine's configuration", st.Snapshot)
				case tt.snapshot == "ready" && m.mode == engine.SnapshotsCopy:
					assert.Regexp(t, `^ready: \d+ KiB of memory copied`, st.Snapshot)
				case tt.snapshot == "ready":
					assert.Regexp(t, `^ready: \d+ KiB of memory mapped`, st.Snapshot)
				default:
					assert.Equal(t, tt.snapshot, st.Snapshot)
				}
				if tt.first != "" {
					assert.Contains(t, got[0], fmt.Sprintf("payload=%q", tt.first), m.name)
				}
				if i == 0 {
					want = got
					continue
				}
				if !assert.Equal(t, want, got, "%s differs from an engine without snapshots", m.name) {
					return
				}
				if m.mode == engine.SnapshotsCopy {
					assert.Zero(t, st.Recycled, "copy mode does not recycle")
				}
			}
		})
	}
}

// TestSnapshotInstancesAreIsolated holds one memcounter instance busy while
// others count: every instance starts from the snapshot's state (base
// 1000, count 0) and counts on its own, never seeing another's writes.
func TestSnapshotInstancesAreIsolated(t *testing.T) {
	code := memcounter(t)
	for _, m := range snapshotModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			eng := snapEngine(t, m.mode)
			deploy(t, eng, engine.Function{Name: "mc", Code: code, Timeout: 10 * time.Second})
			reserve(t, eng, "mc", 8)

			var mu sync.Mutex
			var all []counted
			record := func(c counted) {
				mu.Lock()
				all = append(all, c)
				mu.Unlock()
			}
			// One instance holds until told: then at least one other
			// instance must serve the others meanwhile.
			ctx, release := context.WithCancel(context.Background())
			held := make(chan *engine.Result, 1)
			go func() {
				res, err := eng.Invoke(ctx, "mc", []byte(`{"op":"sleep"}`))
				assert.NoError(t, err)
				held <- res
			}()
			require.Eventually(t, func() bool { return stats(t, eng, "mc").Busy == 1 }, 10*time.Second, time.Millisecond)
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for range 10 {
						res, err := eng.Invoke(context.Background(), "mc", []byte(`{"op":"hold","ms":1}`))
						if !assert.NoError(t, err) || !assert.Nil(t, res.FunctionError) {
							return
						}
						var c counted
						assert.NoError(t, json.Unmarshal(res.Payload, &c))
						record(c)
					}
				})
			}
			wg.Wait()
			release()
			res := <-held
			require.NotNil(t, res.FunctionError)
			assert.ErrorIs(t, res.FunctionError, engine.ErrCanceled)

			byInstance := map[string][]int{}
			for _, c := range all {
				assert.Equal(t, 1000, c.Base)
				assert.Equal(t, 1, c.Inits)
				byInstance[c.Nonce] = append(byInstance[c.Nonce], c.Count)
			}
			require.Len(t, all, 40)
			for nonce, counts := range byInstance {
				slices.Sort(counts)
				want := make([]int, len(counts))
				for i := range want {
					want[i] = i + 1
				}
				assert.Equal(t, want, counts, "instance %s counts from 1 on its own", nonce)
			}
			// The held instance counted 1 when it started spinning; the
			// others never saw that.
			assert.GreaterOrEqual(t, len(byInstance), 1)
			assert.GreaterOrEqual(t, stats(t, eng, "mc").ColdStarts, uint64(2))

			// The canceled instance was recycled (map) or replaced: the next
			// call on it starts from the snapshot again.
			st := stats(t, eng, "mc")
			if m.mode == engine.SnapshotsDefault {
				assert.Equal(t, uint64(1), st.Recycled)
			} else {
				assert.Equal(t, uint64(1), st.Discarded)
			}
		})
	}
}

// TestSnapshotGlobalsAndMemoryPerInstance checks a WAT guest's state, in a
// memory cell and in a global, set by its start function and _initialize:
// each instance starts from the snapshot's values.
func TestSnapshotGlobalsAndMemoryPerInstance(t *testing.T) {
	for _, m := range snapshotModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			eng := snapEngine(t, m.mode)
			deploy(t, eng, engine.Function{Name: "cell", Code: wat(t, "snapcell"), MemoryMB: 1})
			assert.Equal(t, cell{101, 1, 8}, snapcell(t, eng, "cell", ""))
			assert.Equal(t, cell{102, 1, 9}, snapcell(t, eng, "cell", ""))
			res := invoke(t, eng, "cell", "u")
			require.NotNil(t, res.FunctionError)
			assert.ErrorIs(t, res.FunctionError, engine.ErrTrap)
			res = mustSucceed(t, eng, "cell", "")
			assert.Equal(t, []byte{101, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0}, res.Payload, "a new or recycled instance starts from the snapshot")
			assert.Contains(t, string(res.Logs), "flint_init ran", "its flint_init ran again")
		})
	}
}

// TestSnapshotRecycle checks what happens to instances that must not be
// reused as they are: after a trap, a timeout, or one single-use call, an
// instance started from a mapped snapshot is reset to it (Recycled) and
// behaves as a fresh one, its watchdog working; an instance whose memory
// grew is discarded instead; flint_init runs again unless SnapshotInit.
func TestSnapshotRecycle(t *testing.T) {
	code := memcounter(t)
	// A check gets the result, those of the steps before, and whether the
	// engine starts instances from snapshots.
	type check func(t *testing.T, res *engine.Result, prev []*engine.Result, snap bool)
	type step struct {
		payload string
		check   check
	}
	ok := func(want counted) check {
		return func(t *testing.T, res *engine.Result, _ []*engine.Result, _ bool) {
			require.Nil(t, res.FunctionError, "%s", res.Logs)
			var c counted
			require.NoError(t, json.Unmarshal(res.Payload, &c))
			assert.Equal(t, want.Count, c.Count, "count")
			assert.Equal(t, 1000, c.Base)
			assert.Equal(t, 1, c.Inits)
		}
	}
	failed := func(cause error) check {
		return func(t *testing.T, res *engine.Result, _ []*engine.Result, _ bool) {
			require.NotNil(t, res.FunctionError)
			assert.ErrorIs(t, res.FunctionError, cause)
		}
	}
	nonce := func(r *engine.Result) string {
		var c counted
		if r.FunctionError == nil {
			_ = json.Unmarshal(r.Payload, &c)
		}
		return c.Nonce
	}
	// sameNonce checks whether flint_init ran again (its nonce changes
	// when it did) on a fresh or recycled instance: it must not with
	// SnapshotInit and a snapshot, and must otherwise.
	sameNonce := func(snapshotInit bool, with int) check {
		return func(t *testing.T, res *engine.Result, prev []*engine.Result, snap bool) {
			ok(counted{Count: 1})(t, res, prev, snap)
			assert.Equal(t, snapshotInit && snap, nonce(res) == nonce(prev[with]), "nonce %s then %s", nonce(prev[with]), nonce(res))
		}
	}
	timedOutQuickly := func(t *testing.T, res *engine.Result, _ []*engine.Result, snap bool) {
		failed(engine.ErrTimeout)(t, res, nil, snap)
		assert.Less(t, res.Duration, 2*time.Second, "stopped by its watchdog at the 200 ms timeout")
	}
	tests := []struct {
		name  string
		fn    engine.Function
		cfg   engine.Config
		steps []step
		// the pool's counters at the end, with a mapped snapshot
		recycled, coldStarts, discarded, retired uint64
	}{
		{name: "after a trap", steps: []step{
			{`{}`, ok(counted{Count: 1})}, {`{}`, ok(counted{Count: 2})},
			{`{"op":"panic"}`, failed(engine.ErrTrap)},
			{`{}`, sameNonce(false, 1)}, {`{}`, ok(counted{Count: 2})},
		}, recycled: 1, coldStarts: 1},
		{name: "after a timeout", fn: engine.Function{Timeout: 200 * time.Millisecond}, steps: []step{
			{`{}`, ok(counted{Count: 1})},
			{`{"op":"spin"}`, timedOutQuickly},
			{`{"op":"spin"}`, timedOutQuickly},
			{`{}`, sameNonce(false, 0)},
			{`{"op":"spin"}`, timedOutQuickly},
			{`{}`, ok(counted{Count: 1})},
		}, recycled: 3, coldStarts: 1},
		{name: "single use", fn: engine.Function{SingleUse: true}, steps: []step{
			{`{}`, ok(counted{Count: 1})}, {`{}`, sameNonce(false, 0)}, {`{}`, sameNonce(false, 1)}, {`{}`, ok(counted{Count: 1})},
		}, recycled: 4, coldStarts: 1},
		{name: "single use with SnapshotInit", fn: engine.Function{SingleUse: true, SnapshotInit: true}, steps: []step{
			{`{}`, ok(counted{Count: 1})}, {`{}`, sameNonce(true, 0)}, {`{"op":"panic"}`, failed(engine.ErrTrap)}, {`{}`, sameNonce(true, 0)},
		}, recycled: 4, coldStarts: 1},
		{name: "memory grown, single use", fn: engine.Function{SingleUse: true}, steps: []step{
			{`{"op":"grow","mb":4}`, ok(counted{Count: 1})}, {`{}`, ok(counted{Count: 1})},
		}, recycled: 1, coldStarts: 2, retired: 1},
		{name: "memory grown, then a trap", steps: []step{
			{`{"op":"grow","mb":4}`, ok(counted{Count: 1})}, {`{"op":"panic"}`, failed(engine.ErrTrap)}, {`{}`, ok(counted{Count: 1})},
		}, coldStarts: 2, discarded: 1},
		{name: "NoRecycle", cfg: engine.Config{NoRecycle: true}, steps: []step{
			{`{}`, ok(counted{Count: 1})}, {`{"op":"panic"}`, failed(engine.ErrTrap)}, {`{}`, sameNonce(false, 0)},
		}, coldStarts: 2, discarded: 1},
	}
	for _, tt := range tests {
		// Only instances from mapped snapshots are recycled; the checks
		// say what a fresh instance does, and TestSnapshotBehavesLikeInit
		// compares the modes.
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			eng := newEngine(t, cfg)
			fn := tt.fn
			fn.Name, fn.Code = "mc", code
			deploy(t, eng, fn)
			var prev []*engine.Result
			for i, s := range tt.steps {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				res, err := eng.Invoke(ctx, "mc", []byte(s.payload))
				cancel()
				require.NoError(t, err)
				t.Logf("step %d %s: %s %v", i, s.payload, res.Payload, res.FunctionError)
				s.check(t, res, prev, true)
				prev = append(prev, res)
			}
			settled(t, eng, "mc")
			st := stats(t, eng, "mc")
			assert.Regexp(t, "^ready: .* mapped", st.Snapshot)
			assert.Equal(t, tt.recycled, st.Recycled, "recycled")
			assert.Equal(t, tt.coldStarts, st.ColdStarts, "cold starts")
			assert.Equal(t, tt.discarded, st.Discarded, "discarded")
			assert.Equal(t, tt.retired, st.Retired, "retired")
		})
	}
}

// TestSnapshotRecycleWAT covers recycling with a WAT guest: the state after
// a trap, a refused memory growth, single use, and the shutdown hook (run
// once per retiring or recycled instance, as without snapshots).
func TestSnapshotRecycleWAT(t *testing.T) {
	tests := []struct {
		name     string
		fn       engine.Function
		payloads []string
		// whether each call succeeds ("" ok) or which cause it fails with
		want      []error
		shutdowns int // flint_shutdown lines in the function's log
	}{
		{name: "trap then call", payloads: []string{"", "u", ""}, want: []error{nil, engine.ErrTrap, nil}},
		{name: "refused growth is not a later trap's cause", payloads: []string{"G", "u", ""},
			want: []error{engine.ErrMemoryLimit, engine.ErrTrap, nil}},
		{name: "single use", fn: engine.Function{SingleUse: true}, payloads: []string{"", "", ""},
			want: []error{nil, nil, nil}, shutdowns: 5},
		{name: "single use, memory grown", fn: engine.Function{SingleUse: true}, payloads: []string{"g", "g", ""},
			want: []error{nil, nil, nil}, shutdowns: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var want []string
			for _, m := range snapshotModes {
				eng := snapEngine(t, m.mode)
				fn := tt.fn
				fn.Name, fn.Code, fn.MemoryMB = "cell", wat(t, "snapcell"), 1
				deploy(t, eng, fn)
				for i, p := range tt.payloads {
					res := invoke(t, eng, "cell", p)
					if tt.want[i] == nil {
						assert.Nil(t, res.FunctionError, "%s: call %d", m.name, i)
					} else if assert.NotNil(t, res.FunctionError, "%s: call %d", m.name, i) {
						assert.ErrorIs(t, res.FunctionError, tt.want[i], "%s: call %d: %v", m.name, i, res.FunctionError)
					}
				}
				got := transcript(t, eng, "cell", []string{"", ""})
				if want == nil {
					want = got
				} else {
					assert.Equal(t, want, got, m.name)
				}
				settled(t, eng, "cell")
				logs, err := eng.Logs("cell", 0)
				require.NoError(t, err)
				n := 0
				for _, l := range logs {
					n += strings.Count(string(l.Text), "flint_shutdown ran")
				}
				assert.Equal(t, tt.shutdowns, n, "%s: shutdown hooks run", m.name)
			}
		})
	}
}

// snapFiles returns the metadata and image files of the one snapshot kept
// in dir.
func snapFiles(t testing.TB, dir string) (meta, image string) {
	t.Helper()
	metas, err := filepath.Glob(filepath.Join(dir, "snapshots", "*.json"))
	require.NoError(t, err)
	require.Len(t, metas, 1, "one snapshot kept")
	images, err := filepath.Glob(filepath.Join(dir, "snapshots", "*.img"))
	require.NoError(t, err)
	require.Len(t, images, 1)
	return metas[0], images[0]
}

// editJSON rewrites the JSON object in file with edit.
func editJSON(t testing.TB, file string, edit func(m map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	edit(m)
	b, err = json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, b, 0o600))
}

// editFile rewrites file with edit.
func editFile(t testing.TB, file string, edit func(b []byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, edit(b), 0o600))
}

// TestSnapshotKeptAcrossRestarts deploys with a data directory, damages the
// snapshot kept there, and restarts: a damaged or mismatched snapshot is
// refused (and the refusal logged), a new one taken, and instances start
// from the right state; an intact one is used as it is.
func TestSnapshotKeptAcrossRestarts(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, meta, image string)
	}{
		{name: "intact"},
		{name: "image bytes flipped", damage: func(t *testing.T, _, image string) {
			editFile(t, image, func(b []byte) []byte {
				b[0x100] ^= 0xFF // snapcell's counter
				return b
			})
		}},
		{name: "image truncated", damage: func(t *testing.T, _, image string) {
			editFile(t, image, func(b []byte) []byte { return b[:len(b)/2] })
		}},
		{name: "image missing", damage: func(t *testing.T, _, image string) { require.NoError(t, os.Remove(image)) }},
		{name: "metadata not JSON", damage: func(t *testing.T, meta, _ string) {
			editFile(t, meta, func(b []byte) []byte { return b[:len(b)-2] })
		}},
		{name: "metadata empty", damage: func(t *testing.T, meta, _ string) {
			editFile(t, meta, func([]byte) []byte { return nil })
		}},
		{name: "metadata names another image", damage: func(t *testing.T, meta, _ string) {
			sum := sha256.Sum256(make([]byte, 65536))
			editJSON(t, meta, func(m map[string]any) { m["imageSha256"] = hex.EncodeToString(sum[:]) })
		}},
		{name: "metadata digest malformed", damage: func(t *testing.T, meta, _ string) {
			editJSON(t, meta, func(m map[string]any) { m["imageSha256"] = "../../../etc/passwd" })
		}},
		{name: "metadata pages wrong", damage: func(t *testing.T, meta, _ string) {
			editJSON(t, meta, func(m map[string]any) { m["pages"] = m["pages"].(float64) + 1 })
		}},
		{name: "metadata global changed", damage: func(t *testing.T, meta, _ string) {
			editJSON(t, meta, func(m map[string]any) {
				g := m["globals"].(map[string]any)
				require.NotEmpty(t, g)
				for k, v := range g {
					g[k] = v.(float64) + 1
				}
			})
		}},
		{name: "metadata global missing", damage: func(t *testing.T, meta, _ string) {
			editJSON(t, meta, func(m map[string]any) { m["globals"] = map[string]any{} })
		}},
		{name: "metadata init flag flipped", damage: func(t *testing.T, meta, _ string) {
			editJSON(t, meta, func(m map[string]any) { m["includesInit"] = !m["includesInit"].(bool) })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := engine.Config{CompilationCacheDir: testguest.CacheDir(t)}
			firstLogger, firstLogs := debugLogger()
			eng := openDataDir(t, dir, engine.Config{CompilationCacheDir: cfg.CompilationCacheDir, Logger: firstLogger})
			deploy(t, eng, engine.Function{Name: "cell", Code: wat(t, "snapcell"), MemoryMB: 1})
			require.Contains(t, stats(t, eng, "cell").Snapshot, "ready")
			assert.NotContains(t, firstLogs.String(), "snapshot refused", "no snapshot yet is not a refusal")
			assert.Equal(t, cell{101, 1, 8}, snapcell(t, eng, "cell", ""))
			require.NoError(t, eng.Close(context.Background()))

			meta, image := snapFiles(t, dir)
			if tt.damage != nil {
				tt.damage(t, meta, image)
			}
			logger, logs := debugLogger()
			cfg.Logger = logger
			eng = openDataDir(t, dir, cfg)
			assert.Equal(t, cell{101, 1, 8}, snapcell(t, eng, "cell", ""))
			assert.Equal(t, cell{102, 1, 9}, snapcell(t, eng, "cell", ""))
			assert.Contains(t, stats(t, eng, "cell").Snapshot, "ready")
			if tt.damage == nil {
				assert.NotContains(t, logs.String(), "snapshot refused")
			} else {
				assert.Contains(t, logs.String(), "snapshot refused")
				// The new snapshot is kept, intact: the next start uses it.
				require.NoError(t, eng.Close(context.Background()))
				logger, logs = debugLogger()
				cfg.Logger = logger
				eng = openDataDir(t, dir, cfg)
				assert.Equal(t, cell{101, 1, 8}, snapcell(t, eng, "cell", ""))
				assert.NotContains(t, logs.String(), "snapshot refused")
			}
		})
	}
}

// TestSnapshotGoGuestKeptAcrossRestarts does the same with a Go guest,
// whose image is megabytes: damaged in the middle, it is refused.
func TestSnapshotGoGuestKeptAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	cfg := engine.Config{CompilationCacheDir: testguest.CacheDir(t)}
	eng := openDataDir(t, dir, cfg)
	deploy(t, eng, engine.Function{Name: "mc", Code: memcounter(t)})
	first := count(t, eng, "mc", "")
	require.NoError(t, eng.Close(context.Background()))

	_, image := snapFiles(t, dir)
	editFile(t, image, func(b []byte) []byte {
		for i := len(b) / 4; i < len(b)/2; i += 4096 {
			b[i] ^= 0x5A
		}
		return b
	})
	logger, logs := debugLogger()
	cfg.Logger = logger
	eng = openDataDir(t, dir, cfg)
	for i := range 3 {
		c := count(t, eng, "mc", "")
		assert.Equal(t, counted{Count: i + 1, Base: 1000, Inits: 1, Nonce: c.Nonce}, c)
		assert.NotEqual(t, first.Nonce, c.Nonce)
	}
	assert.Contains(t, logs.String(), "snapshot refused")
	assert.Contains(t, stats(t, eng, "mc").Snapshot, "ready")

	// The new snapshot's image is intact. (A Go guest's image differs at
	// every take, its runtime's seeds and clock readings in it, so it has
	// a new name; the damaged one stays behind, unused.)
	metas, err := filepath.Glob(filepath.Join(dir, "snapshots", "*.json"))
	require.NoError(t, err)
	require.Len(t, metas, 1)
	var m struct {
		ImageSHA256 string `json:"imageSha256"`
	}
	b, err := os.ReadFile(metas[0])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &m))
	b, err = os.ReadFile(filepath.Join(dir, "snapshots", m.ImageSHA256+".img"))
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	assert.Equal(t, m.ImageSHA256, hex.EncodeToString(sum[:]))
}

// TestSnapshotOffWhenInitUsesCapabilities: initializers that call a
// capability (or reach a mounted file) get no snapshot, since what the
// call did or read would be frozen into every instance; their instances
// initialize normally, capabilities working under the policy.
func TestSnapshotOffWhenInitUsesCapabilities(t *testing.T) {
	kvGet := policy.MustParse(`{"Version": "2026-11-01", "Statement": [
		{"Effect": "Allow", "Action": ["kv:Get"], "Resource": ["kv:s/k"]}]}`)
	eng := snapEngine(t, engine.SnapshotsDefault)

	t.Run("wat", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			policy *policy.Policy
			want   int32 // what kv_get returned during init
		}{
			{name: "allowed", policy: kvGet, want: -4}, // NOT_FOUND: the call ran
			{name: "denied", want: -6},                 // DENIED
		} {
			t.Run(tt.name, func(t *testing.T) {
				name := "initkv-" + tt.name
				deploy(t, eng, engine.Function{Name: name, Code: wat(t, "init_kv"), Policy: tt.policy})
				for range 3 {
					res := mustSucceed(t, eng, name, "")
					assert.Equal(t, tt.want, int32(binary.LittleEndian.Uint32(res.Payload)))
				}
				st := stats(t, eng, name)
				assert.Regexp(t, `^off: .*capabilities`, st.Snapshot)
			})
		}
	})
	t.Run("go", func(t *testing.T) {
		deploy(t, eng, engine.Function{Name: "mc-kv", Code: memcounter(t), Policy: kvGet, Env: map[string]string{"INIT_KV": "1"}})
		c := count(t, eng, "mc-kv", "")
		assert.Contains(t, c.KV, "not found", "the call ran during a normal init")
		assert.Regexp(t, `^off: .*capabilities`, stats(t, eng, "mc-kv").Snapshot)
	})
	t.Run("mounted file", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "f.txt"), []byte("one"), 0o600))
		eng := newEngine(t, engine.Config{Mounts: []engine.Mount{{HostDir: dir, GuestPath: "/data"}}})
		read := policy.MustParse(`{"Version": "2026-11-01", "Statement": [
			{"Effect": "Allow", "Action": ["fs:Read"], "Resource": ["fs:/data/*"]}]}`)
		deploy(t, eng, engine.Function{Name: "mc-file", Code: memcounter(t), Policy: read, Env: map[string]string{"INIT_FILE": "/data/f.txt"}})
		assert.Equal(t, "one", count(t, eng, "mc-file", "").File)
		assert.Regexp(t, `^off: .*capabilities`, stats(t, eng, "mc-file").Snapshot)

		// A new instance reads the file as it is now.
		require.NoError(t, os.WriteFile(filepath.Join(dir, "f.txt"), []byte("two"), 0o600))
		res := invoke(t, eng, "mc-file", `{"op":"panic"}`)
		require.NotNil(t, res.FunctionError)
		assert.Equal(t, "two", count(t, eng, "mc-file", "").File)
		assert.Zero(t, stats(t, eng, "mc-file").Denials)
	})
}

// TestSnapshotKeyCoversEnv: the environment is part of what initializers
// see, so functions differing only in it get different snapshots.
func TestSnapshotKeyCoversEnv(t *testing.T) {
	dir := t.TempDir()
	eng := openDataDir(t, dir, engine.Config{CompilationCacheDir: testguest.CacheDir(t)})
	c := testguest.File(t, "guest-examples/c-hello/hello.wasm")
	deploy(t, eng, engine.Function{Name: "a", Code: c, Env: map[string]string{"GREETING": "Hi"}})
	deploy(t, eng, engine.Function{Name: "b", Code: c, Env: map[string]string{"GREETING": "Yo"}})
	assert.Equal(t, "Hi, x! (crc32 8cdc1683)", string(mustSucceed(t, eng, "a", "x").Payload))
	assert.Equal(t, "Yo, x! (crc32 8cdc1683)", string(mustSucceed(t, eng, "b", "x").Payload))
	// Redeployed with another greeting: a new snapshot.
	deploy(t, eng, engine.Function{Name: "a", Code: c, Env: map[string]string{"GREETING": "Salut"}})
	assert.Equal(t, "Salut, x! (crc32 8cdc1683)", string(mustSucceed(t, eng, "a", "x").Payload))
	metas, err := filepath.Glob(filepath.Join(dir, "snapshots", "*.json"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(metas), 3)
}

// TestSnapshotFootprint measures what snapshots save: host memory per idle
// pre-initialized go-hello instance (the growth of the process's resident
// and proportional set sizes over 1,000 of them, divided), the time to
// prepare them, and the deploy time a snapshot adds. It is slow and takes
// gigabytes: set FLINT_MEASURE=1 to run it (without -race).
func TestSnapshotFootprint(t *testing.T) {
	if os.Getenv("FLINT_MEASURE") == "" {
		t.Skip("set FLINT_MEASURE=1 to measure (slow, needs ~4 GB)")
	}
	code := testguest.Go(t, "hello")
	const n = 1000
	for _, m := range snapshotModes {
		t.Run(m.name, func(t *testing.T) {
			eng := newEngine(t, engine.Config{Snapshots: m.mode, MaxConcurrency: 2 * n, MemoryCacheBytes: -1})
			var deploys []time.Duration
			for i := range 15 {
				start := time.Now()
				deploy(t, eng, engine.Function{Name: fmt.Sprintf("d%d", i), Code: code})
				deploys = append(deploys, time.Since(start))
			}
			slices.Sort(deploys)
			deploy(t, eng, engine.Function{Name: "hello", Code: code})
			mustSucceed(t, eng, "hello", `{"name":"x"}`)
			debug.FreeOSMemory()
			before := memUse(t)
			start := time.Now()
			require.NoError(t, setProvisioned(context.Background(), eng, "hello", engine.LatestVersion, n))
			require.Eventually(t, func() bool { return stats(t, eng, "hello").Idle >= n }, 5*time.Minute, 10*time.Millisecond)
			took := time.Since(start)
			debug.FreeOSMemory()
			after := memUse(t)
			rss, pss := float64(after.rss-before.rss)/n, float64(after.pss-before.pss)/n
			t.Logf("%s: deploy %v (median of 15); %d idle instances in %v (%v each); per instance: RSS %.0f KiB, PSS %.0f KiB, anonymous %.0f KiB: %.0f instances per GiB (by PSS); %s",
				m.name, deploys[7].Round(10*time.Microsecond), n, took.Round(time.Millisecond), (took / n).Round(time.Microsecond),
				rss/1024, pss/1024, float64(after.anon-before.anon)/n/1024, float64(1<<30)/pss, stats(t, eng, "hello").Snapshot)
			// Every one of them works.
			for range 3 {
				assert.Equal(t, `{"message":"Hello, x!"}`, string(mustSucceed(t, eng, "hello", `{"name":"x"}`).Payload))
			}
		})
	}
}

// memory is what the process holds: its resident set, its proportional
// set (shared pages divided among the mappings that share them), and its
// anonymous memory, in bytes.
type memory struct{ rss, pss, anon int64 }

// memUse reads /proc/self/smaps_rollup.
func memUse(t testing.TB) memory {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no /proc/self/smaps_rollup")
	}
	require.NoError(t, err)
	var m memory
	for _, line := range strings.Split(string(b), "\n") {
		var kb int64
		switch f := strings.Fields(line); {
		case len(f) < 2:
			continue
		case f[0] == "Rss:":
			_, err = fmt.Sscan(f[1], &kb)
			m.rss = kb << 10
		case f[0] == "Pss:":
			_, err = fmt.Sscan(f[1], &kb)
			m.pss = kb << 10
		case f[0] == "Anonymous:":
			_, err = fmt.Sscan(f[1], &kb)
			m.anon = kb << 10
		}
		require.NoError(t, err)
	}
	return m
}

// TestNoSnapshotSurvivesConfigUpdates: turning snapshots off for a
// function is a setting like the others, kept by configuration updates
// and published versions.
func TestNoSnapshotSurvivesConfigUpdates(t *testing.T) {
	eng := snapEngine(t, engine.SnapshotsDefault)
	deploy(t, eng, engine.Function{Name: "fn", Code: memcounter(t), NoSnapshot: true, SnapshotInit: true})
	assert.Regexp(t, `^off: `, stats(t, eng, "fn").Snapshot)

	info, err := eng.Update(context.Background(), "fn", func(f *engine.Function) error {
		f.Timeout = 2 * time.Second
		return nil
	})
	require.NoError(t, err)
	assert.True(t, info.NoSnapshot, "an update of another setting keeps NoSnapshot")
	assert.True(t, info.SnapshotInit)
	count(t, eng, "fn", "")
	assert.Regexp(t, `^off: `, stats(t, eng, "fn").Snapshot)

	v, err := eng.PublishVersion(context.Background(), "fn", "")
	require.NoError(t, err)
	assert.True(t, v.NoSnapshot)

	_, err = eng.Update(context.Background(), "fn", func(f *engine.Function) error {
		f.NoSnapshot = false
		return nil
	})
	require.NoError(t, err)
	count(t, eng, "fn", "")
	assert.Regexp(t, `^ready`, stats(t, eng, "fn").Snapshot)
}
