package doclinks_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// link is [text](target) or ![alt](target); code spans and blocks are left
// out before matching.
var (
	linkRE      = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	codeBlockRE = regexp.MustCompile("(?s)```.*?```")
	codeSpanRE  = regexp.MustCompile("`[^`\n]*`")
	headingRE   = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
)

// markdownFiles lists the repository's Markdown files (not in .git, bin or
// build).
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "build", ".flint", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	require.NoError(t, err)
	return files
}

// anchor is GitHub's anchor for a heading: lower case, punctuation but
// hyphens and underscores dropped, spaces as hyphens.
func anchor(heading string) string {
	heading = codeSpanRE.ReplaceAllStringFunc(heading, func(s string) string { return strings.Trim(s, "`") })
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func anchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	out := map[string]bool{}
	for _, m := range headingRE.FindAllStringSubmatch(codeBlockRE.ReplaceAllString(string(b), ""), -1) {
		out[anchor(m[1])] = true
	}
	return out
}

func TestMarkdownLinks(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	files := markdownFiles(t, root)
	require.NotEmpty(t, files)
	for _, file := range files {
		rel, _ := filepath.Rel(root, file)
		t.Run(rel, func(t *testing.T) {
			b, err := os.ReadFile(file)
			require.NoError(t, err)
			text := codeSpanRE.ReplaceAllString(codeBlockRE.ReplaceAllString(string(b), ""), "")
			for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, frag, _ := strings.Cut(target, "#")
				dest := file
				if path != "" {
					dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
					_, err := os.Stat(dest)
					if !assert.NoError(t, err, "%s links to %s, which does not exist", rel, target) {
						continue
					}
				}
				if frag != "" && strings.HasSuffix(dest, ".md") {
					assert.True(t, anchors(t, dest)[frag], "%s links to %s: no heading has the anchor #%s", rel, target, frag)
				}
			}
		})
	}
}

func TestAnchor(t *testing.T) {
	for in, want := range map[string]string{
		"A 60-second tour":                   "a-60-second-tour",
		"The server: `flint serve`":          "the-server-flint-serve",
		"Cold versus warm: `flint bench`":    "cold-versus-warm-flint-bench",
		"`context_get(field: i32, ...)`":     "context_getfield-i32-",
		"Streamed responses: an option, one": "streamed-responses-an-option-one",
	} {
		assert.Equal(t, want, anchor(in), in)
	}
}
