package engine_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flintfaas/flint/abi"
	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The isolation tests (issue 8) check that nothing one function leaves
// behind — bytes in linear memory, environment variables, log lines,
// key-value data, files, configuration values — reaches another function,
// and that a fresh instance of a function never sees what an earlier one
// wrote. Each check has its positive control beside it (the owner does see
// its own data), so that a check that cannot see anything does not pass.
//
// Most of them drive engine/testdata/isolation_scan.wat, which fills its
// memory with a pattern or scans it for anything that is not its init
// state (see its header).

// isoMarker is what isolation_scan's _initialize writes at 16.
const isoMarker = 0x1501A7ED

// isoScanOut is isolation_scan's response.
type isoScanOut struct {
	Nonzero uint32 // nonzero 8-byte words in [64, size)
	Hits    uint32 // words equal to the pattern
	Pages   uint32 // the memory's size
	Marker  uint32 // the word at 16
}

// isoWords is how many words isolation_scan fills or scans in a memory of
// pages pages.
func isoWords(pages uint32) uint32 { return (pages*65536 - 64) / 8 }

// isoPayload encodes an isolation_scan operation on an 8-byte pattern.
func isoPayload(t testing.TB, op byte, pattern string) string {
	t.Helper()
	require.Len(t, pattern, 8, "isolation_scan patterns are 8 bytes")
	return string(op) + pattern
}

// isoScan invokes the isolation_scan function name with op and pattern,
// requires it to succeed, and decodes its response.
func isoScan(t testing.TB, eng *engine.Engine, name string, op byte, pattern string) (isoScanOut, *engine.Result) {
	t.Helper()
	res := mustSucceed(t, eng, name, isoPayload(t, op, pattern))
	require.Len(t, res.Payload, 16, "isolation_scan answers 16 bytes")
	le := binary.LittleEndian
	return isoScanOut{
		Nonzero: le.Uint32(res.Payload), Hits: le.Uint32(res.Payload[4:]),
		Pages: le.Uint32(res.Payload[8:]), Marker: le.Uint32(res.Payload[12:]),
	}, res
}

// isoTrap invokes the isolation_scan function name with an operation that
// traps after what it did, and requires the failure.
func isoTrap(t testing.TB, eng *engine.Engine, name string, op byte, pattern string) *engine.Result {
	t.Helper()
	res := invoke(t, eng, name, isoPayload(t, op, pattern))
	require.NotNil(t, res.FunctionError, "%c traps", op)
	require.True(t, res.FunctionError.Unhandled)
	return res
}

// isoRequireClean requires a scan to have found the init state only: no
// byte outside the guest's scratch set, the marker in place.
func isoRequireClean(t testing.TB, out isoScanOut, pages uint32, format string, args ...any) {
	t.Helper()
	what := fmt.Sprintf(format, args...)
	require.Zero(t, out.Hits, "%s: found %d words of another's pattern", what, out.Hits)
	require.Zero(t, out.Nonzero, "%s: found %d nonzero words", what, out.Nonzero)
	require.Equal(t, uint32(isoMarker), out.Marker, "%s: the init state's marker", what)
	require.Equal(t, pages, out.Pages, "%s: memory pages", what)
}

