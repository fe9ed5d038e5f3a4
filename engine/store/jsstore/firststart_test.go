package jsstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"

	"github.com/flintfaas/flint/engine/store/jsstore"
	"github.com/flintfaas/flint/internal/natstest"
)

// TestClusterFirstStartTogether opens a store on each of three fresh
// servers at once, as a cluster's nodes do on their first start: each
// creates the same buckets, queue and blobs while JetStream is electing
// their leaders, and each gets them (an unanswered request is tried
// again, a watch that delivers nothing is started again).
func TestClusterFirstStartTogether(t *testing.T) {
	for range 2 {
		c := natstest.StartCluster(t, 3)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				js, err := jetstream.New(c.Connect(i))
				if !assert.NoError(t, err) {
					return
				}
				s, err := jsstore.New(context.Background(), js, jsstore.Options{Replicas: 3})
				if !assert.NoError(t, err, "store on server %d", i) {
					return
				}
				defer s.Close()
				for _, name := range []string{"functions", "dead-letters", "gateway-roles", "event-source-mappings", "schedules", "cluster-nodes"} {
					_, err := s.Bucket(name)
					assert.NoError(t, err, "bucket %s on server %d", name, i)
				}
				_, err = s.Queue("async")
				assert.NoError(t, err, "queue on server %d", i)
			})
		}
		wg.Wait()
	}
}
