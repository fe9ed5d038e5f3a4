// Package peers runs a guest's work on hosts other than Flint, so that
// flint bench can put Flint's figures beside what else one could use:
//
//   - Naive, a hand-rolled wazero host for a Flint guest, written the way
//     most embedders write one: the module compiled once, then for each
//     request an instance created, its initializers run (_initialize,
//     flint_init), the handler called and the instance closed; or, for the
//     warm row, one instance kept and called again.
//   - Extism, Extism's Go SDK (github.com/extism/go-sdk) running
//     extism_echo.wasm, a plugin doing the echo work of wat-echo: a new
//     plugin instance per call (cold) or one instance reused (warm).
//
// Neither peer has Flint's protections (timeouts that stop a looping guest,
// memory caps, policies), which is part of what the comparison shows.
package peers

//go:generate wat2wasm extism_echo.wat -o extism_echo.wasm
