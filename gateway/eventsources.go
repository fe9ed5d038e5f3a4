package gateway

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/flintfaas/flint/eventsource"
)

// The event source mapping operations of the Lambda API, on JetStream
// streams (eventsource).

// esmFilterCriteria is Lambda's FilterCriteria.
type esmFilterCriteria struct {
	Filters []struct {
		Pattern *string `json:"Pattern"`
	} `json:"Filters"`
}

// esmInput is CreateEventSourceMapping's and UpdateEventSourceMapping's
// body. The fields of Lambda's other source types are accepted only empty.
type esmInput struct {
	EventSourceArn                 string             `json:"EventSourceArn"`
	FunctionName                   string             `json:"FunctionName"`
	Enabled                        *bool              `json:"Enabled"`
	BatchSize                      *int               `json:"BatchSize"`
	MaximumBatchingWindowInSeconds *int               `json:"MaximumBatchingWindowInSeconds"`
	FilterCriteria                 *esmFilterCriteria `json:"FilterCriteria"`
	FunctionResponseTypes          []string           `json:"FunctionResponseTypes"`
	ScalingConfig                  *struct {
		MaximumConcurrency *int `json:"MaximumConcurrency"`
	} `json:"ScalingConfig"`
	DestinationConfig         *destinationConfig `json:"DestinationConfig"`
	MaximumRetryAttempts      *int               `json:"MaximumRetryAttempts"`
	MaximumRecordAgeInSeconds *int               `json:"MaximumRecordAgeInSeconds"`
	Topics                    []string           `json:"Topics"`
	StartingPosition          string             `json:"StartingPosition"`
	StartingPositionTimestamp *float64           `json:"StartingPositionTimestamp"`
	Tags                      map[string]string  `json:"Tags"`

	// Fields of other source types: refused when set.
	ParallelizationFactor               json.RawMessage `json:"ParallelizationFactor"`
	BisectBatchOnFunctionError          json.RawMessage `json:"BisectBatchOnFunctionError"`
	TumblingWindowInSeconds             json.RawMessage `json:"TumblingWindowInSeconds"`
	Queues                              json.RawMessage `json:"Queues"`
	SourceAccessConfigurations          json.RawMessage `json:"SourceAccessConfigurations"`
	SelfManagedEventSource              json.RawMessage `json:"SelfManagedEventSource"`
	SelfManagedKafkaEventSourceConfig   json.RawMessage `json:"SelfManagedKafkaEventSourceConfig"`
	AmazonManagedKafkaEventSourceConfig json.RawMessage `json:"AmazonManagedKafkaEventSourceConfig"`
	DocumentDBEventSourceConfig         json.RawMessage `json:"DocumentDBEventSourceConfig"`
	KMSKeyArn                           json.RawMessage `json:"KMSKeyArn"`
	MetricsConfig                       json.RawMessage `json:"MetricsConfig"`
	ProvisionedPollerConfig             json.RawMessage `json:"ProvisionedPollerConfig"`
}

// refused names a set field of another source type, or "".
func (in *esmInput) refused() string {
	for name, v := range map[string]json.RawMessage{
		"ParallelizationFactor": in.ParallelizationFactor, "BisectBatchOnFunctionError": in.BisectBatchOnFunctionError,
		"TumblingWindowInSeconds": in.TumblingWindowInSeconds, "Queues": in.Queues,
		"SourceAccessConfigurations": in.SourceAccessConfigurations, "SelfManagedEventSource": in.SelfManagedEventSource,
		"SelfManagedKafkaEventSourceConfig":   in.SelfManagedKafkaEventSourceConfig,
		"AmazonManagedKafkaEventSourceConfig": in.AmazonManagedKafkaEventSourceConfig,
		"DocumentDBEventSourceConfig":         in.DocumentDBEventSourceConfig, "KMSKeyArn": in.KMSKeyArn,
		"MetricsConfig": in.MetricsConfig, "ProvisionedPollerConfig": in.ProvisionedPollerConfig,
	} {
		if len(v) > 0 && string(v) != "null" {
			return name
		}
	}
	return ""
}

