"""Where a notebook's run time goes: every code cell's time, and optionally a cProfile of the kernel.

    .venv/bin/python benchmarks/profile_units.py                    # every notebook, every cell
    .venv/bin/python benchmarks/profile_units.py 02 03 --repeat 3   # notebooks whose name starts so
    .venv/bin/python benchmarks/profile_units.py 04 --profile 30    # + the 30 costliest functions (cumulative)
    .venv/bin/python benchmarks/profile_units.py 03 --profile 5 --callers _check_name   # + who calls it

Each notebook runs from a fresh kernel (nbclient), as benchmarks/run_all.py runs it. Cell times are
the kernel's own (execute_input to execute_reply), the median over ``--repeat`` runs; "kernel
start" is the wall time from starting the kernel to its first cell. With ``--profile`` a hidden
first cell starts cProfile in the kernel and a hidden last cell prints the top functions (the
profiler slows everything, so its run is not part of the timings).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

PROFILE_START = "import cProfile as _ck_cp\n_ck_prof = _ck_cp.Profile()\n_ck_prof.enable()"
PROFILE_END = ("_ck_prof.disable()\nimport pstats as _ck_ps, io as _ck_io\n_ck_s = _ck_io.StringIO()\n"
               "_ck_st = _ck_ps.Stats(_ck_prof, stream=_ck_s).sort_stats({sort!r})\n"
               "_ck_st.print_stats({n})\n"
               "for _ck_c in {callers!r}: _ck_st.print_callers(_ck_c)\n"
               "print(_ck_s.getvalue())")


def _stamp(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def run(path: Path, profile: int = 0, sort: str = "cumulative", callers: tuple = ()) -> tuple[float, float, list, str]:
    """(total wall seconds, kernel start seconds, [(seconds, index, first line)], profile text)."""
    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    if profile:
        nb.cells.insert(0, nbformat.v4.new_code_cell(PROFILE_START))
        nb.cells.append(nbformat.v4.new_code_cell(PROFILE_END.format(sort=sort, n=profile, callers=list(callers))))
    km = KernelManager(kernel_name="python3")
    t0 = time.perf_counter()
    km.start_kernel(cwd=str(path.parent), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = NotebookClient(nb, km=km, timeout=300, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        total = time.perf_counter() - t0
    finally:
        km.shutdown_kernel(now=True)
    cells, first = [], None
    for i, c in enumerate(nb.cells):
        ex = c.metadata.get("execution", {}) if c.cell_type == "code" else {}
        if "shell.execute_reply" in ex and "iopub.execute_input" in ex:
            start = _stamp(ex["iopub.execute_input"])
            first = first or start
            d = (_stamp(ex["shell.execute_reply"]) - start).total_seconds()
            cells.append((d, i, c.source.strip().splitlines()[0][:70] if c.source.strip() else ""))
    text = ""
    if profile:
        text = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []))
    return total, total - sum(d for d, _, _ in cells), cells, text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help="prefixes of notebook names (default: all, and the baseline)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", type=int, default=0, help="print this many top functions of a profiled run")
    ap.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime)")
    ap.add_argument("--callers", action="append", default=[], help="with --profile: print who calls functions "
                    "matching this pstats pattern (repeatable)")
    args = ap.parse_args()
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.names:
        paths = [p for p in paths if any(p.name.startswith(n) for n in args.names)]
        if any("baseline".startswith(n) for n in args.names):
            paths.insert(0, ROOT / "benchmarks" / "baseline.ipynb")
    else:
        paths.insert(0, ROOT / "benchmarks" / "baseline.ipynb")
    run(ROOT / "benchmarks" / "baseline.ipynb")   # warm disk and font caches, unmeasured
    for path in paths:
        totals, rest, per_cell = [], [], {}
        for _ in range(args.repeat):
            total, other, cells, _ = run(path)
            totals.append(total)
            rest.append(other)
            for d, i, src in cells:
                per_cell.setdefault((i, src), []).append(d)
        print(f"\n== {path.name}: {statistics.median(totals):.2f} s total (runs: "
              f"{', '.join(f'{t:.2f}' for t in totals)}); kernel start and messaging "
              f"{statistics.median(rest):.2f} s")
        for (i, src), ds in sorted(per_cell.items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"  {statistics.median(ds) * 1000:7.0f} ms  [{i:2d}] {src}")
        if args.profile:
            _, _, _, text = run(path, profile=args.profile, sort=args.sort, callers=args.callers)
            print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
