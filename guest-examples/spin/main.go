// Command spin is a Flint function that burns CPU, for timeouts and noisy
// neighbours. With an empty payload it loops forever; with {"ms":N} it
// spins for N milliseconds and returns; with {"sleep_ms":N} it sleeps.
package main

import (
	"encoding/json"
	"time"

	"github.com/flintfaas/flint/abi/guest"
)

func main() {}

var sink uint64

func init() {
	guest.Handle(func(_ guest.Context, event []byte) ([]byte, error) {
		var req struct {
			MS      int `json:"ms"`
			SleepMS int `json:"sleep_ms"`
		}
		if len(event) > 0 {
			if err := json.Unmarshal(event, &req); err != nil {
				return nil, err
			}
		}
		if req.SleepMS > 0 {
			time.Sleep(time.Duration(req.SleepMS) * time.Millisecond)
			return []byte(`"slept"`), nil
		}
		start := time.Now()
		for req.MS == 0 || time.Since(start) < time.Duration(req.MS)*time.Millisecond {
			sink++
		}
		return []byte(`"done"`), nil
	})
}
