// Command orders is a Flint function fed by an event source mapping: it
// gets batches of SQS-shaped records from a stream, takes each record's
// body as an order, and reports the orders it could not take, so that only
// those are retried (the mapping's FunctionResponseTypes:
// ["ReportBatchItemFailures"]).
//
//	{"id":"o-1","qty":2}   is taken: counted under its id in the key-value
//	                       store "orders" (so a redelivered order shows a
//	                       count over 1), and logged;
//	{"id":"o-2","qty":0}   is reported failed (a quantity must be positive),
//	                       as is a body that is not an order.
//
// SLEEP_MS in its environment makes it sleep that long per record, to show
// a batch in flight (the end-to-end tests kill a server mid-batch).
//
// It needs this execution policy:
//
//	{"Version": "2026-11-01", "Statement": [
//	  {"Effect": "Allow", "Action": ["kv:Get", "kv:Put"], "Resource": ["kv:orders/*"]}]}
package main

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/kv"
)

func main() {}

// Event is a batch of records, in the shape Lambda gives SQS messages.
type Event struct {
	Records []Record `json:"Records"`
}

// Record is one message of the batch.
type Record struct {
	MessageID  string            `json:"messageId"`
	Body       string            `json:"body"`
	Attributes map[string]string `json:"attributes"`
}

// Order is a record's body.
type Order struct {
	ID  string `json:"id"`
	Qty int    `json:"qty"`
}

// Response names the records that failed (Lambda's partial batch response).
type Response struct {
	BatchItemFailures []Failure `json:"batchItemFailures"`
}

// Failure is one failed record, by its messageId.
type Failure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

func init() {
	orders := kv.Open("orders")
	sleep, _ := strconv.Atoi(os.Getenv("SLEEP_MS"))
	guest.HandleJSON(func(_ guest.Context, ev Event) (Response, error) {
		resp := Response{BatchItemFailures: []Failure{}}
		for _, r := range ev.Records {
			if sleep > 0 {
				time.Sleep(time.Duration(sleep) * time.Millisecond)
			}
			var o Order
			if err := json.Unmarshal([]byte(r.Body), &o); err != nil || o.ID == "" || o.Qty < 1 {
				guest.Log(guest.LevelWarn, "order in record "+r.MessageID+" refused: "+r.Body)
				resp.BatchItemFailures = append(resp.BatchItemFailures, Failure{ItemIdentifier: r.MessageID})
				continue
			}
			if err := count(orders, o.ID); err != nil {
				return Response{}, err
			}
			guest.Log(guest.LevelInfo, "order "+o.ID+" taken: "+strconv.Itoa(o.Qty)+" (delivery "+r.Attributes["ApproximateReceiveCount"]+")")
		}
		return resp, nil
	})
}

// count adds one to the order's count.
func count(orders kv.Store, id string) error {
	n := 0
	switch v, err := orders.Get(id); {
	case errors.Is(err, guest.ErrNotFound):
	case err != nil:
		return err
	default:
		n, _ = strconv.Atoi(string(v))
	}
	return orders.Put(id, []byte(strconv.Itoa(n+1)))
}
