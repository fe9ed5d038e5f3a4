package console_test

import (
	"archive/zip"
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// upload posts the deploy form with a file.
func (c *client) upload(name, filename string, code []byte, fields map[string]string) page {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	require.NoError(c.t, w.WriteField("csrf", c.csrf))
	require.NoError(c.t, w.WriteField("name", name))
	for k, v := range fields {
		require.NoError(c.t, w.WriteField(k, v))
	}
	fw, err := w.CreateFormFile("code", filename)
	require.NoError(c.t, err)
	_, err = fw.Write(code)
	require.NoError(c.t, err)
	require.NoError(c.t, w.Close())
	req, err := http.NewRequest("POST", c.base+"/console/deploy", &body)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

func zipOf(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	require.NoError(t, err)
	_, err = w.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestDeploy(t *testing.T) {
	s := startServer(t, serverOptions{})
	c := s.client(t)
	c.signIn(adminKey)
	tests := []struct {
		name     string
		fn, file string
		code     []byte
		fields   map[string]string
		status   int
		location string
		body     string
		check    func(t *testing.T)
	}{
		{name: "create from a zip, with memory and a version", fn: "zipped", file: "f.zip", code: zipOf(t, "f.wasm", echolog(t)),
			fields: map[string]string{"memory": "64", "publish": "1"}, status: http.StatusSeeOther, location: "/console/functions/zipped?done=created",
			check: func(t *testing.T) {
				info, err := s.Engine.Function("zipped:1")
				require.NoError(t, err, "published")
				assert.Equal(t, 64, info.MemoryMB)
			}},
		{name: "update the code and the timeout", fn: "zipped", file: "f.wasm", code: echolog(t), fields: map[string]string{"timeout": "7"},
			status: http.StatusSeeOther, location: "/console/functions/zipped?done=deployed",
			check: func(t *testing.T) {
				info, err := s.Engine.Function("zipped")
				require.NoError(t, err)
				assert.Equal(t, 7*time.Second, info.Timeout)
			}},
		{name: "not a module", fn: "junk", file: "f.wasm", code: []byte("hello"), status: http.StatusBadRequest,
			body: "InvalidParameterValueException: Code.ZipFile is neither a zip file nor a WebAssembly module"},
		{name: "a zip of two modules", fn: "two", file: "f.zip", code: func() []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, n := range []string{"a.wasm", "b.wasm"} {
				w, _ := zw.Create(n)
				_, _ = w.Write(echolog(t))
			}
			_ = zw.Close()
			return buf.Bytes()
		}(), status: http.StatusBadRequest, body: "holds 2 .wasm files"},
		{name: "another kind of file", fn: "txt", file: "f.txt", code: []byte("x"), status: http.StatusBadRequest, body: "upload a .wasm module"},
		{name: "no name", fn: "", file: "f.wasm", code: echolog(t), status: http.StatusBadRequest, body: "name the function"},
		{name: "a bad name", fn: "no spaces", file: "f.wasm", code: echolog(t), status: http.StatusBadRequest, body: "InvalidParameterValueException"},
		{name: "memory not a number", fn: "m", file: "f.wasm", code: echolog(t), fields: map[string]string{"memory": "lots"},
			status: http.StatusBadRequest, body: "MemorySize &#34;lots&#34;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.get("/console/deploy")
			p := c.upload(tt.fn, tt.file, tt.code, tt.fields)
			assert.Equal(t, tt.status, p.Status)
			assert.Equal(t, tt.location, p.Location)
			assert.Contains(t, p.Body, tt.body)
			if tt.check != nil {
				tt.check(t)
			}
		})
	}
}

func TestDeadLetters(t *testing.T) {
	s := startServer(t, serverOptions{})
	s.deploy(t, "fails")
	ctx := context.Background()
	var ids []string
	for range 2 {
		id, err := s.Engine.InvokeAsync(ctx, "fails", []byte(`"!always"`), engine.WithRetryPolicy(0, time.Hour),
			engine.WithFailureDestination(engine.DeadLetterDestination))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	require.Eventually(t, func() bool { return s.Engine.Metrics(ctx).Async.DeadLetters == 2 }, 10*time.Second, 10*time.Millisecond)
	c := s.client(t)
	c.signIn(adminKey)
	p := c.get("/console/async")
	assert.Contains(t, p.Body, ids[0])
	assert.Contains(t, p.Body, "RetriesExhausted")

	p = c.post("/console/async/dead-letters/"+ids[0]+"/delete", url.Values{}, true)
	require.Equal(t, http.StatusSeeOther, p.Status)
	assert.Equal(t, "/console/async?done=deleted", p.Location)
	_, err := s.Engine.DeadLetter(ctx, ids[0])
	assert.ErrorIs(t, err, engine.ErrDeadLetterNotFound)

	c.get("/console/async")
	p = c.post("/console/async/dead-letters/nope/redrive", url.Values{}, true)
	assert.Equal(t, http.StatusBadRequest, p.Status)
	assert.Contains(t, p.Body, "ResourceNotFoundException")
	assert.Contains(t, p.Body, ids[1], "the page is shown again, with the error")
}

func TestUsagePage(t *testing.T) {
	s := startServer(t, serverOptions{})
	s.deploy(t, "metered", func(f *engine.Function) { f.MemoryMB = 1024 })
	for range 3 {
		_, err := s.Engine.Invoke(context.Background(), "metered", []byte(`"x"`))
		require.NoError(t, err)
	}
	c := s.client(t)
	c.signIn(adminKey)
	p := c.get("/console/usage")
	require.Equal(t, http.StatusOK, p.Status)
	// 3 requests of 1 ms billed at 1 GB: 0.003 GB-s.
	assert.Contains(t, p.Body, `<tr data-function="metered"><td>metered</td><td class="n">3</td>`)
	assert.Contains(t, p.Body, "0.003000")
	assert.Contains(t, p.Body, "$0.000001") // 3 × $0.0000002 + 0.003 × $0.0000166667
	assert.Contains(t, p.Body, "$0.0000166667 per GB-second")
	assert.Contains(t, p.Body, "price table of 2025-01")
	assert.Contains(t, p.Body, "<strong>estimate</strong>")
}

func TestSignOut(t *testing.T) {
	s := startServer(t, serverOptions{})
	c := s.client(t)
	c.signIn(adminKey)
	p := c.post("/console/signout", url.Values{}, true)
	require.Equal(t, http.StatusSeeOther, p.Status)
	assert.Equal(t, "/console/signin", p.Location)
	p = c.get("/console/functions")
	assert.Equal(t, http.StatusSeeOther, p.Status, "signed out")
}

func TestSavedTestEvents(t *testing.T) {
	s := startServer(t, serverOptions{})
	s.deploy(t, "fn")
	c := s.client(t)
	c.signIn(adminKey)
	save := func(name, payload string) page {
		c.get("/console/functions/fn/test")
		return c.post("/console/functions/fn/test", url.Values{"action": {"save"}, "event": {name}, "payload": {payload}}, true)
	}
	for i := range 10 {
		p := save("e"+string(rune('a'+i)), `{"n":1}`)
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	}
	tests := []struct {
		name, event, payload, want string
	}{
		{"an eleventh", "ek", "{}", "has 10 saved test events, the most it may have"},
		{"a bad name", "../x", "{}", "test event name &#34;../x&#34;"},
		{"a long name", "abcdefghijklmnopqrstuvwxyz", "{}", "use 1 to 25 letters"},
		{"not JSON", "ea", "{", "is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := save(tt.event, tt.payload)
			assert.Equal(t, http.StatusBadRequest, p.Status)
			assert.Contains(t, p.Body, tt.want)
		})
	}
	t.Run("overwrite one, delete one", func(t *testing.T) {
		require.Equal(t, http.StatusSeeOther, save("ea", `{"n":2}`).Status)
		assert.Contains(t, c.get("/console/functions/fn/test?event=ea").Body, `{&#34;n&#34;:2}`)
		p := c.post("/console/functions/fn/test", url.Values{"action": {"delete"}, "event": {"ea"}}, true)
		require.Equal(t, http.StatusSeeOther, p.Status)
		assert.Equal(t, http.StatusNotFound, c.get("/console/functions/fn/test?event=ea").Status)
	})
	t.Run("invalid payload is refused as the API refuses it", func(t *testing.T) {
		c.get("/console/functions/fn/test")
		p := c.post("/console/functions/fn/test", url.Values{"payload": {"{not json"}}, true)
		assert.Equal(t, http.StatusBadRequest, p.Status)
		assert.Contains(t, p.Body, "InvalidRequestContentException: Could not parse request body into json")
	})
}