// TestIsolationMemoryAcrossFunctions has function a write a secret over
// all of its memory (up to its cap) and end many ways — returning on a
// single-use instance, trapping, being removed and deployed again, its
// engine's region cache recycling its memory — while function b, with the
// same memory cap (so it is offered a's released memories), scans all of
// its own memory after each: b must never see a nonzero byte. A Go guest
// (memhog) writes too. In every snapshot mode.
func TestIsolationMemoryAcrossFunctions(t *testing.T) {
	scan := wat(t, "isolation_scan")
	hog := testguest.Go(t, "memhog")
	const mb, pages = 4, 64
	for _, m := range snapshotModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			eng := snapEngine(t, m.mode)
			fn := func(name string, code []byte, mb int) engine.Function {
				return engine.Function{Name: name, Code: code, MemoryMB: mb, SingleUse: true, Timeout: 10 * time.Second}
			}
			deployA := func() { deploy(t, eng, fn("a", scan, mb)) }
			deployA()
			deploy(t, eng, fn("b", scan, mb))
			deploy(t, eng, fn("hog", hog, 2*mb))
			deploy(t, eng, fn("b2", scan, 2*mb))

			// The control: a's fill covers its whole memory, and a scan
			// sees it.
			out, _ := isoScan(t, eng, "a", 'g', "A-SECRET")
			require.Equal(t, isoScanOut{isoWords(pages), isoWords(pages), pages, isoMarker}, out)

			for round := range 12 {
				secret := fmt.Sprintf("A%07d", round)
				isoScan(t, eng, "a", 'g', secret)
				isoTrap(t, eng, "a", 'G', secret)
				isoTrap(t, eng, "a", 'F', secret)
				out, _ := isoScan(t, eng, "b", 's', secret)
				isoRequireClean(t, out, pages, "round %d: b after a", round)

				if round%4 == 0 { // a Go guest's init is slow without a snapshot
					mustSucceed(t, eng, "hog", `{"mb":2}`)
					out, _ = isoScan(t, eng, "b2", 's', secret)
					isoRequireClean(t, out, 2*pages, "round %d: b2 after memhog", round)
				}

				if round%4 == 3 {
					require.NoError(t, eng.Remove(context.Background(), "a"))
					deployA()
				}
			}

			// Writers and scanners at once, so that memories are released
			// and taken while others run.
			var wg sync.WaitGroup
			for w := range 2 {
				wg.Go(func() {
					for i := range 10 {
						secret := fmt.Sprintf("W%d%06d", w, i)
						if i%2 == 0 {
							isoScan(t, eng, "a", 'g', secret)
						} else {
							isoTrap(t, eng, "a", 'G', secret)
						}
					}
				})
				wg.Go(func() {
					for i := range 10 {
						out, _ := isoScan(t, eng, "b", 's', "XXXXXXXX")
						isoRequireClean(t, out, pages, "concurrent scan %d.%d", w, i)
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestIsolationMemoryFreshInstance checks a function against itself: a
// warm instance keeps what it wrote (as on Lambda), but the instance that
// serves the invocation after a trap — a new one, or the trapped one reset
// to its snapshot — starts from the init state, and so does every
// invocation of a single-use function.
func TestIsolationMemoryFreshInstance(t *testing.T) {
	scan := wat(t, "isolation_scan")
	const pages = 16 // the module's initial memory
	for _, m := range snapshotModes {
		for _, noRecycle := range []bool{false, true} {
			name := m.name
			if noRecycle {
				name += "/no-recycle"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				eng := newEngine(t, engine.Config{Snapshots: m.mode, NoRecycle: noRecycle})
				deploy(t, eng, engine.Function{Name: "fn", Code: scan, MemoryMB: 4})
				deploy(t, eng, engine.Function{Name: "once", Code: scan, MemoryMB: 4, SingleUse: true})
				words := isoWords(pages)

				// The control: the warm instance sees what it wrote.
				isoScan(t, eng, "fn", 'f', "KEPT-OK!")
				out, _ := isoScan(t, eng, "fn", 'S', "KEPT-OK!")
				require.Equal(t, isoScanOut{words, words, pages, isoMarker}, out, "a warm instance keeps its memory")

				for round := range 15 {
					secret := fmt.Sprintf("T%07d", round)
					isoTrap(t, eng, "fn", 'F', secret) // written, same size: resettable
					out, _ := isoScan(t, eng, "fn", 'S', secret)
					isoRequireClean(t, out, pages, "round %d: after a trap", round)

					isoTrap(t, eng, "fn", 'G', secret) // grown: discarded
					out, _ = isoScan(t, eng, "fn", 'S', secret)
					isoRequireClean(t, out, pages, "round %d: after a trap with grown memory", round)

					isoScan(t, eng, "once", 'f', secret)
					out, _ = isoScan(t, eng, "once", 'S', secret)
					isoRequireClean(t, out, pages, "round %d: single-use", round)
				}

				// The paths the rounds took: with a mapped snapshot and
				// recycling, the trapped instances were reset, not
				// replaced; otherwise every one was replaced.
				st := stats(t, eng, "fn")
				if m.mode == engine.SnapshotsDefault && !noRecycle {
					assert.GreaterOrEqual(t, st.Recycled, uint64(15), "trapped instances were reset")
					assert.GreaterOrEqual(t, stats(t, eng, "once").Recycled, uint64(15), "single-use instances were reset")
				} else {
					assert.Zero(t, st.Recycled)
					assert.GreaterOrEqual(t, st.Discarded, uint64(30))
				}
			})
		}
	}
}

// TestIsolationEnv checks that a function's environment is its own: a
// WAT guest lists what WASI gives it, and a Go guest, whose runtime copies
// the environment during the init a snapshot captures, greets with its
// own GREETING, in every snapshot mode.
func TestIsolationEnv(t *testing.T) {
	t.Run("wasi environment", func(t *testing.T) {
		eng := newEngine(t, engine.Config{})
		deploy(t, eng, engine.Function{Name: "a", Code: wat(t, "env"), Env: map[string]string{"SECRET_A": "a-secret-value"}})
		deploy(t, eng, engine.Function{Name: "b", Code: wat(t, "env"), Env: map[string]string{"ONLY_B": "b-value"}})
		for range 3 {
			a := string(mustSucceed(t, eng, "a", "").Payload)
			b := string(mustSucceed(t, eng, "b", "").Payload)
			assert.Contains(t, a, "SECRET_A=a-secret-value\n", "the control: a sees its own")
			assert.Contains(t, a, "AWS_LAMBDA_FUNCTION_NAME=a\n")
			assert.NotContains(t, a, "ONLY_B")
			assert.NotContains(t, a, "b-value")
			assert.Contains(t, b, "ONLY_B=b-value\n")
			assert.Contains(t, b, "AWS_LAMBDA_FUNCTION_NAME=b\n")
			assert.NotContains(t, b, "SECRET_A")
			assert.NotContains(t, b, "a-secret-value")
		}
	})

	hello := testguest.Go(t, "hello")
	// Copy mode takes its snapshots as map mode does.
	for _, m := range snapshotModes[:2] {
		t.Run("go runtime/"+m.name, func(t *testing.T) {
			t.Parallel()
			// With a data directory, snapshots are kept and found again
			// by their key: one function must not find another's.
			eng := newEngine(t, engine.Config{Snapshots: m.mode, DataDir: t.TempDir()})
			greet := func(name string) string {
				res := mustSucceed(t, eng, name, `{"name":"ana"}`)
				var out struct{ Message string }
				require.NoError(t, json.Unmarshal(res.Payload, &out))
				return out.Message
			}
			// The same code three times: a first, so that its snapshot
			// exists when the others are deployed.
			fn := func(name string, env map[string]string) engine.Function {
				return engine.Function{Name: name, Code: hello, Env: env, Timeout: 10 * time.Second}
			}
			deploy(t, eng, fn("a", map[string]string{"GREETING": "a-secret-greeting"}))
			require.Equal(t, "a-secret-greeting, ana!", greet("a"), "the control: a sees its own")
			deploy(t, eng, fn("b", nil))
			deploy(t, eng, fn("c", map[string]string{"GREETING": "Hi"}))
			for range 3 {
				assert.Equal(t, "Hello, ana!", greet("b"), "b has no GREETING")
				assert.Equal(t, "Hi, ana!", greet("c"))
				assert.Equal(t, "a-secret-greeting, ana!", greet("a"))
			}
			// A new configuration of a takes its old environment away too.
			_, err := eng.Update(context.Background(), "a", func(f *engine.Function) error {
				f.Env = nil
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, "Hello, ana!", greet("a"))
		})
	}
}

// TestIsolationLogs checks that a function's log lines reach its own
// results and log ring only: not another function's, and not the next
// invocation's of its own, even when the invocation that logged trapped
// with a line half written to stdout.
func TestIsolationLogs(t *testing.T) {
	scan := wat(t, "isolation_scan")
	// logged returns whether logs hold pattern, as the ABI line and the
	// stdout line (flushed unterminated) isolation_scan writes.
	logged := func(t *testing.T, logs []byte, pattern string) bool {
		var abiLine, stdout bool
		for _, l := range parseLogs(t, logs) {
			abiLine = abiLine || l.Level == "INFO" && l.Message == pattern
			stdout = stdout || l.Level == "STDOUT" && l.Message == pattern
		}
		return abiLine && stdout
	}
	ringHas := func(t *testing.T, eng *engine.Engine, name, pattern string) bool {
		recs, err := eng.Logs(name, 0)
		require.NoError(t, err)
		for _, r := range recs {
			if strings.Contains(string(r.Text), pattern) {
				return true
			}
		}
		return false
	}

	for _, noRecycle := range []bool{false, true} {
		t.Run(fmt.Sprintf("no-recycle=%v", noRecycle), func(t *testing.T) {
			eng := newEngine(t, engine.Config{NoRecycle: noRecycle})
			deploy(t, eng, engine.Function{Name: "a", Code: scan, MemoryMB: 2})
			deploy(t, eng, engine.Function{Name: "b", Code: scan, MemoryMB: 2})

			_, res := isoScan(t, eng, "a", 'l', "A-LOGGED")
			require.True(t, logged(t, res.Logs, "A-LOGGED"), "the control: a's result has its lines; logs:\n%s", res.Logs)
			require.True(t, ringHas(t, eng, "a", "A-LOGGED"), "the control: a's ring has them")

			_, res = isoScan(t, eng, "b", 'S', "B-NOTHIN")
			assert.NotContains(t, string(res.Logs), "A-LOGGED")
			assert.False(t, ringHas(t, eng, "b", "A-LOGGED"), "b's log ring")

			// A trap with a partial stdout line: the line belongs to the
			// invocation that wrote it.
			res = isoTrap(t, eng, "a", 'L', "A-TRAPPD")
			assert.True(t, logged(t, res.Logs, "A-TRAPPD"), "logs:\n%s", res.Logs)
			_, res = isoScan(t, eng, "a", 'S', "A-NEXT!!")
			assert.NotContains(t, string(res.Logs), "A-TRAPPD", "the next invocation of a")
			_, res = isoScan(t, eng, "b", 'S', "B-NOTHIN")
			assert.NotContains(t, string(res.Logs), "A-TRAPPD")
			assert.False(t, ringHas(t, eng, "b", "A-TRAPPD"), "b's log ring")
		})
	}

	t.Run("concurrent", func(t *testing.T) {
		eng := newEngine(t, engine.Config{})
		for _, name := range []string{"a", "b"} {
			deploy(t, eng, engine.Function{Name: name, Code: scan, MemoryMB: 2})
		}
		// b's followed log, while both run: it must hold none of a's.
		ctx, stop := context.WithCancel(context.Background())
		var followed sync.WaitGroup
		var seenByB []string
		followed.Go(func() {
			_ = eng.FollowLogs(ctx, "b", func(r engine.LogRecord) bool {
				seenByB = append(seenByB, string(r.Text))
				return true
			})
		})
		// Every invocation logs its own pattern; its result must hold
		// that one, tagged with its request id, and no other.
		var wg sync.WaitGroup
		for _, name := range []string{"a", "b"} {
			for g := range 2 {
				wg.Go(func() {
					for i := range 25 {
						pattern := fmt.Sprintf("%s%d%06d", name, g, i)
						op := byte('l')
						if i%5 == 4 {
							op = 'L'
						}
						res := invoke(t, eng, name, isoPayload(t, op, pattern))
						lines := parseLogs(t, res.Logs)
						var mine int
						for _, l := range lines {
							assert.Equal(t, res.RequestID, l.RequestID, "%s: every line carries the invocation's request id", pattern)
							if l.Message == pattern {
								mine++
							} else if l.Level == "INFO" || l.Level == "STDOUT" {
								assert.Fail(t, "a line of another invocation", "%s's result has %q", pattern, l.Message)
							}
						}
						assert.Equal(t, 2, mine, "%s: its ABI and stdout lines; logs:\n%s", pattern, res.Logs)
					}
				})
			}
		}
		wg.Wait()
		stop()
		followed.Wait()
		recs, err := eng.Logs("b", 0)
		require.NoError(t, err)
		require.Len(t, recs, 50)
		for _, r := range recs {
			seenByB = append(seenByB, string(r.Text))
		}
		for _, text := range seenByB {
			assert.NotContains(t, text, "\tINFO\ta", "b's log holds a line of a")
			assert.NotContains(t, text, "\tSTDOUT\ta", "b's log holds a line of a")
		}
	})
}

// TestIsolationKV gives two functions kv:* on a store each (and one of
// them everything on its store, with "*"): neither reaches the other's
// store by any name, key or operation, nothing of a denied call reaches
// the store, and what each wrote is intact. With the memory store and the
// durable one.
func TestIsolationKV(t *testing.T) {
	const (
		denied   = -int32(abi.ErrnoDenied)
		notFound = -int32(abi.ErrnoNotFound)
		invalid  = -int32(abi.ErrnoInvalid)
	)
	stores := []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"memory", func(*testing.T) store.Store { return store.NewMemory() }},
		{"durable", func(t *testing.T) store.Store {
			s, err := store.Open(t.TempDir(), store.Options{})
			require.NoError(t, err)
			return s
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := &capStore{Store: st.open(t)}
			t.Cleanup(func() { assert.NoError(t, s.Store.Close()) })
			eng := newEngine(t, engine.Config{Store: s})
			capDeploy(t, eng, "a", capPolicy(t, capAllow("kv:*", "kv:alpha/*")))
			capDeploy(t, eng, "b", capPolicy(t, capAllow("*", "kv:beta/*")))

			// The controls: each reads back what it wrote.
			out, _ := capCall(t, eng, "a", capKVPut, "alpha", "secret", "a-secret")
			require.Zero(t, out.Result)
			out, _ = capCall(t, eng, "a", capKVGet, "alpha", "secret")
			require.Equal(t, "a-secret", out.Pending)
			out, _ = capCall(t, eng, "b", capKVPut, "beta", "secret", "b-secret")
			require.Zero(t, out.Result)
			out, _ = capCall(t, eng, "b", capKVGet, "beta", "secret")
			require.Equal(t, "b-secret", out.Pending)
			s.take()

			tests := []struct {
				name, fn, other string // other: the store fn must not reach
				op              byte
				fields          []string
				want            int32
			}{
				{"get", "b", "alpha", capKVGet, []string{"alpha", "secret"}, denied},
				{"put", "b", "alpha", capKVPut, []string{"alpha", "secret", "pwned"}, denied},
				{"delete", "b", "alpha", capKVDelete, []string{"alpha", "secret"}, denied},
				{"list", "b", "alpha", capKVList, []string{"alpha", ""}, denied},
				{"list by prefix", "b", "alpha", capKVList, []string{"alpha", "s"}, denied},
				{"other case", "b", "alpha", capKVGet, []string{"Alpha", "secret"}, denied},
				{"store name with a dot", "b", "alpha", capKVGet, []string{"alpha.", "secret"}, denied},
				{"store name through a slash", "b", "alpha", capKVGet, []string{"beta/../alpha", "secret"}, invalid},
				{"store name with a slash", "b", "alpha", capKVGet, []string{"beta/x", "secret"}, invalid},
				{"dot-dot in the key", "b", "alpha", capKVGet, []string{"beta", "../alpha/secret"}, notFound},
				{"a's key in b's store", "b", "alpha", capKVGet, []string{"beta", "alpha/secret"}, notFound},
				{"reverse get", "a", "beta", capKVGet, []string{"beta", "secret"}, denied},
				{"reverse put", "a", "beta", capKVPut, []string{"beta", "secret", "pwned"}, denied},
				{"reverse list", "a", "beta", capKVList, []string{"beta", ""}, denied},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					out, res := capCall(t, eng, tt.fn, tt.op, tt.fields...)
					assert.Equal(t, tt.want, out.Result)
					assert.Empty(t, out.Pending, "no result to read")
					if tt.want == denied {
						assert.Len(t, capFlintLines(t, res), 1, "the denial is logged")
					}
					for _, op := range s.take() {
						assert.NotContains(t, op, "kv/"+tt.other, "a call of %s reached %s's store", tt.fn, tt.other)
					}
				})
			}

			// b's store lists only b's key; both values are intact.
			out, _ = capCall(t, eng, "b", capKVList, "beta", "")
			keys, more := capDecodeKeys(t, out.Pending)
			assert.Equal(t, []string{"secret"}, keys)
			assert.False(t, more)
			out, _ = capCall(t, eng, "a", capKVGet, "alpha", "secret")
			assert.Equal(t, "a-secret", out.Pending)
			out, _ = capCall(t, eng, "b", capKVGet, "beta", "secret")
			assert.Equal(t, "b-secret", out.Pending)
		})
	}
}

// TestIsolationConfigParameters checks that the engine's parameters are
// shared only as the policies say: each function reads its own secret,
// not the other's.
func TestIsolationConfigParameters(t *testing.T) {
	eng := newEngine(t, engine.Config{Parameters: map[string]string{"a-db": "a-password", "b-db": "b-password"}})
	capDeploy(t, eng, "a", capPolicy(t, capAllow("config:Get", "config:a-*")))
	capDeploy(t, eng, "b", capPolicy(t, capAllow("config:Get", "config:b-*")))
	out, _ := capCall(t, eng, "a", capConfig, "a-db")
	assert.Equal(t, "a-password", out.Pending, "the control")
	out, _ = capCall(t, eng, "b", capConfig, "b-db")
	assert.Equal(t, "b-password", out.Pending, "the control")
	out, _ = capCall(t, eng, "b", capConfig, "a-db")
	assert.Equal(t, capErrno(abi.ErrnoDenied), out.Result)
	assert.Empty(t, out.Pending)
	out, _ = capCall(t, eng, "a", capConfig, "b-db")
	assert.Equal(t, capErrno(abi.ErrnoDenied), out.Result)
	assert.Empty(t, out.Pending)
}

// TestIsolationFiles mounts one directory for everything and gives a and b
// a subdirectory each: b cannot read, list, overwrite or reach through
// "..", a symbolic link or a relative open what a wrote in its own, and a
// cannot reach b's.
func TestIsolationFiles(t *testing.T) {
	code := testguest.Go(t, "engine/testdata/fsfunc")
	mount := t.TempDir()
	for _, d := range []string{"a", "b"} {
		require.NoError(t, os.Mkdir(filepath.Join(mount, d), 0o755))
	}
	require.NoError(t, os.Symlink("../a/secret.txt", filepath.Join(mount, "b", "link")))
	require.NoError(t, os.WriteFile(filepath.Join(mount, "b", "own.txt"), []byte("b-data"), 0o644))

	eng := newEngine(t, engine.Config{Mounts: []engine.Mount{{HostDir: mount, GuestPath: "/data"}}})
	for _, name := range []string{"a", "b"} {
		deploy(t, eng, engine.Function{Name: name, Code: code, Timeout: 10 * time.Second, Policy: capPolicy(t,
			capAllow("fs:*", "fs:/data/"+name+"/*"))})
	}
	fsCall := func(name, op, path, data string) *engine.Result {
		ev, err := json.Marshal(map[string]string{"op": op, "path": path, "data": data})
		require.NoError(t, err)
		return invoke(t, eng, name, string(ev))
	}

	// The controls: a writes its secret and reads it back; b reads its own.
	res := fsCall("a", "write", "/data/a/secret.txt", "a-secret")
	require.Nil(t, res.FunctionError, "logs:\n%s", res.Logs)
	res = fsCall("a", "read", "/data/a/secret.txt", "")
	require.Nil(t, res.FunctionError, "logs:\n%s", res.Logs)
	require.JSONEq(t, `{"data":"a-secret"}`, string(res.Payload))
	res = fsCall("b", "read", "/data/b/own.txt", "")
	require.Nil(t, res.FunctionError, "logs:\n%s", res.Logs)
	require.JSONEq(t, `{"data":"b-data"}`, string(res.Payload))

	tests := []struct {
		name, fn, op, path, data string
		want                     string // the error type
	}{
		{"read", "b", "read", "/data/a/secret.txt", "", "EACCES"},
		{"list", "b", "list", "/data/a", "", "EACCES"},
		{"overwrite", "b", "write", "/data/a/secret.txt", "pwned", "EACCES"},
		{"create beside", "b", "write", "/data/a/new.txt", "x", "EACCES"},
		{"dot-dot", "b", "openat", "b/../a/secret.txt", "", "EACCES"},
		{"relative open", "b", "openat", "a/secret.txt", "", "EACCES"},
		{"symbolic link", "b", "read", "/data/b/link", "", "EACCES"},
		{"list the mount", "b", "list", "/data", "", "EACCES"},
		{"not in b's own", "b", "read", "/data/b/secret.txt", "", "ENOENT"},
		{"reverse read", "a", "read", "/data/b/own.txt", "", "EACCES"},
		{"reverse dot-dot", "a", "openat", "a/../b/own.txt", "", "EACCES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := fsCall(tt.fn, tt.op, tt.path, tt.data)
			require.NotNil(t, res.FunctionError, "response: %s", res.Payload)
			assert.Equal(t, tt.want, res.FunctionError.Type, "message: %s", res.FunctionError.Message)
			assert.NotContains(t, string(res.Logs), "a-secret")
		})
	}
	got, err := os.ReadFile(filepath.Join(mount, "a", "secret.txt"))
	require.NoError(t, err)
	assert.Equal(t, "a-secret", string(got), "a's file is intact")
	_, err = os.Stat(filepath.Join(mount, "a", "new.txt"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestIsolationCancelStaysWithItsCaller cancels callers' contexts at random
// moments around the end of their invocations, each followed by another
// caller's invocation on the same instance: a cancellation (or a timeout)
// belongs to the invocation it came with, and must never fail the next
// one.
func TestIsolationCancelStaysWithItsCaller(t *testing.T) {
	eng := newEngine(t, engine.Config{})
	deploy(t, eng, engine.Function{Name: "echo", Code: testguest.WATEcho(t), Timeout: 10 * time.Second})
	deploy(t, eng, engine.Function{Name: "env", Code: wat(t, "env"), Timeout: 10 * time.Second})
	reserve(t, eng, "echo", 1)
	reserve(t, eng, "env", 1)
	tests := []struct {
		name, fn, payload string
		cancelAfter       func(i int) time.Duration
	}{
		// wat-echo returns within microseconds: the cancellations land
		// while it runs, just after, or before it starts.
		{"quick call", "echo", "x", func(i int) time.Duration { return time.Duration(i%40) * time.Microsecond }},
		// env sleeps 1 ms, in a host call that a cancellation wakes.
		{"sleeping call", "env", "1", func(i int) time.Duration { return time.Duration(900+i%200) * time.Microsecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var canceled, spurious int
			for i := range 1000 {
				ctx, cancel := context.WithCancel(context.Background())
				timer := time.AfterFunc(tt.cancelAfter(i), cancel)
				res, err := eng.Invoke(ctx, tt.fn, []byte(tt.payload))
				if err == nil && res.FunctionError != nil {
					require.ErrorIs(t, res.FunctionError, engine.ErrCanceled)
					canceled++
				}
				timer.Stop()
				cancel()
				res = invoke(t, eng, tt.fn, tt.payload)
				if res.FunctionError != nil {
					spurious++
					t.Logf("call %d: the next caller's invocation failed: %v", i, res.FunctionError)
				}
			}
			t.Logf("%d of 1000 invocations canceled", canceled)
			assert.Zero(t, spurious, "invocations failed by an earlier caller's cancellation")
		})
	}
}
