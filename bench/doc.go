// Package bench holds Flint's cross-cutting benchmarks: the engine's warm
// and cold invocation paths and compilation, each beside the native floor
// (the same work as a plain Go call), so that one run gives ratios that
// survive a noisy machine. Results and the commands that produced them are
// in RESULTS.md.
package bench
