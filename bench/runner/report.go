package runner

import "time"

// SchemaID names the version of the JSON report; it changes only when a
// field is removed or changes meaning (fields may be added within a
// version).
const SchemaID = "flint-bench/1"

// Report is the outcome of a run: what "flint bench -o json" writes, and
// what "flint bench --compare" reads. Its JSON form is described by
// bench/schema.json; in short:
//
//	{
//	  "schema": "flint-bench/1",
//	  "date": "2026-11-28T17:00:00Z",
//	  "flint":   {"version", "commit", "goVersion", "wazero"},
//	  "machine": {"os", "arch", "kernel", "cpuModel", "cpus", "memoryBytes", "clockReadNs"},
//	  "settings": {"durationNs", "iterations", "concurrency": [1, 8, 64], "http", "instances", ...},
//	  "guests": [{
//	    "name": "go-hello", "source": "example", "codeBytes", "payloadBytes", "snapshot",
//	    "memory": {"instances", "linearBytesPerInstance", "heapBytesPerInstance",
//	               "residentBytesPerInstance", "instancesPerGiB"},
//	    "scenarios": [{
//	      "name": "warm", "kind": "flint", "class": "warm", "description",
//	      "status": "ok", "reason",
//	      "iterations", "opsPerSample", "batches",
//	      "minNs", "p25Ns", "p50Ns", "p75Ns", "p90Ns", "p99Ns", "maxNs", "meanNs",
//	      "allocsPerOp", "engine": {"coldStarts", "prewarmed", "recycled", "coldResults"},
//	      "vsNative", "vsBestPeer", "bestPeer", "batchMediansNs": [...], "samplesNs": [...]
//	    }],
//	    "concurrency": [{"concurrency", "status", "requests", "throughputPerSec",
//	                     "p50Ns", "p90Ns", "p99Ns", "maxNs", "meanNs", "coldStarts", "errors"}],
//	    "http": [{"target": "invoke-api", "concurrency", "status", "requests",
//	              "requestsPerSec", "p50Ns", "p90Ns", "p99Ns", "maxNs",
//	              "non2xx", "socketErrors", "coldStarts"}]
//	  }],
//	  "notes": ["..."]
//	}
//
// Times are nanoseconds as numbers (a sample may be the mean of several
// operations, so not always whole). Optional values are null when they do
// not apply: a ratio without a native floor or peer, memory figures a
// platform cannot measure.
type Report struct {
	Schema   string    `json:"schema"`
	Date     time.Time `json:"date"`
	Flint    Build     `json:"flint"`
	Machine  Machine   `json:"machine"`
	Settings Settings  `json:"settings"`
	Guests   []Guest   `json:"guests"`
	// Notes are sentences about the run as a whole: what was skipped and
	// why, how samples were taken.
	Notes []string `json:"notes"`
}

// Build says what was measured: Flint's version and commit, and the Go and
// wazero versions it was built with.
type Build struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
	Wazero    string `json:"wazero"`
}

// Machine describes where it was measured.
type Machine struct {
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	Kernel      string `json:"kernel"`
	CPUModel    string `json:"cpuModel"`
	CPUs        int    `json:"cpus"`
	MemoryBytes uint64 `json:"memoryBytes"`
	// ClockReadNs is what one timing costs here (a time.Now and a
	// time.Since): samples are sized so that it stays small beside them.
	ClockReadNs float64 `json:"clockReadNs"`
}

// Settings are the run's parameters.
type Settings struct {
	// DurationNs is the wall time each scenario was measured for, when
	// Iterations is 0.
	DurationNs int64 `json:"durationNs"`
	// Iterations is the operations per scenario, when non-zero.
	Iterations  int   `json:"iterations"`
	Concurrency []int `json:"concurrency"`
	HTTP        bool  `json:"http"`
	// Instances is how many idle instances the memory figures are over.
	Instances int `json:"instances"`
	// SampleTargetNs: operations faster than this are timed in groups, a
	// sample being the group's mean (Scenario.OpsPerSample).
	SampleTargetNs int64 `json:"sampleTargetNs"`
	// BatchTargetNs is how long a scenario runs before the next one takes
	// its turn (interleaving).
	BatchTargetNs int64 `json:"batchTargetNs"`
}

// Guest is one module's results.
type Guest struct {
	Name string `json:"name"`
	// Source is "example" (a built-in example) or "file".
	Source       string `json:"source"`
	Path         string `json:"path"`
	CodeBytes    int    `json:"codeBytes"`
	PayloadBytes int    `json:"payloadBytes"`
	// Snapshot is how the engine starts the guest's instances by default:
	// "ready: ..." or "off: <why>".
	Snapshot    string      `json:"snapshot"`
	Memory      *Memory     `json:"memory"`
	Scenarios   []Scenario  `json:"scenarios"`
	Concurrency []Level     `json:"concurrency"`
	HTTP        []HTTPLevel `json:"http"`
}

// Memory is what an idle instance costs. Nil when it could not be
// measured.
type Memory struct {
	// Instances is how many idle instances were created for the
	// measurement.
	Instances int `json:"instances"`
	// LinearBytesPerInstance is the guest's linear memory after a call
	// (Result.MemoryUsed): reserved and addressable, not necessarily
	// touched.
	LinearBytesPerInstance uint64 `json:"linearBytesPerInstance"`
	// HeapBytesPerInstance is the growth of the Go heap (live, after a
	// collection) per instance.
	HeapBytesPerInstance float64 `json:"heapBytesPerInstance"`
	// ResidentBytesPerInstance is the growth of the process's proportional
	// set size (Linux: Pss in /proc/self/smaps_rollup, which counts a page
	// shared copy-on-write by many instances once) per instance; null
	// where the platform does not say.
	ResidentBytesPerInstance *float64 `json:"residentBytesPerInstance"`
	// InstancesPerGiB is 1 GiB over the larger of the resident and heap
	// bytes per instance; 0 when neither grew measurably.
	InstancesPerGiB float64 `json:"instancesPerGiB"`
}