// esmConfiguration is Lambda's EventSourceMappingConfiguration.
type esmConfiguration struct {
	UUID                           string             `json:"UUID"`
	EventSourceMappingArn          string             `json:"EventSourceMappingArn"`
	EventSourceArn                 string             `json:"EventSourceArn"`
	FunctionArn                    string             `json:"FunctionArn"`
	BatchSize                      int                `json:"BatchSize"`
	MaximumBatchingWindowInSeconds int                `json:"MaximumBatchingWindowInSeconds"`
	State                          string             `json:"State"`
	StateTransitionReason          string             `json:"StateTransitionReason"`
	LastModified                   float64            `json:"LastModified"`
	LastProcessingResult           string             `json:"LastProcessingResult"`
	FilterCriteria                 *esmFilterCriteria `json:"FilterCriteria,omitempty"`
	FunctionResponseTypes          []string           `json:"FunctionResponseTypes,omitempty"`
	ScalingConfig                  *struct {
		MaximumConcurrency int `json:"MaximumConcurrency"`
	} `json:"ScalingConfig,omitempty"`
	DestinationConfig         *destinationConfig `json:"DestinationConfig,omitempty"`
	MaximumRetryAttempts      int                `json:"MaximumRetryAttempts"`
	MaximumRecordAgeInSeconds int                `json:"MaximumRecordAgeInSeconds"`
	Topics                    []string           `json:"Topics,omitempty"`
	StartingPosition          string             `json:"StartingPosition,omitempty"`
	StartingPositionTimestamp *float64           `json:"StartingPositionTimestamp,omitempty"`
}

// eventSources returns the manager, or the error that says there is none.
func (g *Gateway) eventSources() (*eventsource.Manager, error) {
	if g.cfg.EventSources == nil {
		return nil, invalidParam("event source mappings are not available: this server runs without NATS JetStream")
	}
	return g.cfg.EventSources, nil
}

func (g *Gateway) esmArn(id string) string {
	return "arn:aws:lambda:" + g.cfg.Region + ":" + g.cfg.AccountID + ":event-source-mapping:" + id
}

func (g *Gateway) esmOutput(m eventsource.Mapping) esmConfiguration {
	name, qualifier, _ := strings.Cut(m.Function, ":")
	out := esmConfiguration{
		UUID: m.UUID, EventSourceMappingArn: g.esmArn(m.UUID),
		EventSourceArn: eventsource.StreamARN(g.cfg.Region, g.cfg.AccountID, m.Stream),
		FunctionArn:    g.functionArn(name, qualifier),
		BatchSize:      m.BatchSize, MaximumBatchingWindowInSeconds: int(m.MaximumBatchingWindow / time.Second),
		State: m.State, StateTransitionReason: m.StateTransitionReason,
		LastModified:         float64(m.LastModified.UnixMilli()) / 1000,
		LastProcessingResult: m.LastProcessingResult,
		MaximumRetryAttempts: m.MaximumRetryAttempts, MaximumRecordAgeInSeconds: -1,
		Topics: m.Subjects, StartingPosition: m.StartingPosition,
	}
	if m.MaximumRecordAge > 0 {
		out.MaximumRecordAgeInSeconds = int(m.MaximumRecordAge / time.Second)
	}
	if len(m.Filters) > 0 {
		out.FilterCriteria = &esmFilterCriteria{}
		for _, p := range m.Filters {
			out.FilterCriteria.Filters = append(out.FilterCriteria.Filters, struct {
				Pattern *string `json:"Pattern"`
			}{Pattern: &p})
		}
	}
	if m.ReportBatchItemFailures {
		out.FunctionResponseTypes = []string{eventsource.ReportBatchItemFails}
	}
	if m.MaximumConcurrency > 0 {
		out.ScalingConfig = &struct {
			MaximumConcurrency int `json:"MaximumConcurrency"`
		}{m.MaximumConcurrency}
	}
	dest := m.OnFailure
	if dest == eventsource.DeadLetterDestination {
		dest = "flint:dead-letter"
	}
	out.DestinationConfig = &destinationConfig{OnFailure: &destination{Destination: dest}}
	if !m.StartingPositionTimestamp.IsZero() {
		ts := float64(m.StartingPositionTimestamp.UnixMilli()) / 1000
		out.StartingPositionTimestamp = &ts
	}
	return out
}

