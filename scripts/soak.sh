#!/usr/bin/env bash
# The soak: the h2native bench server (the pekko-grpc Greeter, own JVM, CPU 0) under load (CPU 1) for
# MINUTES, while sampling RSS, open fds, heap after GC, live native connections, native memory and the
# server's CPU every 5 s.
#
#   scripts/soak.sh [MINUTES]              (default 10) under ghz: connection churn (1 to 100
#       connections), cancellations (5 ms deadlines), clients killed mid-run. ghz on one core is far
#       from saturating the server. Writes bench-grpc/results/soak.{csv,md,png}.
#   scripts/soak.sh [MINUTES] --saturate   under h2native-load (bench-grpc/load), which saturates the
#       server's core: saturating runs in every header shape (identical, grpc-timeout, traceparent),
#       connection churn (200 calls per connection), cancellations (10% of calls reset), clients
#       killed mid-run, slow readers beside a saturating load; every completed call's payload checked.
#       Writes bench-grpc/results/soak-saturate.{csv,md,png}.
#
# Prints a verdict: flat after warm-up, zero errors in the runs that check, no native connection left.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
minutes=${1:-10}
mode=${2:-}
cd "$root"
python=$(bash scripts/bench-grpc-tools.sh python | tail -1)
mapfile -t server < <(./sbt "bench-grpc/run server-command --backend h2native --port 0" 2>/dev/null |
  grep '^taskset ' | tail -1 | tr ' ' '\n')
[[ ${#server[@]} -gt 0 ]] || { echo "soak: could not get the server command" >&2; exit 1; }
if [[ $mode == --saturate ]]; then
  cargo build --release --locked -q -p h2native-load
  payloads=$root/bench-grpc/results/payloads
  ./sbt "bench-grpc/run payload --scenario complex_proto --out $payloads" > /dev/null
  exec "$python" scripts/soak.py --load target/release/h2native-load \
    --request "$payloads/complex_proto.request.bin" --response "$payloads/complex_proto.response.bin" \
    --minutes "$minutes" --out bench-grpc/results -- "${server[@]}"
fi
ghz=$(bash scripts/bench-grpc-tools.sh ghz | tail -1)
exec "$python" scripts/soak.py --ghz "$ghz" --minutes "$minutes" --out bench-grpc/results -- "${server[@]}"
