#!/usr/bin/env bash
# Short fuzz run of every cargo-fuzz target of the codec (rust/codec/fuzz).
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]     (default 20)
#
# Installs cargo-fuzz (pinned) when missing, builds all targets once (with debug assertions,
# so arithmetic overflow panics), then runs each for the given time on a corpus seeded from
# rust/codec/fuzz/seeds/<target>/ (kept in rust/codec/fuzz/corpus/<target>/, git-ignored, or
# under $FUZZ_CORPUS_DIR). Reproducers in rust/codec/fuzz/regressions/<target>/ are run first.
# Prints one line per target, `fuzz <target>: N execs, C crashes`, then exactly one line
# `fuzz: T passed, F failed`. Exits non-zero when any target crashed, leaked, timed out or
# ran out of memory, or when the build failed. Crash inputs go to rust/codec/fuzz/artifacts/.
set -uo pipefail

CARGO_FUZZ_VERSION=0.13.2
secs=${1:-20}
if ! [[ $secs =~ ^[0-9]+$ ]] || [[ $secs -eq 0 ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET]" >&2
  exit 2
fi

cd "$(dirname "${BASH_SOURCE[0]}")/../rust/codec" || exit 2
fuzz_dir=$PWD/fuzz
targets=(frame_parser hpack_decoder server_conn client_conn)
export PATH="$HOME/.cargo/bin:$PATH"

finish() { # passed failed
  echo "fuzz: $1 passed, $2 failed"
  [[ $2 -eq 0 ]]
  exit
}

# cargo-fuzz, pinned.
if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION"
  if ! cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked < /dev/null; then
    echo "fuzz: could not install cargo-fuzz" >&2
    finish 0 ${#targets[@]}
  fi
fi

# Toolchain: nightly when rustup has one, else stable allowed to take nightly flags.
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
  echo "fuzz: toolchain nightly ($(cargo +nightly --version 2>/dev/null))"
else
  export RUSTC_BOOTSTRAP=1
  echo "fuzz: toolchain stable with RUSTC_BOOTSTRAP=1 ($(cargo --version 2>/dev/null))"
fi

# -a: debug assertions (overflow checks) on, the same flags for build and run.
fuzz_flags=(--debug-assertions)
build_start=$(date +%s)
if ! cargo "${toolchain[@]}" fuzz build "${fuzz_flags[@]}" < /dev/null; then
  echo "fuzz: build failed" >&2
  finish 0 ${#targets[@]}
fi
echo "fuzz: built ${#targets[@]} targets in $(( $(date +%s) - build_start ))s"

corpus_root=${FUZZ_CORPUS_DIR:-$fuzz_dir/corpus}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0
failed=0
for t in "${targets[@]}"; do
  corpus=$corpus_root/$t
  mkdir -p "$corpus"
  cp -n "$fuzz_dir/seeds/$t"/seed-* "$corpus"/ 2>/dev/null
  log=$logs/$t.log
  status=0
  regressions=("$fuzz_dir/regressions/$t"/*)
  if [[ -e ${regressions[0]} ]]; then
    # Known reproducers: each must now run clean.
    cargo "${toolchain[@]}" fuzz run "${fuzz_flags[@]}" "$t" "${regressions[@]}" -- \
      -rss_limit_mb=2048 -timeout=10 < /dev/null > "$log" 2>&1 || status=$?
  fi
  if [[ $status -eq 0 ]]; then
    cargo "${toolchain[@]}" fuzz run "${fuzz_flags[@]}" "$t" "$corpus" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      < /dev/null >> "$log" 2>&1 || status=$?
  fi
  # libFuzzer's own count: "stat::number_executed_units: N", "Done N runs", or "#N DONE".
  execs=$(sed -n 's/^stat::number_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  [[ -n $execs ]] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  [[ -n $execs ]] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  execs=${execs:-0}
  if [[ $status -eq 0 ]] && grep -q 'Done [0-9]* runs\|DONE' "$log"; then
    echo "fuzz $t: $execs execs, 0 crashes"
    passed=$((passed + 1))
  else
    kind=$(grep -oE 'libFuzzer: (deadly signal|timeout|out-of-memory[^)]*\)?|fuzz target exited)|LeakSanitizer|AddressSanitizer: [a-z-]+' "$log" | head -1)
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    panic=$(grep -m1 -E "panicked at|thread '.*' panicked" -A1 "$log" | tr '\n' ' ')
    echo "fuzz $t: $execs execs, 1 crashes (${kind:-exit status $status}${artifact:+, $artifact})"
    [[ -n $panic ]] && echo "  $panic"
    tail -n 40 "$log" | sed 's/^/  | /' >&2
    failed=$((failed + 1))
  fi
done
finish "$passed" "$failed"
