//go:build flintjson_std || (!flintjson_goccy && !flintjson_gjx)

package jsoncodec

import "encoding/json"

// collectAfterPriming says whether Primed collects the garbage priming left.
const collectAfterPriming = false

// Name names the implementation this build uses.
const Name = "encoding/json"

func marshal(v any) ([]byte, error) { return json.Marshal(v) }

func unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
