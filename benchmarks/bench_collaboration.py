"""Benchmark: one explorer update (model + diagram source) for unit 2.

Run from the repository root:  .venv/bin/python benchmarks/bench_collaboration.py [--n 300]

An update is what the widget does when a control changes: build the alternative from the control
values, evaluate it against the actual case, and build the side-by-side graphviz diagram (its DOT
source; rendering to SVG is done by `dot` or the browser afterwards and is timed separately).
Target: p95 under 50 ms.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

from casekit import collaboration as co
from casekit import collaboration_diagrams as cd
from casekit.collaboration_widgets import StageExplorer, alternative_from_settings


def random_settings(rng: random.Random, actual: co.Case) -> dict:
    cat = co.catalog()
    stages = []
    for _ in actual.stages:
        s: dict = {"include": rng.random() > 0.15}
        if rng.random() < 0.3:
            s["rd_activity"] = rng.choice(cat.of_kind("rd")).id
        if rng.random() < 0.3:
            s["marketing_activity"] = rng.choice(cat.of_kind("marketing")).id
        if rng.random() < 0.3:
            s["depth"] = rng.randint(1, 3)
        if rng.random() < 0.2:
            s["lead"] = rng.choice(["rd", "marketing"])
        stages.append(s)
    return {"stages": stages, "business_model": rng.choice([None, *co.BUSINESS_MODELS])}


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    rng = random.Random(0)
    actuals = [co.actual_case("keda"), co.actual_case("zhongtu")]
    co.evaluate(actuals[0])  # warm the data caches (first load reads the CSVs)

    model_ms, update_ms = [], []
    for i in range(args.n):
        actual = actuals[i % 2]
        settings = random_settings(rng, actual)
        t0 = time.perf_counter()
        alt = alternative_from_settings(actual, **settings)
        result = co.evaluate(alt, actual)
        t1 = time.perf_counter()
        cd.compare(result).source
        t2 = time.perf_counter()
        model_ms.append((t1 - t0) * 1000)
        update_ms.append((t2 - t0) * 1000)

    ex = StageExplorer("keda", draw=False)  # the real widget path: set a control, wait for the update
    widget_ms = []
    for i in range(args.n // 3):
        t0 = time.perf_counter()
        ex.stage_controls[2]["depth"].value = 1 + (i % 3)
        widget_ms.append((time.perf_counter() - t0) * 1000)

    for name, xs in (("model only", model_ms), ("model + diagram source", update_ms), ("widget control change", widget_ms)):
        print(f"{name:>24}: n={len(xs)}  median {statistics.median(xs):6.2f} ms  p95 {percentile(xs, 95):6.2f} ms  "
              f"max {max(xs):6.2f} ms")
    p95 = percentile(update_ms, 95)
    print(f"explorer update p95 = {p95:.2f} ms (target < 50 ms): {'OK' if p95 < 50 else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
