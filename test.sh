#!/usr/bin/env bash
# Runs every test of chanrtc: formatting and vet, the library and examples
# under the race detector, interop with pion/webrtc (its own module, so the
# library never depends on it), the Chromium browser tests (their own
# module; they need Debian's chromium and run inside a private network
# namespace whose only interface is lo), the aiortc interop tests (their own
# module; they need Debian's python3-aiortc and run in such a namespace
# too), a smoke run of the side-by-side benchmark against pion/webrtc (its
# own module too), and a short run of each fuzz target.
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
(cd aiortctest && go vet ./...)
(cd bench && go vet ./...)

step "cross-compile for embedded targets"
# linux/arm (ARMv6 and ARMv7), arm64, riscv64, mipsle without an FPU, 386:
# the library and the examples must build for every board we aim at.
for target in arm:6 arm:7 arm64 riscv64 mipsle:softfloat 386; do
	arch=${target%%:*}
	variant=${target#*:}
	echo "linux/$target"
	case $arch in
	arm) GOOS=linux GOARCH=arm GOARM=$variant go build ./... ;;
	mipsle) GOOS=linux GOARCH=mipsle GOMIPS=$variant go build ./... ;;
	*) GOOS=linux GOARCH=$arch go build ./... ;;
	esac
done

step "library and examples (race detector on)"
go test -race -count=1 -timeout 10m ./...

step "build tags that leave media or DataChannels out (race detector on)"
for tags in chanrtc_nomedia chanrtc_nodatachannel; do
	echo "-tags $tags"
	go vet -tags "$tags" . ./actors ./transport ./internal/... ./codec/... ./jitter # the examples use both
	go test -race -count=1 -timeout 5m -tags "$tags" . ./transport
done

step "interop with pion/webrtc v4"
(cd interop && go test -race -count=1 -timeout 10m ./...)

step "browser tests (headless Chromium)"
(cd browsertest && go test -count=1 -timeout 10m ./...)

step "interop with aiortc (Python)"
(cd aiortctest && go test -count=1 -timeout 10m ./...)

step "benchmark command, smoke run (cd bench && go run . -quick)"
(cd bench && go run . -quick >/dev/null)

step "fuzz targets, briefly"
fuzztime=${FUZZTIME:-5s}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		echo "$pkg $target"
		if ! out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
			echo "$out"
			exit 1
		fi
	done
done

echo
echo "all tests passed"
