// Package queue runs Lambda's asynchronous ("Event") invocations: a
// durable queue of events, workers that invoke them, retries with
// exponential backoff, a maximum event age, on-success and on-failure
// destinations, and a dead-letter store that can be listed, inspected and
// re-driven.
//
// The queue lives in an engine/store Store: events in its queue QueueName,
// dead letters in its bucket DeadLetterBucket. The package knows nothing
// of functions beyond their names: the engine gives it an Invoker, which
// runs one attempt, and each function's EventConfig.
//
// # An event's life
//
// Enqueue writes the event to the store and returns its request id; the
// event is durable from then on. A worker receives it (a lease of
// Config.Lease) and:
//
//   - when it is older than its function's MaximumEventAge, does not invoke
//     it, and sends it to the failure destination (ConditionEventAgeExceeded);
//   - otherwise invokes it. On success, the record goes to OnSuccess, if
//     set (ConditionSuccess). A function error (returned, trap, timeout) uses
//     up an attempt: the event is retried after RetryDelay, then twice that,
//     up to MaximumRetryAttempts times, and then goes to the failure
//     destination (ConditionRetriesExhausted). A throttle (Config.IsThrottle)
//     uses up nothing: the event waits ThrottleDelay, doubling up to
//     MaxThrottleDelay, and tries again, until it is too old. Any other error
//     from the Invoker (the function is gone) sends it to the failure
//     destination at once (ConditionInvocationFailed);
//   - then acks it, which removes it from the queue.
//
// The request id is the same for every attempt of an event. The failure
// destination is OnFailure, or the dead-letter store when OnFailure is
// nil: nothing is lost by default, where Lambda would discard the event.
// A queue message that is not an event at all (a corrupt body) goes to
// the dead-letter store too (ConditionMalformed).
//
// # Guarantees
//
// Delivery is at least once, never at most once: every store write that
// concludes an attempt happens before the Ack that removes the event, so
// a crash (or a store error) at any point leaves the event in the queue
// to be delivered again. Precisely:
//
//   - An event whose Enqueue returned is invoked until an attempt succeeds,
//     or its record reaches its failure destination, or it is deleted with
//     the whole store. It is invoked more than once when the process stops
//     (or the lease expires) after an attempt ran and before its outcome
//     was stored.
//   - A record reaches its destination before its event is acked. It may
//     arrive twice (a crash between the two), each time with a fresh
//     request id of its own; the record's requestContext.requestId (the
//     source event's) is stable, for consumers that deduplicate.
//   - When a record cannot be delivered (a store error), the event keeps
//     its outcome and is tried again later, without invoking the function
//     again.
//   - A delivery that ended without an outcome (a crash, an expired lease)
//     counts as an attempt (ErrorTypeDeliveryLost): an event that kills its
//     worker every time ends in its failure destination instead of running
//     forever.
//   - Order is not kept: events are invoked by several workers, and a
//     retried event goes behind those enqueued after it.
//   - Close stops taking events, waits for the attempts in flight and
//     stores their outcomes; queued events stay in the store. With a
//     durable Store, the next Queue on it (after a restart) carries on,
//     and an event that was in flight in a process that died is due again
//     at once (its lease is void).
//   - Dead letters: a record is written once per request id (a redelivery
//     rewrites it in place); Redrive enqueues a new event before it
//     removes the dead letter, so a crash in between re-drives twice, never
//     loses it.
//
// # Destinations and loops
//
// A DestinationFunction gets the record as the payload of a new
// asynchronous event, which follows its own function's EventConfig. So
// that destinations cannot loop forever, a chain of MaxDestinationDepth
// destination deliveries ends there: a failure record goes to the
// dead-letter store and a success record nowhere (logged). A failure
// record too large for an event (over MaxPayloadBytes) goes to the
// dead-letter store too.
//
// # Formats
//
// A queue message's body is JSON, one object per event (see event.go):
//
//	{"v":1,"requestId":"<uuid>","target":"name[:qualifier]","payload":"<base64>",
//	 "enqueued":"<RFC 3339>","attempts":N,"throttles":N,"deliveries":N,
//	 "lastError":{"errorType":..,"errorMessage":..},"lastVersion":"..",
//	 "depth":N,"source":{"requestId":..,"function":..,"condition":..},
//	 "pending":{...},"deliveryErrors":N,
//	 "override":{"retries":N,"maxAge":NS,"onFailure":{"kind":N,"function":..,"name":..}}}
//
// where the fields after enqueued are omitted when empty; source is set on
// a destination delivery (whose payload is the record), pending when the
// outcome is decided but the record is still to be delivered, override
// when the event has its own retry policy or failure destination
// (EnqueueOptions).
//
// The invocation record, a destination function's payload and
// DeadLetter.Record, is shaped as Lambda's (type Record):
//
//	{"version":"1.0","timestamp":"2006-01-02T15:04:05.000Z",
//	 "requestContext":{"requestId":"<uuid>",
//	   "functionArn":"arn:aws:lambda:local:000000000000:function:NAME:QUALIFIER",
//	   "condition":"Success|RetriesExhausted|EventAgeExceeded|InvocationFailed",
//	   "approximateInvokeCount":N},
//	 "requestPayload":<the payload: as is when JSON, else a string>,
//	 "responseContext":{"statusCode":200,"executedVersion":"$LATEST",
//	   "functionError":"Handled|Unhandled"},
//	 "responsePayload":<the response, or {"errorType":..,"errorMessage":..}>}
//
// The QUALIFIER is the one invoked ("$LATEST" when none). responseContext
// is present when the deciding attempt ran the function, without
// functionError on success; responsePayload is the response on success
// (null when empty) and the last error otherwise, absent when there was
// neither (an event too old before its first attempt).
//
// A dead letter is stored under "t/<unix ns, 20 digits>/<request id>" (so
// keys list in the order they were written), with an index
// "i/<request id>" to its key; its value holds the event and its outcome,
// from which the record is rebuilt when read.
package queue
