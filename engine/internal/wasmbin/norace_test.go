//go:build !race

package wasmbin_test

// raceEnabled is set when the tests run with the race detector, under
// which validating a Go guest takes seconds.
const raceEnabled = false
