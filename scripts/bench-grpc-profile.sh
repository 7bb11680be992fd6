#!/usr/bin/env bash
# Where a bench-grpc server spends its CPU under load: starts one backend pinned to CPU 0 with
# async-profiler (CPU samples, kernel and native frames included; fetched from Maven Central by
# bench-grpc-tools.sh), loads it on CPU 1 with ghz, or with h2native-load at saturation when SHAPE
# is set (identical, grpc-timeout or traceparent: the header-block shape), then prints the CPU by
# thread, the hottest frames (self time) and the share of the main parts of a request (inclusive).
#
#   [WARMUP=40] [SHAPE=grpc-timeout] scripts/bench-grpc-profile.sh [h2native|pekko-http|grpc-java] \
#     [complex_proto|string_100B] [seconds] [concurrency] [connections]
#
# Defaults: complex_proto, 20 s, grpc_bench's 1000 concurrent calls on 50 connections (with SHAPE:
# 50 connections x 20 streams, the saturating benchmark's load; concurrency and connections are ignored).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
backend=${1:-h2native}
scenario=${2:-complex_proto}
seconds=${3:-20}
concurrency=${4:-1000}
connections=${5:-50}
out=${TMPDIR:-/tmp}/h2native-profile-$backend-$$
mkdir -p "$out"

shape=${SHAPE:-}
if [[ -z $shape ]]; then ghz=$(bash "$root/scripts/bench-grpc-tools.sh" ghz | tail -1); fi
ap=$(bash "$root/scripts/bench-grpc-tools.sh" async-profiler | tail -1)
cd "$root"
# the exact server command line the driver uses, with the profiler added after `java`
mapfile -t cmd < <(./sbt "bench-grpc/run server-command --backend $backend --port 0" 2>/dev/null |
  grep '^taskset ' | tail -1 | tr ' ' '\n')
