"""The soak's driver (run by scripts/soak.sh): one server process, ghz phases with churn, samples every 5 s."""
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
ap.add_argument("--ghz", required=True)
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
samples = []  # (t, rss_mb, fds, heap_mb, native_connections, native_memory_mb, phase)
phase = ["start"]
stop = threading.Event()


def sample():
    while not stop.wait(5):
        status = open(f"/proc/{server.pid}/status").read()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        fds = len(os.listdir(f"/proc/{server.pid}/fd"))
        samples.append((round(time.time() - t0), rss, fds, stats.get("heap_after_gc_mb", float("nan")),
                        stats.get("native_connections", float("nan")), stats.get("native_memory_mb", float("nan")),
                        phase[0]))


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


rng = random.Random(42)
runs = []  # (phase, connections, count, errors)
deadline = t0 + args.minutes * 60
while time.time() < deadline - 25:
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
final = ghz(10, 100, 10)
runs.append(("final", 10, *final))
phase[0] = "idle"
time.sleep(12)
stop.set()
server.terminate()
server.wait(30)

os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "soak.csv"), "w") as f:
    f.write("t_s,rss_mb,fds,heap_after_gc_mb,native_connections,native_memory_mb,phase\n")
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
clean = [r for r in runs if r[0] in ("normal", "final")]
lost = sum(r[3] for r in clean)
calls = sum(r[2] for r in clean)
verdict = flat and lost == 0 and idle_conns == 0 and calls > 0
md = [f"# Soak: {args.minutes:g} min, {len(runs)} ghz runs ({sum(r[0] == 'kill' for r in runs)} killed mid-run, "
      f"{sum(r[0] == 'cancel' for r in runs)} with 5 ms deadlines)", "",
      "| metric | median 20-40% | median 80-100% | growth | |", "|---|---:|---:|---:|---|", *rows, "",
      f"- calls in runs that neither cancel nor get killed: {calls}, errors: {lost}",
      f"- live native connections after the load, idle: {idle_conns:g}",
      f"- verdict: {'PASS' if verdict else 'FAIL'}"]
open(os.path.join(args.out, "soak.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(4, 1, figsize=(9, 9), sharex=True)
    t = [s[0] for s in samples]
    for ax, (name, c) in zip(axes, [("RSS MiB", 1), ("heap after GC MiB", 3), ("native connections", 4),
                                    ("open fds", 2)]):
        ax.plot(t, [s[c] for s in samples])
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("seconds")
    fig.suptitle("h2native soak under ghz with connection churn, cancellations and killed clients")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "soak.png"), dpi=90)
except ImportError as e:
    print(f"no chart: {e}")
sys.exit(0 if verdict else 1)
