// Command batchreply is the event source tests' function. It logs every
// record it gets ("record ID receive N body BODY") and answers as the
// batch's first record says: a body "reply:X" makes X the response (a
// partial batch response, say), "fail" makes the function fail, and
// anything else succeeds with an empty response.
package main

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/flintfaas/flint/abi/guest"
)

func main() {}

type event struct {
	Records []struct {
		MessageID  string            `json:"messageId"`
		Body       string            `json:"body"`
		Attributes map[string]string `json:"attributes"`
	} `json:"Records"`
}

func init() {
	guest.Handle(func(_ guest.Context, payload []byte) ([]byte, error) {
		var ev event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		for _, r := range ev.Records {
			guest.Log(guest.LevelInfo, "record "+r.MessageID+" receive "+r.Attributes["ApproximateReceiveCount"]+" body "+r.Body)
		}
		if len(ev.Records) == 0 {
			return nil, nil
		}
		switch first := ev.Records[0].Body; {
		case strings.HasPrefix(first, "reply:"):
			return []byte(strings.TrimPrefix(first, "reply:")), nil
		case first == "fail":
			return nil, errors.New("failed on purpose")
		}
		return nil, nil
	})
}
