// Package doclinks holds no code: its test keeps every relative link of
// the repository's Markdown files pointing at a file (or folder) that
// exists, and every #anchor at a heading of its file. The README's flags
// are checked against the CLI by cmd/flint's TestREADMEFlags. make docs
// runs both.
package doclinks
