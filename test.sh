#!/usr/bin/env bash
# Runs every test of chanrtc: formatting and vet, the library and examples
# under the race detector, interop with pion/webrtc (its own module, so the
# library never depends on it), the Chromium browser tests (their own
# module; they need Debian's chromium and run inside a private network
# namespace whose only interface is lo), and a short run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== %s\n' "$*"; }

step gofmt
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "not gofmt-formatted:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...
(cd interop && go vet ./...)
(cd browsertest && go vet ./...)

step "library and examples (race detector on)"
go test -race -count=1 -timeout 10m ./...

step "interop with pion/webrtc v4"
(cd interop && go test -race -count=1 -timeout 10m ./...)

step "browser tests (headless Chromium)"
(cd browsertest && go test -count=1 -timeout 10m ./...)

step "fuzz targets, briefly"
fuzztime=${FUZZTIME:-5s}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		echo "$pkg $target"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/dev/null
	done
done

echo
echo "all tests passed"
