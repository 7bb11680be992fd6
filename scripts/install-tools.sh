#!/usr/bin/env bash
# Installs the external test peers the tests need, pinned, into caches that survive between runs.
# Idempotent and quiet when everything is present. Prints the directory holding Go tools.
#   h2spec   github.com/summerwind/h2spec, commit 70ac229 (2020-08-04, after the v2.6.0 tag; the
#            module has no /v2 suffix, so the proxy serves it only as a pseudo-version)
#   (ghz and the chart's python venv: scripts/bench-grpc-tools.sh)
#   h2load   Debian package nghttp2-client (bookworm: 1.52.0)
set -euo pipefail

cache=${H2NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/h2native}
export GOBIN="$cache/bin"
mkdir -p "$GOBIN"

H2SPEC_VERSION=v0.0.0-20200804131034-70ac22940108
NGHTTP2_VERSION=1.52.0-1+deb12u3

log() { echo "[install-tools] $*" >&2; }

go_tool() { # name module version
  local stamp="$GOBIN/.$1.version"
  if [[ -x "$GOBIN/$1" && "$(cat "$stamp" 2>/dev/null)" == "$3" ]]; then return; fi
  log "go install $2@$3"
  go install "$2@$3"
  echo "$3" > "$stamp"
}

go_tool h2spec github.com/summerwind/h2spec/cmd/h2spec "$H2SPEC_VERSION"

if ! command -v h2load > /dev/null; then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  log "apt-get install nghttp2-client"
  $sudo apt-get update -qq > /dev/null
  # The exact bookworm build when the mirror still has it, else the current bookworm build.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "nghttp2-client=$NGHTTP2_VERSION" > /dev/null 2>&1 ||
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nghttp2-client > /dev/null
  log "h2load: $(h2load --version | head -1)"
fi

echo "$GOBIN"
