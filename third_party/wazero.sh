#!/usr/bin/env bash
# Rebuilds third_party/_wazero: wazero at the release go.mod's replace
# names, taken from the module cache (the module proxy's bytes, checked
# against go.sum's hash by `go mod download`), with third_party/wazero.patch
# applied. Kept: the source of every package, wazero's license, and the
# tests of the package the patch changes; left out: the commands, examples,
# documentation site and the other packages' tests and test data (68 MB of
# it are the spec tests).
#
#	third_party/wazero.sh            # rebuild, then: git diff third_party/
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.11.0
dir=third_party/_wazero
src=$(GOFLAGS=-mod=mod go mod download -json "github.com/tetratelabs/wazero@$version" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
[ -d "$src" ] || { echo "wazero $version is not in the module cache" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
cp -r "$src"/. "$dir"/
chmod -R u+w "$dir"
rm -rf "$dir"/{cmd,examples,site,packaging,testdata,internal/integration_test,.github}
find "$dir" -type d -name example -prune -exec rm -rf {} +
find "$dir" -name '*.md' -delete
rm -f "$dir"/{Makefile,codecov.yml,netlify.toml,.gitignore,.editorconfig,.gitmodules}
# Tests: only the patched package's own, with the packages they use.
find "$dir" -name '*_test.go' ! -path "$dir/internal/engine/wazevo/*" -delete
find "$dir/internal/engine/wazevo" -mindepth 2 -name '*_test.go' -delete
find "$dir" -type d -name testdata ! -path "$dir/internal/testing/*" -prune -exec rm -rf {} +
patch -s -d "$dir" -p1 < third_party/wazero.patch
echo "$dir: wazero $version with third_party/wazero.patch"
