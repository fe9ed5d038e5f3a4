// Package runner measures how Flint serves a function, the way the
// "flint bench" command reports it: compilation, restarts, cold,
// snapshot, recycled, pre-initialized and warm starts, each beside the same
// work as a plain Go function and on other hosts (a hand-rolled wazero
// host, Extism), then throughput and tail latency under concurrent
// callers, in-process and over HTTP. Run returns a Report (its JSON form is
// the stable output "flint bench -o json" writes, described on Report and
// in bench/schema.json); WriteTable, WriteMarkdown and WriteChart render
// it; Compare tells whether two reports differ beyond noise.
//
// Scenarios are timed interleaved: round-robin, a short batch each per
// turn, so that whatever else the machine does falls on all of them alike.
package runner

//go:generate wat2wasm testdata/reactor_echo.wat -o testdata/reactor_echo.wasm
//go:generate wat2wasm testdata/flaky.wat -o testdata/flaky.wasm
