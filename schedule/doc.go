// Package schedule runs Amazon EventBridge Scheduler's schedules on Flint:
// it keeps schedules and schedule groups in an engine/store Store and
// invokes each schedule's target function at its due times through the
// engine's asynchronous path.
//
// A Scheduler has the operations of Scheduler's API (Create, Get, Update,
// Delete and List for schedules; CreateGroup, GetGroup, ListGroups,
// DeleteGroup and the group tags), with its fields, defaults, limits and
// messages: an invalid request is an *Error unwrapping to ErrInvalid whose
// Field names the field at fault, as a ValidationException does. The
// gateway serves them on Scheduler's REST paths; schedule/expression
// parses the expressions and computes the due times.
//
// # Firing
//
// The Scheduler keeps every schedule's next due time in a heap and waits
// for the earliest with one timer. When a due time T comes (plus, with a
// FLEXIBLE window, an offset within the window derived from the schedule's
// ARN and T, so the same T always fires at the same moment), a worker
// fires it in three steps: the first and the last are Bucket.Updates of
// the schedule's record (its definition and firing state in one value, so
// each is an atomic read-modify-write checked against what the worker
// expects), the second the engine's durable enqueue:
//
//  1. claim: if the record still waits for T under the same definition
//     and nobody else holds a live claim on it, write a claim (T, this
//     process, a lease of Config.ClaimLease);
//  2. queue: engine.InvokeAsync with the target's Input as the payload,
//     the request id derived from the schedule's ARN and T
//     (uuid.Derived: the same fire always has the same id), the target's
//     RetryPolicy and its DeadLetterConfig as the failure destination;
//  3. record: drop the claim and move the record on to the due time after
//     T, or delete the schedule when it has none left and its
//     ActionAfterCompletion is DELETE.
//
// A due time whose planned moment is older than the target's maximum event
// age (RetryPolicy.MaximumEventAgeInSeconds, default 24 hours) when a
// worker gets to it is not fired: it is dropped, counted (Stats.Dropped,
// and the schedule's record) and logged, in one step with every later due
// time that is as old. A fire that is late but within the age is queued
// with what is left of the age (at least the engine's minimum, 60 s) for
// its retries.
//
// # Restarts, and what "once" means
//
// The next due time is stored, so a Scheduler started on the same store
// carries on: due times that passed while no Scheduler ran are fired
// then, each once, oldest first, when within their maximum event age, and
// dropped and counted otherwise. A disabled schedule has no due time; when
// enabled again, it fires from then on (it does not catch up).
//
// A due time is fired at most once while its claim holds, and every
// process that gets to it reads the claim first. The one window where it
// can fire twice is a process dying after step 2 and before step 3 (one
// store write): its claim runs out after the lease, and the next process
// to look (this one restarted, or another node on the same store) fires T
// again (Stats.Recovered counts it, and a warning names it). Both
// invocations carry the same request id, for a function that wants to
// deduplicate. A process dying between steps 1 and 2 leaves a claim
// whose fire was never queued; it is fired after the lease, late by up to
// the lease, not lost. Close lets the fires in progress finish, so a
// clean shutdown leaves no claim behind. That is at-least-once delivery,
// as EventBridge Scheduler itself promises, with duplicates confined to a
// crash inside one store write.
//
// Fires that the engine refuses for good (the target function does not
// exist, the failure destination is unknown) consume their due time and
// are counted in Stats.Failed; store errors are retried with a backoff.
//
// # Context attributes
//
// The Input's <aws.scheduler.schedule-arn>, <aws.scheduler.scheduled-time>
// (T, in RFC 3339, UTC), <aws.scheduler.execution-id> (the request id) and
// <aws.scheduler.attempt-number> are replaced at each fire. The attempt
// number is always 1: the engine's queue retries the same payload.
//
// # Consistency of the API
//
// The API's writes are serialized within a Scheduler (a group exists while
// a schedule is written into it). Each operation touches one record at a
// time, as the Store interface allows; deleting a group deletes its
// schedules one by one and then the group, so a crash in between leaves
// the group with fewer schedules, never schedules without a group.
package schedule
