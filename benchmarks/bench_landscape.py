"""Benchmark unit 1: the claims model and the source-quality lens.

Run from the repository root:  .venv/bin/python benchmarks/bench_landscape.py [--n 300]

Measures (a) the pure model: ``landscape.claims(...)`` with a random filter and sort, and
``landscape.compare_claims`` on a random same-unit pair; (b) the widget round trip: set one control's
``.value`` headless, which refilters, recounts and re-renders the table HTML; (c) a language switch,
which relabels every control and redraws; (d) building the four diagrams as graphviz sources.
Reports median, p95 and max in ms; the target for (b) is a p95 under 20 ms (about one frame).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import casekit  # noqa: E402
from casekit import landscape as L  # noqa: E402
from casekit import landscape_diagrams as LD  # noqa: E402
from casekit.landscape_widgets import SourceQualityLens  # noqa: E402


def _stats(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):6.3f} ms   p95 {p95:6.3f} ms   max {ms[-1]:6.3f} ms   (n={len(ms)})"


def _time(fn, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    casekit.set_language("en")

    t0 = time.perf_counter()
    L.claims()  # first load: reads and types the CSV
    first = (time.perf_counter() - t0) * 1000

    def random_claims():
        types = rng.sample(L.SOURCE_TYPES, rng.randint(1, 3))
        L.claims(types, traceable=rng.choice([None, True, False]), sort_by=rng.choice(L.SORT_KEYS))

    stats = casekit.load_dataset("srdi_statistics")
    by_unit = stats.groupby("unit", observed=True)["claim_id"].apply(list)
    pairs = [(a, b) for ids in by_unit for a in ids for b in ids if a != b]

    def random_compare():
        L.compare_claims(*rng.choice(pairs))

    lens = SourceQualityLens()
    choices = {
        "source_types": [("peer_reviewed",), ("vendor_blog",), ("peer_reviewed", "vendor_blog"), L.SOURCE_TYPES],
        "traceable": ["all", "traceable", "untraceable"],
        "sort_by": list(L.SORT_KEYS),
        "hide_promotional": [True, False],
        "view": ["claims", "side_by_side"],
    }

    def random_control():
        name = rng.choice(list(choices))
        w = getattr(lens, name)
        options = [v for v in choices[name] if v != w.value]
        w.value = rng.choice(options)

    langs = iter(["zh", "en"] * (args.n // 10 + 1))

    def switch_language():
        casekit.set_language(next(langs))

    def diagrams():
        for f in (LD.co_innovation_diagram, LD.dilemma_diagram, LD.ladder_diagram, LD.course_map_diagram):
            f().source

    print(f"first load of srdi_statistics      {first:7.2f} ms")
    print("claims(filter, sort)           ", _stats(_time(random_claims, args.n)))
    print("compare_claims(a, b)           ", _stats(_time(random_compare, args.n)))
    print("lens: one control changed      ", _stats(_time(random_control, args.n)))
    print("lens: language switch          ", _stats(_time(switch_language, max(20, args.n // 10))))
    print("four diagrams built (source)   ", _stats(_time(diagrams, max(20, args.n // 10))))
    casekit.set_language("en")
    return 0


if __name__ == "__main__":
    sys.exit(main())
