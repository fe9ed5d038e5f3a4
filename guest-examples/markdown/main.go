// Command markdown is a Flint function that renders Markdown to HTML with
// github.com/yuin/goldmark (CommonMark, plus GitHub's tables,
// strikethrough, autolinks and task lists, and typographic quotes): the
// size of Go function users write with a real third-party library.
//
//	{"markdown":"# Hi\n*there*"} -> {"html":"<h1 id=\"hi\">Hi</h1>\n<p><em>there</em></p>\n"}
package main

import (
	"bytes"
	"io"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

func main() {}

// Event is markdown's input.
type Event struct {
	Markdown string `json:"markdown"`
}

// Response is markdown's output.
type Response struct {
	HTML string `json:"html"`
}

// md is built once, in init: a snapshot keeps it.
var md = goldmark.New(
	goldmark.WithExtensions(extension.GFM, extension.Typographer, extension.Footnote, extension.DefinitionList),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
)

// warmUp exercises the parser, the renderer and every extension once.
// goldmark builds its parser and renderer tables, and its HTML entity
// table, on first use: done in init, that work is in the snapshot every
// instance starts from, instead of in each instance's first call.
const warmUp = "# T\n\n*a* **b** ~~c~~ \"d\" -- e &amp; f[^1]\n\n- [x] g\n\n| h |\n|---|\n| i |\n\n" +
	"j\n: k\n\n`l` https://example.com\n\n[^1]: m\n"

func init() {
	_ = md.Convert([]byte(warmUp), io.Discard)
	guest.HandleJSON(func(ctx guest.Context, ev Event) (Response, error) {
		var buf bytes.Buffer
		if err := md.Convert([]byte(ev.Markdown), &buf); err != nil {
			return Response{}, err
		}
		return Response{HTML: buf.String()}, nil
	})
}
