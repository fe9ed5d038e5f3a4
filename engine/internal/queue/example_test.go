package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/flintfaas/flint/engine/internal/queue"
	"github.com/flintfaas/flint/engine/store"
)

// An event for "orders", whose success record goes to "audit".
func Example() {
	s := store.NewMemory()
	defer s.Close()
	ctx := context.Background()

	audited := make(chan queue.Record, 1)
	q, err := queue.New(queue.Config{
		Store: s,
		Invoke: func(ctx context.Context, target string, payload []byte, requestID string) (queue.Outcome, error) {
			if target == "audit" {
				var r queue.Record
				if err := json.Unmarshal(payload, &r); err != nil {
					return queue.Outcome{}, err
				}
				audited <- r
				return queue.Outcome{}, nil
			}
			fmt.Printf("%s: %s\n", target, payload)
			return queue.Outcome{Payload: []byte(`{"status":"shipped"}`), ExecutedVersion: "$LATEST"}, nil
		},
		EventConfig: func(function string) queue.EventConfig {
			if function == "orders" {
				return queue.EventConfig{OnSuccess: queue.ToFunction("audit")}
			}
			return queue.EventConfig{}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	q.Start()
	defer q.Close(ctx)

	if _, err := q.Enqueue(ctx, "orders", []byte(`{"order":42}`), queue.EnqueueOptions{}); err != nil {
		log.Fatal(err)
	}
	r := <-audited
	fmt.Println(r.RequestContext.Condition, r.RequestContext.FunctionARN)
	fmt.Printf("%s -> %s\n", r.RequestPayload, r.ResponsePayload)
	// Output:
	// orders: {"order":42}
	// Success arn:aws:lambda:local:000000000000:function:orders:$LATEST
	// {"order":42} -> {"status":"shipped"}
}

// Validate names the field out of range.
func ExampleEventConfig_Validate() {
	err := queue.EventConfig{MaximumEventAge: 7 * time.Hour}.Validate()
	var field *queue.EventConfigError
	if errors.As(err, &field) {
		fmt.Println(field.Field, "=", field.Value)
	}
	fmt.Println(errors.Is(err, queue.ErrInvalidEventConfig))
	fmt.Println(queue.EventConfig{MaximumRetryAttempts: queue.NoRetries, OnFailure: queue.ToFunction("errors:live")}.Validate())
	// Output:
	// MaximumEventAge = 7h0m0s
	// true
	// <nil>
}
