package gateway

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"
)

// FuzzExtractModule feeds extractModule arbitrary deployment packages,
// seeded with zips (one module, two, none, a directory, a deflated run of
// zeros far over the limit: a small zip bomb): it must return a module no
// larger than the limit or a Lambda-shaped client error, never panic and
// never read past the limit.
func FuzzExtractModule(f *testing.F) {
	const limit = 1 << 16
	zipOf := func(files map[string][]byte) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, data := range files {
			w, err := zw.Create(name)
			if err != nil {
				f.Fatal(err)
			}
			if _, err := w.Write(data); err != nil {
				f.Fatal(err)
			}
		}
		if err := zw.Close(); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}
	module := []byte("\x00asm\x01\x00\x00\x00")
	f.Add(module)
	f.Add([]byte{})
	f.Add([]byte("PK"))
	f.Add([]byte("PK\x03\x04 not really"))
	f.Add(zipOf(map[string][]byte{"fn.wasm": module}))
	f.Add(zipOf(map[string][]byte{"a.wasm": module, "b.WASM": module}))
	f.Add(zipOf(map[string][]byte{"readme.txt": []byte("hi")}))
	f.Add(zipOf(map[string][]byte{"dir.wasm/": nil}))
	f.Add(zipOf(map[string][]byte{"bomb.wasm": make([]byte, 4*limit)}))

	f.Fuzz(func(t *testing.T, pkg []byte) {
		b, err := extractModule(pkg, limit)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status < 400 || ae.Status >= 500 || ae.Message == "" {
				t.Fatalf("error %v is not a Lambda client error", err)
			}
			return
		}
		if len(b) == 0 || len(b) > limit {
			t.Fatalf("extracted %d bytes (limit %d)", len(b), limit)
		}
	})
}
