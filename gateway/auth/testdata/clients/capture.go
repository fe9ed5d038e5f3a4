//go:build ignore

// Command capture records each raw HTTP request it receives into DIR/NNN.http
// and answers with a plausible Lambda response, so that a real client can be
// pointed at it: go run capture.go DIR (it prints and writes DIR/addr).
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
)

func main() {
	dir := os.Args[1]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr().String())
	os.WriteFile(filepath.Join(dir, "addr"), []byte(ln.Addr().String()), 0o644)
	var n atomic.Int64
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			for {
				var raw bytes.Buffer
				br := bufio.NewReader(io.TeeReader(c, &raw))
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				body, _ := io.ReadAll(req.Body)
				_ = body
				// raw may hold bytes of a pipelined next request; the
				// clients recorded here do not pipeline.
				i := n.Add(1)
				os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.http", i)), raw.Bytes()[:raw.Len()-br.Buffered()], 0o644)
				resp := `{"Functions":[]}`
				status := 200
				if strings.HasSuffix(req.URL.Path, "/invocations") {
					resp = `{"ok":true}`
				} else if req.Method == "POST" {
					resp = `{"FunctionName":"my-fn"}`
					status = 201
				}
				fmt.Fprintf(c, "HTTP/1.1 %d OK\r\nContent-Type: application/json\r\nX-Amzn-Requestid: r%d\r\nContent-Length: %d\r\n\r\n%s", status, i, len(resp), resp)
			}
		}()
	}
}
