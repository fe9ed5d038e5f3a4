package eventsource

import (
	"sync"
	"sync/atomic"
)

// Stats are a mapping's counters since the manager started, and its lag.
type Stats struct {
	// Batches counts invocations of the function.
	Batches uint64
	// Records counts the records those invocations carried.
	Records uint64
	// Succeeded and Failed count records acknowledged after an invocation
	// and records that failed one (each failure is counted; a record is
	// retried until it succeeds or goes to its failure destination).
	Succeeded, Failed uint64
	// FilteredOut counts records that matched none of the mapping's
	// filters: acknowledged, and dropped.
	FilteredOut uint64
	// SentToFailureDestination counts records given up on: out of retries
	// or too old, sent to the mapping's failure destination.
	SentToFailureDestination uint64
	// Throttles counts invocations that were refused for a passing reason
	// (the function's concurrency, or a store that could not be reached)
	// and that waited to be tried again.
	Throttles uint64
	// Lag is how many records of the stream the mapping has yet to
	// receive; InFlight how many it received and has not acknowledged
	// (waiting for a redelivery included).
	Lag, InFlight uint64
	// Started says the mapping has its place in the stream (its consumer),
	// which Lag and InFlight are read from.
	Started bool
}

// counters are the live Stats of a mapping, and its last processing result.
type counters struct {
	batches, records, succeeded, failed, filtered, sentToFailure, throttles atomic.Uint64

	mu   sync.Mutex
	last string
}

func newCounters() *counters { return &counters{last: "No records processed"} }

func (c *counters) setResult(s string) {
	c.mu.Lock()
	c.last = s
	c.mu.Unlock()
}

func (c *counters) result() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

func (c *counters) snapshot() Stats {
	return Stats{
		Batches: c.batches.Load(), Records: c.records.Load(),
		Succeeded: c.succeeded.Load(), Failed: c.failed.Load(), FilteredOut: c.filtered.Load(),
		SentToFailureDestination: c.sentToFailure.Load(), Throttles: c.throttles.Load(),
	}
}