[[ ${#cmd[@]} -gt 0 ]] || { echo "could not get the server command" >&2; exit 1; }
stacks="$out/stacks.collapsed"
# perf events when the kernel allows them, else the timer (containers often forbid perf_event_open)
event=cpu
[[ $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 3) -le 2 ]] || event=itimer
# The agent is loaded (idle) at launch, with DebugNonSafepoints from the start so that inlined frames
# are attributed right, and only started after the warm-up.
for i in "${!cmd[@]}"; do
  if [[ ${cmd[$i]} == */java ]]; then
    cmd=("${cmd[@]:0:$((i + 1))}" "-agentpath:$ap" -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints
      "${cmd[@]:$((i + 1))}")
    break
  fi
done
coproc SERVER { H2NATIVE_BENCH_EXIT_ON_STDIN_EOF=1 "${cmd[@]}" 2>&1; }
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
if [[ -n $shape ]]; then
  ./sbt "bench-grpc/run payload --scenario $scenario --out $out" >/dev/null 2>&1
  cargo build --release --locked -q -p h2native-load
fi
load() { # seconds: ghz or h2native-load on CPU 1 against the server
  if [[ -n $shape ]]; then
    taskset -c 1 target/release/h2native-load --target "127.0.0.1:$port" --path "/${call%.*}/${call##*.}" \
      --request "$out/$scenario.request.bin" --response "$out/$scenario.response.bin" --duration "$1" \
      --connections 50 --streams 20 --shape "$shape" | tail -1 >&2
    return
  fi
  taskset -c 1 "$ghz" --insecure --proto="bench-grpc/src/main/protobuf/$proto" --call="$call" \
    --data-file="bench-grpc/payloads/$scenario.json" --concurrency="$concurrency" --connections="$connections" \
    --cpus=1 --duration="${1}s" --duration-stop=ignore "127.0.0.1:$port" | grep -E "Requests/sec|Count|99 % in|Error" >&2
}
warmup=${WARMUP:-40}
echo "warm-up: $warmup s (JIT compilation is not what we want to see; WARMUP=seconds to change)" >&2
load "$warmup"
# the profiler samples the warm server for the measured window only
pid=$(pgrep -n -f -- "java.*--backend $backend")
echo "profiling $seconds s (pid $pid, event $event)" >&2
asprof="$(dirname "$ap")/../bin/asprof"
"$asprof" -e "$event" -i 1ms -t -d "$((seconds + 2))" -o collapsed -f "$stacks" "$pid" >/dev/null &
profiler=$!
sleep 1
load "$seconds"
wait "$profiler"
# the server exits when its stdin closes
exec {SERVER[1]}>&-
wait "$SERVER_PID" 2>/dev/null || true

python3 - "$stacks" <<'PY'
import collections, re, sys
threads, tops, parts, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
# inclusive shares: a sample counts once per part whose pattern is on its stack
PARTS = [
    ("HTTP/2 engine in Rust (JNI feed/apply)", r"h2native(_codec)?::"),
    ("h2native JVM stage (impl/server: Http2ServerStage and its parts)", r"h2native/impl/server/"),
    ("h2native facade (NativeConnection, EventReader, CommandWriter)", r"h2native/impl/(Http2Connection|NativeConnection|EventReader|CommandWriter|HeaderListMemo)"),
    ("pekko-http HTTP/2 (Http2 stages, HPACK)", r"org/apache/pekko/http/impl/engine/http2"),
    ("pekko-grpc handler + protobuf", r"(pekko/grpc|com/google/protobuf|scalapb)"),
    ("grpc-java / Netty", r"(io/grpc|io/netty)"),
    ("Pekko Streams interpreter", r"org/apache/pekko/stream/impl/fusing/GraphInterpreter"),
    ("socket reads/writes (kernel)", r"(sys_read|sys_write|sys_sendto|sys_recvfrom|tcp_sendmsg|tcp_recvmsg|writev|readv)"),
    ("epoll / scheduling (kernel)", r"(epoll_wait|futex|schedule|do_syscall_64.*(epoll|futex))"),
]
# exclusive shares: each sample counts once, in the first part whose test it passes (README "Where a request's CPU goes")
EXCLUSIVE = [
    ("JIT compiler", lambda t, s, leaf: "CompilerThre" in t),
    ("GC", lambda t, s, leaf: "GC Thread" in t),
    ("thread wake-ups, waits, context switches (kernel)",
     lambda t, s, leaf: re.search(r"(finish_task_switch|futex|epoll_wait|schedule|_raw_spin_unlock|irqentry_exit|try_to_wake_up|ep_poll)", leaf)),
    ("socket reads and writes (kernel)",
     lambda t, s, leaf: re.search(r"(sys_read|sys_write|sys_sendto|sys_recvfrom|tcp_sendmsg|tcp_recvmsg|writev|readv|__GI_write|__GI_read|ksys_)", s)),
    ("pekko-grpc handler + protobuf", lambda t, s, leaf: re.search(r"(pekko/grpc|com/google/protobuf|scalapb|h2native/bench)", s)),
    ("HTTP/2 engine in Rust (incl. JNI entry)", lambda t, s, leaf: re.search(r"h2native(_codec)?::", s)),
    ("h2native facade", lambda t, s, leaf: re.search(r"h2native/impl/(NativeConnection|EventReader|CommandWriter|HeaderListMemo|Http2Connection|HeaderField)", s)),
    ("pekko-http HTTP/2 layer", lambda t, s, leaf: "org/apache/pekko/http/impl/engine/http2" in s),
    ("h2native stage", lambda t, s, leaf: "h2native/impl/server/" in s),
    ("Pekko IO TCP actors and selector", lambda t, s, leaf: "internal-dispatcher" in t or "pinned-dispatcher" in t or "org/apache/pekko/io/" in s),
    ("the rest (pekko-http model, Pekko Streams, actors)", lambda t, s, leaf: True),
]
exclusive = collections.Counter()
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n)
    frames = stack.split(";")
    total += n
    thread = re.sub(r"(\[|\]|tid=\d+|[-#]?\d+)", "", frames[0]).strip()
    threads[thread] += n
    tops[frames[-1]] += n
    for name, pat in PARTS:
        if re.search(pat, stack):
            parts[name] += n
    for name, test in EXCLUSIVE:
        if test(frames[0], stack, frames[-1]):
            exclusive[name] += n
            break
jit = sum(n for t, n in threads.items() if "CompilerThre" in t)
print(f"{total} samples of 1 ms CPU, {100 * jit / max(total, 1):.1f}% of them in the JIT compiler threads")
print("CPU by thread (digits dropped):")
for t, n in threads.most_common(12):
    print(f"  {100 * n / total:5.1f}%  {t}")
print("parts of the work (inclusive; a sample may count in several):")
for name, _ in PARTS:
    print(f"  {100 * parts[name] / total:5.1f}%  {name}")
print("where the CPU goes (exclusive, each sample in the first part that matches, in this order):")
for name, _ in EXCLUSIVE:
    print(f"  {100 * exclusive[name] / total:5.1f}%  {name}")
print("hottest frames (self):")
for f, n in tops.most_common(30):
    print(f"  {100 * n / total:5.1f}%  {f[:150]}")
PY
echo "stacks: $stacks (collapsed format: flamegraph.pl and speedscope read it)" >&2
