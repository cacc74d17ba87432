"""What the grading sandbox costs: the same submissions graded with and without bubblewrap.

    .venv/bin/python benchmarks/bench_sandbox.py [--n 6] [--jobs 1] [--master notebooks/exercises/00_...]

Builds a master once (default: the small fixture master of the grading tests), then grades ``n``
correct submissions twice from an empty cache: sandboxed, and with ``--no-sandbox``. Prints the
seconds per submission of each and their ratio. Nothing leaves this machine; the run stops by
itself.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=6, help="submissions per run")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--repeat", type=int, default=2, help="runs of each mode")
    args = p.parse_args(argv)

    import grading_fixture as fx

    from casekit.instructor import build, grade, sandbox

    if not sandbox.probe().ok:
        print(f"no sandbox on this machine: {sandbox.probe().reason}")
        return 1
    base = Path(tempfile.mkdtemp(prefix="casekit-bench-sandbox-"))
    try:
        master = fx.write_master(base / "exercises")
        t0 = time.perf_counter()
        b = build.build_student(master, base / "dist")
        build_s = time.perf_counter() - t0
        handout = json.loads(b.student.read_text(encoding="utf-8"))
        subs = base / "subs"
        for k in range(args.n):
            (subs / f"s{k:02d}").mkdir(parents=True)
            (subs / f"s{k:02d}" / f"{fx.NAME}.ipynb").write_text(json.dumps(fx.filled(handout, fx.ANSWERS)))
        times: dict[str, list[float]] = {"sandboxed": [], "unsandboxed": []}
        for r in range(args.repeat):
            for mode in ("sandboxed", "unsandboxed"):
                out = base / f"grades-{mode}-{r}"
                t0 = time.perf_counter()
                report = grade.grade(subs, out=out, dist=base / "dist", exercises=master.parent,
                                     progress=False, jobs=args.jobs, sandbox=(mode == "sandboxed"))
                elapsed = time.perf_counter() - t0
                assert report.graded == args.n and all(v == 9.0 for v in report.scores().values()), report.rows
                times[mode].append(elapsed / args.n)
        sand, plain = statistics.median(times["sandboxed"]), statistics.median(times["unsandboxed"])
        print(f"build (otter assign + sandboxed proof): {build_s:.1f} s")
        print(f"{'mode':<12} {'s per submission (median of ' + str(args.repeat) + ')':>34}")
        print(f"{'sandboxed':<12} {sand:>34.2f}")
        print(f"{'unsandboxed':<12} {plain:>34.2f}")
        print(f"ratio sandboxed / unsandboxed: {sand / plain:.2f}  (n={args.n}, jobs={args.jobs}, "
              f"limits: {sandbox.probe().how})")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
