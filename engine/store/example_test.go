package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/flintfaas/flint/engine/store"
)

// A durable Store in a data directory: a bucket, a blob and a queue.
func Example() {
	dir, err := os.MkdirTemp("", "flint-data")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := store.Open(dir, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	digest, err := s.Blobs().Put(ctx, []byte("\x00asm\x01\x00\x00\x00"))
	if err != nil {
		log.Fatal(err)
	}
	functions, err := s.Bucket("functions")
	if err != nil {
		log.Fatal(err)
	}
	if err := functions.Put(ctx, "hello", []byte(digest)); err != nil {
		log.Fatal(err)
	}

	q, err := s.Queue("async/hello")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := q.Enqueue(ctx, []byte(`{"name":"world"}`), time.Time{}); err != nil {
		log.Fatal(err)
	}
	m, err := q.Receive(ctx, 30*time.Second) // the invocation's timeout, and some
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s, delivery %d\n", m.Body, m.Deliveries)
	if err := q.Ack(ctx, m.ID); err != nil { // after the invocation ended
		log.Fatal(err)
	}
	// Output: {"name":"world"}, delivery 1
}

// Update makes read-modify-write atomic: concurrent counters lose nothing.
func ExampleBucket_Update() {
	s := store.NewMemory()
	defer s.Close()
	ctx := context.Background()
	counts, _ := s.Bucket("counts")

	for range 3 {
		err := counts.Update(ctx, "invocations", func(old []byte, exists bool) ([]byte, error) {
			n := 0
			if exists {
				fmt.Sscan(string(old), &n)
			}
			return fmt.Append(nil, n+1), nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	v, _ := counts.Get(ctx, "invocations")
	fmt.Println(string(v))
	// Output: 3
}

// List pages through the keys with a prefix.
func ExampleBucket_List() {
	s := store.NewMemory()
	defer s.Close()
	ctx := context.Background()
	kv, _ := s.Bucket("kv")
	for _, k := range []string{"user/3", "user/1", "order/1", "user/2"} {
		_ = kv.Put(ctx, k, nil)
	}
	after := ""
	for {
		keys, more, err := kv.List(ctx, "user/", after, 2)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(keys)
		if !more {
			break
		}
		after = keys[len(keys)-1]
	}
	// Output:
	// [user/1 user/2]
	// [user/3]
}
