#!/usr/bin/env bash
# Where a bench-grpc server spends its CPU under ghz load: starts one backend pinned to CPU 0 with
# Java Flight Recorder on, loads it with ghz on CPU 1 (grpc_bench's settings), then prints the
# hottest frames (top of stack, Java and native methods) and the hottest packages.
#
#   scripts/bench-grpc-profile.sh [h2native|pekko-http|grpc-java] [complex_proto|string_100B] [seconds]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
backend=${1:-h2native}
scenario=${2:-complex_proto}
seconds=${3:-20}
out=${TMPDIR:-/tmp}/h2native-profile-$backend-$$
mkdir -p "$out"

ghz=$(bash "$root/scripts/bench-grpc-tools.sh" ghz | tail -1)
cd "$root"
# the exact server command line the driver uses, with JFR added after `java`
mapfile -t cmd < <(./sbt "bench-grpc/run server-command --backend $backend --port 0" 2>/dev/null |
  grep '^taskset ' | tail -1 | tr ' ' '\n')
[[ ${#cmd[@]} -gt 0 ]] || { echo "could not get the server command" >&2; exit 1; }
jfr="$out/server.jfr"
for i in "${!cmd[@]}"; do
  if [[ ${cmd[$i]} == */java ]]; then
    cmd=("${cmd[@]:0:$((i + 1))}" "-XX:StartFlightRecording=filename=$jfr,settings=profile,dumponexit=true"
      "${cmd[@]:$((i + 1))}")
    break
  fi
done
coproc SERVER { "${cmd[@]}" 2>&1; }
port=""
while read -r line <&"${SERVER[0]}"; do
  echo "[server] $line" >&2
  if [[ $line =~ listening\ on\ .*:([0-9]+) ]]; then port=${BASH_REMATCH[1]}; break; fi
done
[[ -n $port ]] || { echo "server did not start" >&2; exit 1; }

case $scenario in
  complex_proto) proto=complex_proto.proto; call=bench.complex.Greeter.SayHello ;;
  string_100B) proto=string_100b.proto; call=bench.string100b.Greeter.SayHello ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
esac
taskset -c 1 "$ghz" --insecure --proto="bench-grpc/src/main/protobuf/$proto" --call="$call" \
  --data-file="bench-grpc/payloads/$scenario.json" --concurrency=1000 --connections=50 --cpus=1 \
  --duration="${seconds}s" --duration-stop=ignore "127.0.0.1:$port" | grep -E "Requests/sec|Count|99 % in|Error" >&2
# the server exits when its stdin closes (and JFR writes the recording on exit)
server_pid=$SERVER_PID
exec {SERVER[1]}>&-
wait "$server_pid" 2>/dev/null || true

jfr_tool="$(dirname "$(readlink -f "$(command -v java)")")/jfr"
"$jfr_tool" print --events jdk.ExecutionSample,jdk.NativeMethodSample "$jfr" > "$out/samples.txt"
python3 - "$out/samples.txt" <<'PY'
import collections, re, sys
text = open(sys.argv[1]).read()
tops, packages, total = collections.Counter(), collections.Counter(), 0
for event in text.split("jdk.")[1:]:
    frames = re.findall(r"^\s+([\w.$<>/]+)\(", event, re.M)
    if not frames:
        continue
    total += 1
    tops[frames[0]] += 1
    packages[".".join(frames[0].split(".")[:3])] += 1
print(f"{total} samples")
print("hottest frames (top of stack):")
for f, n in tops.most_common(25):
    print(f"  {100 * n / total:5.1f}%  {f}")
print("by package (top of stack):")
for p, n in packages.most_common(15):
    print(f"  {100 * n / total:5.1f}%  {p}")
PY
echo "recording: $jfr" >&2
