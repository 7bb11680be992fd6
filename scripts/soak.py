"""The soak's driver (run by scripts/soak.sh): one server process, load phases with churn, samples every 5 s.

Two loads: ghz (what users run; on one core it is the ceiling, far below the server's), or with --load
h2native-load, which saturates the server's core: phases of saturating load in every header shape,
connection churn, cancellations, killed clients and slow readers beside a saturating load, every
completed call's payload checked."""
import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--ghz")
ap.add_argument("--load", help="h2native-load binary: the saturating mode")
ap.add_argument("--request", help="the request frame file (with --load)")
ap.add_argument("--response", help="the expected response frame file (with --load)")
ap.add_argument("--minutes", type=float, default=10)
ap.add_argument("--out", required=True)
ap.add_argument("server", nargs=argparse.REMAINDER)
args = ap.parse_args()
server_cmd = args.server[1:] if args.server[:1] == ["--"] else args.server

env = dict(os.environ, H2NATIVE_BENCH_STATS_EVERY_MS="5000")
server = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
port = None
stats = {}
started = threading.Event()


def read_server():
    global port
    for line in server.stdout:
        m = re.search(r"listening on .*:(\d+)", line)
        if m:
            port = int(m.group(1))
            started.set()
        m = re.match(r"stats: (.*)", line)
        if m:
            stats.update({k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())})


threading.Thread(target=read_server, daemon=True).start()
if not started.wait(120):
    sys.exit("soak: the server did not start")

t0 = time.time()
samples = []  # (t, rss_mb, fds, heap_mb, native_connections, native_memory_mb, phase, server_cpu_pct)
phase = ["start"]
stop = threading.Event()


def cpu_seconds():
    f = open(f"/proc/{server.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def sample():
    last_t, last_cpu = time.time(), cpu_seconds()
    while not stop.wait(5):
        now, cpu = time.time(), cpu_seconds()
        cpu_pct = round(100 * (cpu - last_cpu) / (now - last_t), 1)
        last_t, last_cpu = now, cpu
        status = open(f"/proc/{server.pid}/status").read()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        fds = len(os.listdir(f"/proc/{server.pid}/fd"))
        samples.append((round(time.time() - t0), rss, fds, stats.get("heap_after_gc_mb", float("nan")),
                        stats.get("native_connections", float("nan")), stats.get("native_memory_mb", float("nan")),
                        phase[0], cpu_pct))


threading.Thread(target=sample, daemon=True).start()
here = os.path.dirname(os.path.abspath(__file__))
bench = os.path.join(here, "..", "bench-grpc")


def ghz(connections, concurrency, seconds, timeout=None, kill_after=None):
    cmd = ["taskset", "-c", "1", args.ghz, "--insecure", "--cpus=1",
           f"--proto={bench}/src/main/protobuf/complex_proto.proto", "--call=bench.complex.Greeter.SayHello",
           f"--data-file={bench}/payloads/complex_proto.json", f"--connections={connections}",
           f"--concurrency={concurrency}", f"--duration={seconds}s", "--duration-stop=ignore", "--format=json"]
    if timeout:
        cmd.append(f"--timeout={timeout}")
    cmd.append(f"127.0.0.1:{port}")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if kill_after:
        time.sleep(kill_after)
        p.send_signal(signal.SIGKILL)  # every connection dropped mid-stream
        p.wait()
        return None
    out, _ = p.communicate()
    try:
        report = json.loads(out)
    except ValueError:
        return 0, 1  # no report: count the run as failed
    return report.get("count", 0), sum((report.get("errorDistribution") or {}).values())


def load(seconds, connections=50, streams=20, shape="identical", extra=(), kill_after=None, cpu="1"):
    """One h2native-load run; (calls completed and checked, errors) or None when killed."""
    cmd = ["taskset", "-c", cpu, args.load, "--target", f"127.0.0.1:{port}", "--path", "/bench.complex.Greeter/SayHello",
           "--request", args.request, "--response", args.response, "--duration", str(seconds),
           "--connections", str(connections), "--streams", str(streams), "--shape", shape, *extra]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if kill_after:
        time.sleep(kill_after)
        p.send_signal(signal.SIGKILL)  # every connection dropped mid-stream
        p.wait()
        return None
    out, err = p.communicate()
    try:
        report = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"h2native-load gave no report: {err.strip()[:300]}", flush=True)
        return 0, 1
    return report["ok"], sum(report["errors"].values())


