#!/usr/bin/env bash
# The soak: the h2native bench server (the pekko-grpc Greeter, own JVM, CPU 0) under ghz (CPU 1) for
# MINUTES with connection churn (1 to 100 connections), cancellations (calls given a 5 ms deadline)
# and clients killed mid-run, while sampling RSS, open fds, heap after GC, live native connections
# and native memory every 5 s. Writes bench-grpc/results/soak.{csv,md,png} and prints a verdict:
# flat after warm-up, and zero errors in the runs that neither cancel nor get killed.
#
#   scripts/soak.sh [MINUTES]      (default 10)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
minutes=${1:-10}
cd "$root"
ghz=$(bash scripts/bench-grpc-tools.sh ghz | tail -1)
python=$(bash scripts/bench-grpc-tools.sh python | tail -1)
mapfile -t server < <(./sbt "bench-grpc/run server-command --backend h2native --port 0" 2>/dev/null |
  grep '^taskset ' | tail -1 | tr ' ' '\n')
[[ ${#server[@]} -gt 0 ]] || { echo "soak: could not get the server command" >&2; exit 1; }
exec "$python" scripts/soak.py --ghz "$ghz" --minutes "$minutes" --out bench-grpc/results -- "${server[@]}"
