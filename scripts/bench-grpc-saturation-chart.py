#!/usr/bin/env python3
"""The saturating benchmark's chart: req/s at saturation, server CPU per call, and p99 at a fixed rate, per
server, scenario and shape, from the driver's CSV.

usage: bench-grpc-saturation-chart.py saturation.csv OUT.png   (run by the bench-grpc driver in its pinned venv)
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERVERS = ["h2native", "pekko-http", "grpc-java"]
COLORS = {"h2native": "#d95f02", "pekko-http": "#1b9e77", "grpc-java": "#7570b3"}
PANELS = (
    ("rps", "requests per second at saturation, server on one core (higher is better)", "%.0f"),
    ("cpu_us_per_call", "server CPU per call, µs (lower is better)", "%.2f"),
    ("p99_ms", "p99 latency at half pekko-http's saturated rate, ms (lower is better)", "%.2f"),
)


def main(csv_path, png_path):
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    groups = []
    for r in rows:
        g = (r["scenario"], r["shape"])
        if g not in groups:
            groups.append(g)
    servers = [s for s in SERVERS if any(r["server"] == s for r in rows)]
    servers += sorted({r["server"] for r in rows} - set(servers))

    def value(group, server, column):
        for r in rows:
            if (r["scenario"], r["shape"]) == group and r["server"] == server:
                return float(r[column]) if r[column] else None
        return None

    fig, axes = plt.subplots(len(PANELS), 1, figsize=(max(8, 2.6 * len(groups)), 11))
    width = 0.8 / max(1, len(servers))
    for ax, (column, title, fmt) in zip(axes, PANELS):
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
            bars = ax.bar(xs, ys, width, label=server if ys else f"{server} (no figures)", color=COLORS.get(server))
            ax.bar_label(bars, fmt=fmt, fontsize=7)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([f"{s}\n{shape}" for s, shape in groups], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("bench-grpc saturate: h2native-load against the same Greeter (medians)", fontsize=11)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