// applyESM sets the mapping fields a request gave.
func (g *Gateway) applyESM(m *eventsource.Mapping, in *esmInput) error {
	if name := in.refused(); name != "" {
		return invalidParam("%s: not supported for NATS JetStream event sources", name)
	}
	if len(in.Tags) > 0 {
		return invalidParam("Tags: event source mappings do not keep tags in Flint")
	}
	if in.FunctionName != "" {
		name, qualifier, err := parseFunctionName(in.FunctionName)
		if err != nil {
			return err
		}
		m.Function = name
		if qualifier != "" {
			m.Function += ":" + qualifier
		}
	}
	if in.Enabled != nil {
		m.Enabled = *in.Enabled
	}
	if in.BatchSize != nil {
		if *in.BatchSize == 0 {
			return invalidParam("BatchSize 0: must be between 1 and %d", eventsource.MaxBatchSize)
		}
		m.BatchSize = *in.BatchSize
	}
	if w := in.MaximumBatchingWindowInSeconds; w != nil {
		if *w < 0 || *w > 300 {
			return invalidParam("MaximumBatchingWindowInSeconds %d: must be between 0 and 300", *w)
		}
		m.MaximumBatchingWindow = time.Duration(*w) * time.Second
	}
	if fc := in.FilterCriteria; fc != nil {
		m.Filters = nil
		for i, f := range fc.Filters {
			if f.Pattern == nil {
				return invalidParam("FilterCriteria.Filters[%d].Pattern is required", i)
			}
			m.Filters = append(m.Filters, *f.Pattern)
		}
	}
	if in.FunctionResponseTypes != nil {
		m.ReportBatchItemFailures = false
		for _, t := range in.FunctionResponseTypes {
			if t != eventsource.ReportBatchItemFails {
				return invalidParam("FunctionResponseTypes: %q: the only type is %s", truncated(t, 100), eventsource.ReportBatchItemFails)
			}
			m.ReportBatchItemFailures = true
		}
	}
	if sc := in.ScalingConfig; sc != nil {
		m.MaximumConcurrency = 0
		if sc.MaximumConcurrency != nil {
			if *sc.MaximumConcurrency == 0 {
				return invalidParam("ScalingConfig.MaximumConcurrency 0: must be between %d and %d", eventsource.MinConcurrency, eventsource.MaxConcurrency)
			}
			m.MaximumConcurrency = *sc.MaximumConcurrency
		}
	}
	if d := in.DestinationConfig; d != nil {
		if d.OnSuccess != nil && d.OnSuccess.Destination != "" {
			return invalidParam("DestinationConfig.OnSuccess: event source mappings have failure destinations only")
		}
		m.OnFailure = ""
		if d.OnFailure != nil {
			switch dest := d.OnFailure.Destination; dest {
			case "", "flint:dead-letter", "dead-letter":
			default:
				m.OnFailure = dest
			}
		}
	}
	if r := in.MaximumRetryAttempts; r != nil {
		m.MaximumRetryAttempts = *r
	}
	if a := in.MaximumRecordAgeInSeconds; a != nil {
		switch {
		case *a == -1:
			m.MaximumRecordAge = 0
		case *a < 60 || *a > 604800:
			return invalidParam("MaximumRecordAgeInSeconds %d: must be -1 or between 60 and 604800", *a)
		default:
			m.MaximumRecordAge = time.Duration(*a) * time.Second
		}
	}
	if in.Topics != nil {
		m.Subjects = in.Topics
	}
	if in.StartingPosition != "" {
		m.StartingPosition = in.StartingPosition
	}
	if ts := in.StartingPositionTimestamp; ts != nil {
		if math.IsNaN(*ts) || math.IsInf(*ts, 0) || *ts < 0 || *ts > 1e11 {
			return invalidParam("StartingPositionTimestamp: not a time")
		}
		sec, frac := math.Modf(*ts)
		m.StartingPositionTimestamp = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	return nil
}

func (g *Gateway) createEventSourceMapping(c *call) error {
	mgr, err := g.eventSources()
	if err != nil {
		return err
	}
	var in esmInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if in.EventSourceArn == "" {
		return invalidParam("EventSourceArn is required: the ARN of a stream, arn:aws:nats:%s:%s:stream/NAME", g.cfg.Region, g.cfg.AccountID)
	}
	stream, err := eventsource.ParseStreamARN(in.EventSourceArn)
	if err != nil {
		return err
	}
	m := eventsource.Mapping{Stream: stream, Enabled: true, MaximumRetryAttempts: -1}
	if err := g.applyESM(&m, &in); err != nil {
		return err
	}
	out, err := mgr.Create(c.ctx, m)
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusAccepted, g.esmOutput(out))
	return nil
}

