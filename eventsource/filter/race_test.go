//go:build race

package filter

// raceEnabled is set when the tests run with the race detector, under
// which sync.Pool drops pooled values at random, so matching allocates.
const raceEnabled = true
