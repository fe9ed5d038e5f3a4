package main

import (
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/urfave/cli/v2"
)

// commandPaths lists every command of the app as typed: "deploy",
// "alias set", ...
func commandPaths(cmds []*cli.Command, prefix string) []string {
	var out []string
	for _, c := range cmds {
		p := strings.TrimSpace(prefix + " " + c.Name)
		if len(c.Subcommands) > 0 {
			out = append(out, commandPaths(c.Subcommands, p)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// A zero shown as a default where the real default is something else
// ("--timeout (default: 0s)" on deploy, whose new functions get 3s) sends
// the reader wrong: every default help shows is the one that applies.
func TestHelpShowsRealDefaults(t *testing.T) {
	misleading := regexp.MustCompile(`\(default: (0|0s|"")\)`)
	// The flags whose default really is zero.
	zeroIsReal := map[string]bool{"logs --since": true}
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	for _, path := range commandPaths(app.Commands, "") {
		t.Run(path, func(t *testing.T) {
			_, stdout, _ := flint(t, "", append(strings.Fields(path), "--help")...)
			for _, line := range strings.Split(stdout, "\n") {
				if !misleading.MatchString(line) {
					continue
				}
				name := strings.TrimPrefix(strings.Fields(strings.TrimSpace(line))[0], "--")
				assert.True(t, zeroIsReal[path+" --"+name], "%s: %s", path, strings.TrimSpace(line))
			}
		})
	}
}

// Every command that prints data takes -o json, for scripts.
func TestEveryCommandHasJSON(t *testing.T) {
	noData := map[string]bool{"serve": true, "completion": true}
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	for _, path := range commandPaths(app.Commands, "") {
		if noData[path] {
			continue
		}
		t.Run(path, func(t *testing.T) {
			_, stdout, _ := flint(t, "", append(strings.Fields(path), "--help")...)
			assert.Contains(t, stdout, "--output FORMAT, -o FORMAT")
		})
	}
}
