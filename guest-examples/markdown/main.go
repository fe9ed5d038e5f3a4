// Command markdown is a Flint function that renders Markdown to HTML with
// github.com/yuin/goldmark (CommonMark, plus GitHub's tables,
// strikethrough, autolinks and task lists, and typographic quotes): the
// size of Go function users write with a real third-party library.
//
//	{"markdown":"# Hi\n*there*"} -> {"html":"<h1 id=\"hi\">Hi</h1>\n<p><em>there</em></p>\n"}
package main

import (
	"bytes"

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

func init() {
	guest.HandleJSON(func(ctx guest.Context, ev Event) (Response, error) {
		var buf bytes.Buffer
		if err := md.Convert([]byte(ev.Markdown), &buf); err != nil {
			return Response{}, err
		}
		return Response{HTML: buf.String()}, nil
	})
}