rng = random.Random(42)
runs = []  # (phase, connections, count, errors)
deadline = t0 + args.minutes * 60
while args.load and time.time() < deadline - 25:
    kind = rng.choice(["saturate", "saturate", "churn", "cancel", "kill", "slow"])
    shape = rng.choice(["identical", "grpc-timeout", "traceparent"])
    phase[0] = kind
    if kind == "saturate":
        runs.append((f"saturate {shape}", 50, *load(15, shape=shape)))
    elif kind == "churn":
        # connections opened and closed all the time: 200 calls each
        runs.append((kind, 20, *load(10, connections=20, shape=shape, extra=["--calls-per-connection", "200"])))
    elif kind == "cancel":
        # 10% of calls reset right after they are sent; 1,000 calls per connection keeps each connection's resets
        # within max-resets-received-per-window
        count, errors = load(10, shape=shape, extra=["--cancel-percent", "10", "--calls-per-connection", "1000"])
        runs.append((kind, 50, count, errors))
    elif kind == "kill":
        load(20, shape=shape, kill_after=5)
        runs.append((kind, 50, None, None))
    else:
        # 10 connections reading 20 kB/s each, beside a saturating load: their responses back up in the server
        slow = subprocess.Popen(["taskset", "-c", "1", args.load, "--target", f"127.0.0.1:{port}",
                                 "--path", "/bench.complex.Greeter/SayHello", "--request", args.request,
                                 "--response", args.response, "--duration", "15", "--connections", "10",
                                 "--streams", "50", "--read-rate", "20000"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs.append((kind, 50, *load(15, shape=shape)))
        slow.kill()
        slow.wait()
    print(f"[soak {int(time.time() - t0)}s] {runs[-1][0]} conns={runs[-1][1]} -> {runs[-1][2:]}", flush=True)
while not args.load and time.time() < deadline - 25:
    kind = rng.choice(["normal", "normal", "cancel", "kill"])
    conns = rng.choice([1, 5, 20, 50, 100])
    conc = min(conns * 10, 500)
    phase[0] = kind
    if kind == "normal":
        count, errors = ghz(conns, conc, 15)
        runs.append((kind, conns, count, errors))
    elif kind == "cancel":
        count, errors = ghz(conns, conc, 10, timeout="5ms")
        runs.append((kind, conns, count, errors))
    else:
        ghz(conns, conc, 20, kill_after=5)
        runs.append((kind, conns, None, None))
    print(f"[soak {int(time.time() - t0)}s] {kind} conns={conns} -> {runs[-1][2:]}", flush=True)
phase[0] = "final"
final = load(10) if args.load else ghz(10, 100, 10)
runs.append(("final", 10, *final))
phase[0] = "idle"
time.sleep(12)
stop.set()
server.terminate()
server.wait(30)

os.makedirs(args.out, exist_ok=True)
out_name = "soak-saturate" if args.load else "soak"
with open(os.path.join(args.out, f"{out_name}.csv"), "w") as f:
    f.write("t_s,rss_mb,fds,heap_after_gc_mb,native_connections,native_memory_mb,phase,server_cpu_pct\n")
    for s in samples:
        f.write(",".join(str(x) for x in s) + "\n")


def window(col, lo, hi):
    n = len(samples)
    vals = [s[col] for s in samples[int(n * lo):max(int(n * hi), int(n * lo) + 1)]]
    return statistics.median(vals)


cols = {"RSS MiB": 1, "open fds": 2, "heap after GC MiB": 3, "native memory MiB": 5}
rows, flat = [], True
for name, c in cols.items():
    early, late = window(c, 0.2, 0.4), window(c, 0.8, 1.0)
    growth = late - early
    ok = growth <= max(0.15 * early, 8 if "MiB" in name else 20)
    flat &= ok
    rows.append(f"| {name} | {early:.1f} | {late:.1f} | {growth:+.1f} | {'flat' if ok else 'GROWS'} |")
idle_conns = samples[-1][4]
if args.load:
    # every h2native-load run checks its calls' payloads; cancellations are not errors, killed runs report nothing
    clean = [r for r in runs if r[2] is not None]
else:
    clean = [r for r in runs if r[0] in ("normal", "final")]
lost = sum(r[3] for r in clean)
calls = sum(r[2] for r in clean)
verdict = flat and lost == 0 and idle_conns == 0 and calls > 0
busy = [s[7] for s in samples if s[6] not in ("start", "idle")]
kinds = {}
for r in runs:
    kinds[r[0].split()[0]] = kinds.get(r[0].split()[0], 0) + 1
if args.load:
    title = (f"# Saturation soak: {args.minutes:g} min, {len(runs)} h2native-load runs "
             f"({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))})")
    checked = (f"- calls completed, every payload checked (all runs but the killed ones): {calls}, errors: {lost}; "
               f"server CPU while loaded: median {statistics.median(busy) if busy else float('nan'):.0f}%")
else:
    title = (f"# Soak: {args.minutes:g} min, {len(runs)} ghz runs ({sum(r[0] == 'kill' for r in runs)} killed mid-run, "
             f"{sum(r[0] == 'cancel' for r in runs)} with 5 ms deadlines)")
    checked = f"- calls in runs that neither cancel nor get killed: {calls}, errors: {lost}"
md = [title, "", "| metric | median 20-40% | median 80-100% | growth | |", "|---|---:|---:|---:|---|", *rows, "",
      checked,
      f"- live native connections after the load, idle: {idle_conns:g}",
      f"- verdict: {'PASS' if verdict else 'FAIL'}"]
open(os.path.join(args.out, f"{out_name}.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [("RSS MiB", 1), ("heap after GC MiB", 3), ("native memory MiB", 5), ("native connections", 4),
              ("open fds", 2), ("server CPU %", 7)]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 11), sharex=True)
    t = [s[0] for s in samples]
    for ax, (label, c) in zip(axes, panels):
        ax.plot(t, [s[c] for s in samples])
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("seconds")
    fig.suptitle("h2native soak under " + ("h2native-load at saturation: churn, cancellations, killed clients, slow readers"
                                           if args.load else "ghz with connection churn, cancellations and killed clients"))
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, f"{out_name}.png"), dpi=90)
except ImportError as e:
    print(f"no chart: {e}")
sys.exit(0 if verdict else 1)
