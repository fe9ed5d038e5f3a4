package console_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/engine/store"
	"github.com/flintfaas/flint/gateway"
	"github.com/flintfaas/flint/gateway/auth"
	"github.com/flintfaas/flint/gateway/console"
)

// schedules is a Sources with one schedule and no mappings: what the
// server's event sources give the console.
type schedules struct{}

func (schedules) Mappings(context.Context, string) ([]console.Mapping, error) { return nil, nil }

func (schedules) Schedules(_ context.Context, function string) ([]console.Schedule, error) {
	s := console.Schedule{Name: "nightly", Group: "default", Target: "report", Expression: "cron(0 2 * * ? *)",
		State: "ENABLED", Next: []time.Time{time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)}}
	if function != "" && function != s.Target {
		return nil, nil
	}
	return []console.Schedule{s}, nil
}

// The gateway serves the console at /console/; its Config.Console sets
// the console's options, here the event sources it shows. A browser that
// has not signed in is sent to the sign-in page.
func Example() {
	ctx := context.Background()
	st := store.NewMemory()
	defer st.Close()
	eng, err := engine.New(ctx, engine.Config{Store: st})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)
	gw, err := gateway.New(gateway.Config{
		Engine: eng, Store: st,
		Keys:    []auth.Key{{AccessKeyID: "AKIAFLINTEXAMPLE0001", SecretAccessKey: "flint-example-secret-change-me", Admin: true}},
		Console: console.Options{SessionTTL: 8 * time.Hour, Sources: schedules{}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Shutdown(ctx)

	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:8080/console/functions", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output:
	// 303 /console/signin?next=%2Fconsole%2Ffunctions
}
