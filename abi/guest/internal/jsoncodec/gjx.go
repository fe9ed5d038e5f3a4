//go:build flintjson_gjx && !flintjson_std && !flintjson_goccy

package jsoncodec

import json "github.com/go-json-experiment/json/v1"

// collectAfterPriming says whether Primed collects the garbage priming left.
const collectAfterPriming = false

// Name names the implementation this build uses.
const Name = "go-json-experiment/json/v1"

func marshal(v any) ([]byte, error) { return json.Marshal(v) }

func unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