// Scenario statuses.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"  // Reason says why; figures cover what ran
	StatusSkipped = "skipped" // Reason says why; no figures
)

// Scenario kinds.
const (
	KindFlint  = "flint"
	KindNative = "native"
	KindPeer   = "peer"
)

// Scenario classes: which rows compare with which. A Flint row's
// VsBestPeer is against the fastest peer of its class.
const (
	ClassCompile = "compile" // getting code ready to run
	ClassFresh   = "fresh"   // a request served by an instance no request used before
	ClassWarm    = "warm"    // a request served by an instance that served before
	ClassFloor   = "floor"   // the work without WebAssembly
)

// Scenario is one measured way of serving the guest.
type Scenario struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Class       string `json:"class"`
	Description string `json:"description"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`

	// Iterations is how many operations were timed.
	Iterations int `json:"iterations"`
	// OpsPerSample is how many operations one sample times (their mean);
	// 1 for all but operations faster than Settings.SampleTargetNs.
	OpsPerSample int `json:"opsPerSample"`
	// Batches is how many turns the scenario had in the interleaving.
	Batches int `json:"batches"`

	MinNs  float64 `json:"minNs"`
	P25Ns  float64 `json:"p25Ns"`
	P50Ns  float64 `json:"p50Ns"`
	P75Ns  float64 `json:"p75Ns"`
	P90Ns  float64 `json:"p90Ns"`
	P99Ns  float64 `json:"p99Ns"`
	MaxNs  float64 `json:"maxNs"`
	MeanNs float64 `json:"meanNs"`

	// AllocsPerOp is the process's heap allocations (runtime.MemStats
	// Mallocs) during the scenario's batches over Iterations: it includes
	// background work the scenario causes, such as the pool filler's
	// refill.
	AllocsPerOp float64 `json:"allocsPerOp"`
	// Engine holds the engine's counters over the timed operations (Flint
	// scenarios only).
	Engine *Counters `json:"engine"`

	// VsNative is P50Ns over the native floor's; VsBestPeer over the
	// fastest peer's of the same class (named by BestPeer).
	VsNative   *float64 `json:"vsNative"`
	VsBestPeer *float64 `json:"vsBestPeer"`
	BestPeer   string   `json:"bestPeer"`

	// BatchMediansNs is each batch's median sample: the values --compare
	// tests, as benchstat tests per-run values.
	BatchMediansNs []float64 `json:"batchMediansNs"`
	// SamplesNs are the samples in the order taken, thinned evenly to at
	// most MaxSamples.
	SamplesNs []float64 `json:"samplesNs"`
}

// MaxSamples caps Scenario.SamplesNs.
const MaxSamples = 1000

// Counters are engine.Stats deltas over a scenario's timed operations.
type Counters struct {
	ColdStarts uint64 `json:"coldStarts"` // instances created on the request path
	Prewarmed  uint64 `json:"prewarmed"`  // instances the pool filler created ahead
	Recycled   uint64 `json:"recycled"`   // instances reset to their snapshot and reused
	// ColdResults is how many invocations reported Result.Cold.
	ColdResults uint64 `json:"coldResults"`
}

// Level is the engine invoked in-process by Concurrency callers at once.
type Level struct {
	Concurrency      int     `json:"concurrency"`
	Status           string  `json:"status"`
	Reason           string  `json:"reason"`
	Requests         int     `json:"requests"`
	ThroughputPerSec float64 `json:"throughputPerSec"`
	P50Ns            float64 `json:"p50Ns"`
	P90Ns            float64 `json:"p90Ns"`
	P99Ns            float64 `json:"p99Ns"`
	MaxNs            float64 `json:"maxNs"`
	MeanNs           float64 `json:"meanNs"`
	// ColdStarts is how many instances the pool created during this level
	// (it keeps those of lower levels).
	ColdStarts uint64 `json:"coldStarts"`
	Errors     int    `json:"errors"`
}

// HTTP targets.
const (
	TargetInvokeAPI   = "invoke-api"   // POST /2015-03-31/functions/NAME/invocations
	TargetFunctionURL = "function-url" // POST /fn/NAME/
	TargetBare        = "bare"         // a fasthttp server answering the same bytes, no function
)

// HTTPLevel is one wrk run against one target.
type HTTPLevel struct {
	Target         string  `json:"target"`
	Concurrency    int     `json:"concurrency"`
	Status         string  `json:"status"`
	Reason         string  `json:"reason"`
	Requests       int     `json:"requests"`
	RequestsPerSec float64 `json:"requestsPerSec"`
	P50Ns          float64 `json:"p50Ns"`
	P90Ns          float64 `json:"p90Ns"`
	P99Ns          float64 `json:"p99Ns"`
	MaxNs          float64 `json:"maxNs"`
	Non2xx         int     `json:"non2xx"`
	SocketErrors   int     `json:"socketErrors"`
	// ColdStarts is how many instances the engine created during the run
	// (0 for the bare server).
	ColdStarts uint64 `json:"coldStarts"`
}
