package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServeSpareInstances runs "flint serve --spare-instances 2": once a
// function has been invoked, its version keeps two idle instances made in
// the background; a function never invoked keeps none.
func TestServeSpareInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the flint binary")
	}
	bin := buildFlint(t)
	srv := startServeWith(t, bin, t.TempDir(), "--spare-instances", "2")
	echo := watEchoFile(t)
	srv.flintCmd(t, bin, "deploy", "used", echo)
	srv.flintCmd(t, bin, "deploy", "unused", echo)
	srv.flintCmd(t, bin, "invoke", "used", "--payload", `{"a":1}`)

	idle := func(fn string) float64 { return srv.metric(t, "flint_idle_instances", "function="+fn) }
	waitFor(t, 30*time.Second, "two spare instances of the invoked function", func() bool { return idle("used") >= 2 })
	require.Zero(t, idle("unused"), "a function not in use keeps no spares")
}
