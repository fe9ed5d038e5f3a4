// Package eventsource runs event source mappings: the records of NATS
// JetStream streams handed to functions in batches, as AWS Lambda hands
// functions the messages of SQS queues.
//
// A Manager keeps the mappings (in a store bucket, so they survive
// restarts) and runs a poller per enabled mapping. The poller pulls its
// stream through a durable consumer (its place in the stream, kept while
// the mapping is paused), gathers records into batches — full, at the end
// of the batching window, or before the event would pass 6 MB — and invokes
// the function synchronously with an event of SQS records (messageId,
// receiptHandle, body, attributes, messageAttributes from the NATS headers,
// md5OfBody, eventSource "nats:jetstream", eventSourceARN, awsRegion), so
// that handlers written for SQS decode it unchanged.
//
// # Delivery
//
// At least once: a record is acknowledged only after an invocation that
// succeeded for it. A record that failed is given back to the stream with
// a delay that doubles with each delivery (its attributes'
// ApproximateReceiveCount says which delivery the function sees), until
// MaximumRetryAttempts are used up or it is older than MaximumRecordAge;
// then it goes to the mapping's failure destination — Flint's dead-letter
// store by default, or another stream — and only then is acknowledged. A
// process that dies mid-batch leaves its records unacknowledged, and
// JetStream delivers them again after the ack wait (the function's timeout,
// the batching window and a margin).
//
// With ReportBatchItemFailures, the function's response names the records
// that failed, by messageId, with Lambda's exact rules (see failedItems):
// only those are retried. A function error fails the whole batch.
//
// A throttled invocation (the function's reserved concurrency, or the
// engine's) is not a failure, nor is one the engine could not start because
// the store was unreachable (the function's code could not be read while a
// cluster elects new stream leaders): the batch waits, with backoff, and is tried
// again, its records kept from redelivery meanwhile; the poller pulls no
// more than MaximumConcurrency batches ahead, so the stream is read as
// fast as the function can take it.
//
// Records that match none of the mapping's filters (eventsource/filter)
// are acknowledged without an invocation, and counted.
package eventsource
