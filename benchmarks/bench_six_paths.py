"""Benchmark the unit-3 path-fit advisor: how long one slider move takes to update the ranking.

Run from the repository root:  .venv/bin/python benchmarks/bench_six_paths.py [--n 500]

Measures (a) the pure model, ``six_paths.advise(profile)``, and (b) the widget round trip: set a
control's ``.value`` headless, which recomputes the advice and re-renders the ranking HTML, and
(c) a preset switch (fifteen controls, one recomputation). Reports median, p95 and max in ms;
the target for (b) is a p95 under 20 ms (one animation frame or so).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casekit import six_paths as sp  # noqa: E402
from casekit.six_paths_widgets import PathFitAdvisor  # noqa: E402


def _stats(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):6.3f} ms   p95 {p95:6.3f} ms   max {ms[-1]:6.3f} ms   (n={len(ms)})"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    table = sp.factors()

    def random_profile():
        return {r.factor: (rng.random() < 0.5) if r.kind == "bool" else rng.randint(int(r.min), int(r.max))
                for r in table.itertuples()}

    sp.advise(random_profile())  # warm the data caches
    model = []
    for _ in range(args.n):
        p = random_profile()
        t0 = time.perf_counter()
        sp.advise(p)
        model.append((time.perf_counter() - t0) * 1000)

    w = PathFitAdvisor(preset="haier_tv")
    sliders = [k for k, r in zip(table["factor"], table["kind"]) if r != "bool"]
    widget = []
    for _ in range(args.n):
        name = rng.choice(sliders)
        c = w.controls[name]
        new = rng.randint(c.min, c.max)
        if new == c.value:
            new = c.min if c.value != c.min else c.max
        t0 = time.perf_counter()
        c.value = new
        widget.append((time.perf_counter() - t0) * 1000)

    presets = []
    names = sp.preset_names()
    for i in range(max(50, args.n // 10)):
        t0 = time.perf_counter()
        w.preset_picker.value = names[i % len(names)]
        presets.append((time.perf_counter() - t0) * 1000)

    print("advise(profile), model only      :", _stats(model))
    print("slider move -> ranking + HTML    :", _stats(widget))
    print("preset switch (15 controls)      :", _stats(presets))
    p95 = sorted(widget)[int(round(0.95 * (len(widget) - 1)))]
    print(f"target: slider p95 < 20 ms -> {'met' if p95 < 20 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
