//go:build flintjson_goccy && !flintjson_std

package jsoncodec

import json "github.com/goccy/go-json"

// collectAfterPriming says whether Primed collects the garbage priming left.
const collectAfterPriming = true

// Name names the implementation this build uses.
const Name = "goccy/go-json"

func marshal(v any) ([]byte, error) { return json.Marshal(v) }

func unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
