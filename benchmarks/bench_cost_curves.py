"""Benchmark: cost-curve explorer update latency (model + artist update + frame re-encode).

Run from the repository root:  .venv/bin/python benchmarks/bench_cost_curves.py [--n 200]
Target (issue 5): p95 under 50 ms per slider move. Prints model-only and full-update percentiles.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import matplotlib

matplotlib.use("Agg")
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from casekit.cost_curves import CostScenario  # noqa: E402
from casekit.cost_curves_widgets import CostCurveExplorer  # noqa: E402


def pct(ms: list[float]) -> str:
    a = np.asarray(ms)
    return f"p50 {np.percentile(a, 50):6.1f} ms  p95 {np.percentile(a, 95):6.1f} ms  max {a.max():6.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200, help="slider moves per measurement")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    saves = rng.uniform(0.05, 0.9, args.n)
    fixed = rng.uniform(0, 1500, args.n)

    model = []
    for s, f in zip(saves, fixed):
        t0 = time.perf_counter()
        sc = CostScenario(variable_cost_saving=float(s), innovation_fixed_cost=float(f))
        sc.curves(); sc.key_points(); sc.flags()
        model.append((time.perf_counter() - t0) * 1e3)

    ex = CostCurveExplorer()
    for _ in range(3):  # warm-up: font cache, first draw
        ex.controls["variable_cost_saving"].value = 0.3
        ex.controls["variable_cost_saving"].value = 0.4
    full, cpu = [], []
    sliders = ["variable_cost_saving", "innovation_fixed_cost"]
    for i, (s, f) in enumerate(zip(saves, fixed)):
        name = sliders[i % 2]
        value = round(float(s), 2) if name == "variable_cost_saving" else round(float(f), -1)
        t0, c0 = time.perf_counter(), time.process_time()
        ex.controls[name].value = value          # observer: model + update artists + frame
        full.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"model only    ({args.n} scenarios): {pct(model)}")
    print(f"explorer move ({args.n} moves):     {pct(full)}   target p95 < 50 ms (wall clock)")
    print(f"explorer move, CPU time of this process: {pct(cpu)}   (less sensitive to other load)")


if __name__ == "__main__":
    main()