func (g *Gateway) getEventSourceMapping(c *call) error {
	mgr, err := g.eventSources()
	if err != nil {
		return err
	}
	m, err := mgr.Get(c.params.get("uuid"))
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, g.esmOutput(m))
	return nil
}

func (g *Gateway) updateEventSourceMapping(c *call) error {
	mgr, err := g.eventSources()
	if err != nil {
		return err
	}
	var in esmInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if in.EventSourceArn != "" {
		return invalidParam("EventSourceArn cannot change: create a new mapping")
	}
	if in.StartingPosition != "" || in.StartingPositionTimestamp != nil {
		return invalidParam("StartingPosition cannot change: create a new mapping")
	}
	m, err := mgr.Update(c.ctx, c.params.get("uuid"), func(m *eventsource.Mapping) error { return g.applyESM(m, &in) })
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusAccepted, g.esmOutput(m))
	return nil
}

func (g *Gateway) deleteEventSourceMapping(c *call) error {
	mgr, err := g.eventSources()
	if err != nil {
		return err
	}
	m, err := mgr.Delete(c.ctx, c.params.get("uuid"))
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusAccepted, g.esmOutput(m))
	return nil
}

func (g *Gateway) listEventSourceMappings(c *call) error {
	mgr, err := g.eventSources()
	if err != nil {
		return err
	}
	max, err := queryInt(c.ctx, "MaxItems", 100, 1, 10000)
	if err != nil {
		return err
	}
	function := ""
	if fn := query(c.ctx, "FunctionName"); fn != "" {
		name, qualifier, err := parseFunctionName(fn)
		if err != nil {
			return err
		}
		function = name
		if qualifier != "" {
			function += ":" + qualifier
		}
	}
	stream := ""
	if arn := query(c.ctx, "EventSourceArn"); arn != "" {
		if stream, err = eventsource.ParseStreamARN(arn); err != nil {
			return err
		}
	}
	all := mgr.List(function, stream)
	page, next := paginate(all, query(c.ctx, "Marker"), max, func(m eventsource.Mapping) string { return m.UUID })
	out := make([]esmConfiguration, len(page))
	for i, m := range page {
		out[i] = g.esmOutput(m)
	}
	resp := map[string]any{"EventSourceMappings": out}
	if next != "" {
		resp["NextMarker"] = next
	}
	writeJSON(c.ctx, http.StatusOK, resp)
	return nil
}

// truncated cuts s for a message.
func truncated(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
