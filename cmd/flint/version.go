package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

const wazeroModule = "github.com/tetratelabs/wazero"

// versions are the versions of what makes up this binary.
type versions struct {
	flint, goVersion, wazero string
}

// buildVersions reads the versions from the binary's build information:
// Flint's module version ("devel" for a build from a source tree without
// a version), the Go toolchain, and wazero ("+flint" after the version of
// a wazero replaced by a directory, as third_party/_wazero is).
func buildVersions() versions {
	v := versions{flint: "devel", goVersion: runtime.Version(), wazero: "unknown"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if m := info.Main.Version; m != "" && m != "(devel)" {
		v.flint = m
	}
	if info.GoVersion != "" {
		v.goVersion = info.GoVersion
	}
	for _, dep := range info.Deps {
		if dep.Path != wazeroModule {
			continue
		}
		v.wazero = dep.Version
		switch r := dep.Replace; {
		case r == nil:
		case r.Version == "" || r.Version == "(devel)":
			// A directory: third_party/_wazero, the release go.mod
			// names with Flint's patch (docs/RATIONALE.md).
			v.wazero = dep.Version + "+flint"
		default:
			v.wazero = r.Version
		}
	}
	return v
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the versions of flint, Go and wazero",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: text or json"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("flint version: takes no arguments")
			}
			v := buildVersions()
			switch out := c.String("output"); out {
			case "json":
				return printJSON(c.App.Writer, map[string]string{"flint": v.flint, "go": v.goVersion, "wazero": v.wazero})
			case "text":
			default:
				return usageErrorf("flint version: --output %q: use text or json", out)
			}
			_, err := fmt.Fprintf(c.App.Writer, "flint   %s\ngo      %s\nwazero  %s\n", v.flint, v.goVersion, v.wazero)
			return err
		},
	}
}
