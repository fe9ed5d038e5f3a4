//go:build !race

package filter

// raceEnabled is set when the tests run with the race detector.
const raceEnabled = false
