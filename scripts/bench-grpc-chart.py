#!/usr/bin/env python3
"""The gRPC benchmark's chart: req/s and p99 per server, scenario and load, from the driver's CSV.

usage: bench-grpc-chart.py RESULTS.csv OUT.png   (run by the bench-grpc driver in its pinned venv)
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERVERS = ["h2native", "pekko-http", "grpc-java"]
COLORS = {"h2native": "#d95f02", "pekko-http": "#1b9e77", "grpc-java": "#7570b3"}


def main(csv_path, png_path):
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    groups = []
    for r in rows:
        g = (r["scenario"], r["concurrency"], r["connections"])
        if g not in groups:
            groups.append(g)
    servers = [s for s in SERVERS if any(r["server"] == s for r in rows)]
    servers += sorted({r["server"] for r in rows} - set(servers))

    def value(group, server, column):
        for r in rows:
            if (r["scenario"], r["concurrency"], r["connections"]) == group and r["server"] == server:
                return float(r[column]) if r[column] else None
        return None

    fig, axes = plt.subplots(2, 1, figsize=(max(8, 2.4 * len(groups)), 8))
    width = 0.8 / max(1, len(servers))
    for ax, column, title in ((axes[0], "rps", "requests per second (higher is better)"),
                              (axes[1], "p99_ms", "p99 latency, ms (lower is better)")):
        for i, server in enumerate(servers):
            xs, ys = [], []
            for gi, group in enumerate(groups):
                v = value(group, server, column)
                x = gi - 0.4 + width * (i + 0.5)
                if v is None:
                    ax.text(x, 0, "n/a", ha="center", va="bottom", fontsize=7, rotation=90)
                else:
                    xs.append(x)
                    ys.append(v)
            label = server if ys else f"{server} (no figures)"
            bars = ax.bar(xs, ys, width, label=label, color=COLORS.get(server))
            ax.bar_label(bars, fmt="%.0f" if column == "rps" else "%.1f", fontsize=7)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([f"{s}\nc={c}, conns={n}" for s, c, n in groups], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("bench-grpc: ghz against the same Greeter (medians)", fontsize=11)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
