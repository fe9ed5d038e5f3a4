package jsstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/flintfaas/flint/broker"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/engine/store/jsstore"
)

// A Store on an embedded NATS server: what a Flint node in a cluster
// uses, with each node's broker clustered with the others' and Replicas:
// 3.
func Example() {
	ctx := context.Background()
	b, err := broker.Start(ctx, broker.Config{}) // in-process, files in a temporary directory
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close(ctx)

	s, err := jsstore.New(ctx, b.JetStream(), jsstore.Options{Prefix: "example"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	functions, err := s.Bucket("functions")
	if err != nil {
		log.Fatal(err)
	}
	// Follow changes, made here or on other nodes.
	changed := make(chan string, 1)
	if err := functions.(store.Watcher).Watch(ctx, func(key string) { changed <- key }); err != nil {
		log.Fatal(err)
	}
	if err := functions.Put(ctx, "hello", []byte(`{"memory":128}`)); err != nil {
		log.Fatal(err)
	}
	v, _ := functions.Get(ctx, "hello") // read from memory: no network
	fmt.Printf("%s changed: %s\n", <-changed, v)

	q, err := s.Queue("async")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := q.Enqueue(ctx, []byte("event"), time.Time{}); err != nil {
		log.Fatal(err)
	}
	m, err := q.Receive(ctx, jsstore.DefaultLease)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("received %s, delivery %d\n", m.Body, m.Deliveries)
	if err := q.Ack(ctx, m.ID); err != nil {
		log.Fatal(err)
	}
	// Output:
	// hello changed: {"memory":128}
	// received event, delivery 1
}
