//go:build flintjson_std || (!flintjson_goccy && !flintjson_gjx)

package jsoncodec

import "encoding/json"

// Name names the implementation this build uses.
const Name = "encoding/json"

func marshal(v any) ([]byte, error) { return json.Marshal(v) }

func unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
