package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flintfaas/flint/internal/testguest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"
)

var (
	flagRE    = regexp.MustCompile(`(?:^|[\s\[(` + "`" + `/])--([a-z][a-z0-9-]*)`)
	commandRE = regexp.MustCompile(`\b(flint|aws)(?: --endpoint-url \S+)? ([a-z][a-z-]*)(?: ([a-z]+)(?:\\?\|[a-z]+)*)?`)
)

// flagsOf returns the names (and aliases) of a command's flags.
func flagsOf(cmd *cli.Command) map[string]bool {
	out := map[string]bool{"help": true}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			out[n] = true
		}
	}
	return out
}

// TestREADMEFlags keeps the README in step with the CLI: every --flag it
// shows after "flint COMMAND" is one of that command's, every row of the
// server's settings table is one of flint serve's, and every other --flag
// it names is one of some flint command's.
func TestREADMEFlags(t *testing.T) {
	// The flags of other tools the README shows (the AWS CLI's): not flint's.
	notFlintFlags := map[string]bool{"endpoint-url": true, "cli-binary-format": true, "function-name": true, "zip-file": true, "runtime": true}
	b, err := os.ReadFile(filepath.Join(testguest.Root(t), "README.md"))
	require.NoError(t, err)
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	all := map[string]bool{}
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			for f := range flagsOf(c) {
				all[f] = true
			}
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
	command := func(name, sub string) *cli.Command {
		c := app.Command(name)
		if c != nil && sub != "" {
			if s := c.Command(sub); s != nil {
				return s
			}
		}
		return c
	}

	checked := 0
	// A command's flags may go on to the next line: a shell line ending
	// in a backslash, or a code span left open.
	var last readmeSegment
	continues := false
	for n, line := range strings.Split(string(b), "\n") {
		where := func(flag string) string { return "README.md:" + strconv.Itoa(n+1) + ": --" + flag }
		if strings.HasPrefix(line, "| `--") {
			for _, m := range flagRE.FindAllStringSubmatch(strings.SplitN(line, "|", 3)[1], -1) {
				assert.True(t, flagsOf(app.Command("serve"))[m[1]], "%s is not a flag of flint serve", where(m[1]))
				checked++
			}
			continue
		}
		// The line in segments, each from a command ("flint deploy",
		// "aws lambda") to the next; before the first, prose.
		locs := commandRE.FindAllStringSubmatchIndex(line, -1)
		segments := []readmeSegment{{text: line}}
		if continues {
			segments[0].aws, segments[0].cmd = last.aws, last.cmd
		}
		if len(locs) > 0 {
			segments[0].text = line[:locs[0][0]]
		}
		for i, l := range locs {
			end := len(line)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			tool, name, sub := line[l[2]:l[3]], line[l[4]:l[5]], ""
			if l[6] >= 0 {
				sub = line[l[6]:l[7]]
			}
			seg := readmeSegment{aws: tool == "aws", text: line[l[1]:end]}
			// A command's flags end with its code span or table cell.
			if i := strings.IndexAny(seg.text, "`"); i >= 0 {
				segments = append(segments, readmeSegment{text: seg.text[i:]})
				seg.text = seg.text[:i]
			}
			if !seg.aws {
				seg.cmd = command(name, sub)
			}
			segments = append(segments, seg)
		}
		last = segments[len(segments)-1]
		continues = strings.HasSuffix(strings.TrimSpace(line), `\`) || strings.Count(line, "`")%2 == 1
		for _, seg := range segments {
			for _, m := range flagRE.FindAllStringSubmatch(seg.text, -1) {
				flag := m[1]
				switch {
				case seg.aws || notFlintFlags[flag]:
				case seg.cmd != nil:
					assert.True(t, flagsOf(seg.cmd)[flag], "%s is not a flag of flint %s", where(flag), seg.cmd.Name)
					checked++
				default:
					assert.True(t, all[flag], "%s is no flag of any flint command", where(flag))
					checked++
				}
			}
		}
	}
	assert.Greater(t, checked, 60, "the README's flags were found")
}

// readmeSegment is a piece of a README line: the flags after a command
// (cmd: flint's; aws: the AWS CLI's), or prose (neither).
type readmeSegment struct {
	cmd  *cli.Command
	aws  bool
	text string
}
