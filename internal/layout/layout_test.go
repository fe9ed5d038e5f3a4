package layout_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/flintfaas/flint"

// goList runs go list with args and returns its output's lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	require.NoError(t, err, "go list %v", args)
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// imports maps every package of the module to the module packages it
// imports.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, line := range goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...") {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, module+"/") {
				out[fields[0]] = append(out[fields[0]], imp)
			}
		}
	}
	return out
}

// extends lists the packages that may import the package above them: the
// Go guest SDK's extensions build on the SDK (as net/http/httputil builds
// on net/http), in the guest's own layer; a Store on JetStream and the
// stores' conformance suite build on the store's interface (as
// testing/fstest builds on io/fs).
var extends = map[string]string{
	module + "/abi/guest/kv":           module + "/abi/guest",
	module + "/abi/guest/fetch":        module + "/abi/guest",
	module + "/abi/guest/httpguest":    module + "/abi/guest",
	module + "/engine/store/jsstore":   module + "/engine/store",
	module + "/engine/store/storetest": module + "/engine/store",
}

func TestNoPackageImportsOneAboveIt(t *testing.T) {
	for pkg, deps := range imports(t) {
		for _, dep := range deps {
			if extends[pkg] == dep {
				continue
			}
			assert.False(t, strings.HasPrefix(pkg, dep+"/"), "%s imports %s, which sits above it", pkg, dep)
		}
	}
}

func TestNothingInternalImportsTheEngine(t *testing.T) {
	for pkg, deps := range imports(t) {
		if !strings.Contains(pkg+"/", "/internal/") {
			continue
		}
		for _, dep := range deps {
			assert.NotEqual(t, module+"/engine", dep, "%s imports the engine", pkg)
		}
	}
}

func TestTheEngineImportsNothingAroundIt(t *testing.T) {
	for pkg, deps := range imports(t) {
		if pkg != module+"/engine" && !strings.HasPrefix(pkg, module+"/engine/") {
			continue
		}
		for _, dep := range deps {
			rest := strings.TrimPrefix(dep, module+"/")
			ok := rest == "engine" || strings.HasPrefix(rest, "engine/") || strings.HasPrefix(rest, "abi") || strings.HasPrefix(rest, "internal/")
			assert.True(t, ok, "%s imports %s: the engine imports only engine/..., abi/... and internal/...", pkg, dep)
		}
	}
}

func TestTheFlintBinaryLinksNoPeer(t *testing.T) {
	for _, dep := range goList(t, "-deps", "./cmd/flint") {
		assert.NotContains(t, dep, "extism", "flint links %s: Extism belongs to benchmarks built with -tags extism", dep)
	}
}
