"""Where a notebook's run time goes: every code cell's time, and optionally a cProfile of the kernel.

    .venv/bin/python benchmarks/profile_units.py                    # every notebook, every cell
    .venv/bin/python benchmarks/profile_units.py 02 03 --repeat 3   # notebooks whose name starts so
    .venv/bin/python benchmarks/profile_units.py 04 --profile 30    # + the 30 costliest functions (cumulative)
    .venv/bin/python benchmarks/profile_units.py 03 --profile 5 --callers _check_name   # + who calls it
    .venv/bin/python benchmarks/profile_units.py --floor --repeat 3 # + the drawing floor of each notebook

Each notebook runs from a fresh kernel (nbclient), as benchmarks/run_all.py runs it. Cell times are
the kernel's own (execute_input to execute_reply), the median over ``--repeat`` runs; "kernel
start" is the wall time from starting the kernel to its first cell. With ``--profile`` a hidden
first cell starts cProfile in the kernel and a hidden last cell prints the top functions (the
profiler slows everything, so its run is not part of the timings).
"""
from __future__ import annotations

import argparse
import json
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

# --floor: how long the bare stack takes to run as many code cells as a notebook has (each empty,
# after the baseline's imports), and how long the drawing libraries themselves take to draw what
# the notebook shows. Every
# matplotlib drawing (print_figure: savefig and the inline backend; draw_without_rendering: a layout
# pass; FigureCanvasAgg.draw and draw_artist: an explorer's raster frames), every Graphviz `dot`
# run and every table pandas writes as HTML (DataFrame.to_html) is timed; nested and concurrent intervals (a diagram's two dot
# runs overlap each other and the kit's own code) count once, as wall time. What the kit's own code
# adds is the rest.
FLOOR_START = """\
import time as _ck_t
import matplotlib.backend_bases as _ck_bb, matplotlib.figure as _ck_fig, matplotlib.axes as _ck_ax
from matplotlib.backends import backend_agg as _ck_agg
from graphviz.backend import execute as _ck_ex
import pandas as _ck_pd
_ck_iv = []
def _ck_wrap(owner, name, kind):
    orig = getattr(owner, name)
    def timed(*a, **k):
        t0 = _ck_t.perf_counter()
        try:
            return orig(*a, **k)
        finally:
            _ck_iv.append((t0, _ck_t.perf_counter(), kind))
    setattr(owner, name, timed)
_ck_wrap(_ck_bb.FigureCanvasBase, "print_figure", "matplotlib")
_ck_wrap(_ck_fig.Figure, "draw_without_rendering", "matplotlib")
_ck_wrap(_ck_agg.FigureCanvasAgg, "draw", "matplotlib")
_ck_wrap(_ck_ax.Axes, "draw_artist", "matplotlib")
_ck_wrap(_ck_ex, "run_check", "dot")
_ck_wrap(_ck_pd.DataFrame, "to_html", "tables")"""
FLOOR_END = """\
def _ck_union(iv):
    total, end = 0.0, float("-inf")
    for a, b in sorted(iv):
        if b > end:
            total += b - max(a, end)
            end = b
    return total
import json as _ck_json
print(_ck_json.dumps({"drawing": _ck_union([(a, b) for a, b, _ in _ck_iv]),
                      "matplotlib": _ck_union([(a, b) for a, b, k in _ck_iv if k == "matplotlib"]),
                      "dot": _ck_union([(a, b) for a, b, k in _ck_iv if k == "dot"]),
                      "tables": _ck_union([(a, b) for a, b, k in _ck_iv if k == "tables"]),
                      "table_count": sum(k == "tables" for _, _, k in _ck_iv),
                      "figures_drawn": len({a for a, b, k in _ck_iv if k == "matplotlib"
                                           and not any(a2 < a and b <= b2 for a2, b2, _ in _ck_iv)}),
                      "dot_runs": sum(k == "dot" for _, _, k in _ck_iv)}))"""


def _stamp(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def run(path: Path, profile: int = 0, sort: str = "cumulative", callers: tuple = (),
        floor: bool = False) -> tuple[float, float, list, str]:
    """(total wall seconds, kernel start seconds, [(seconds, index, first line)], profile or floor text)."""
    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    if profile:
        nb.cells.insert(0, nbformat.v4.new_code_cell(PROFILE_START))
        nb.cells.append(nbformat.v4.new_code_cell(PROFILE_END.format(sort=sort, n=profile, callers=list(callers))))
    elif floor:
        nb.cells.insert(0, nbformat.v4.new_code_cell(FLOOR_START))
        nb.cells.append(nbformat.v4.new_code_cell(FLOOR_END))
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
    if profile or floor:
        text = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []))
    return total, total - sum(d for d, _, _ in cells), cells, text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help="prefixes of notebook names (default: all, and the baseline)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", type=int, default=0, help="print this many top functions of a profiled run")
    ap.add_argument("--floor", action="store_true", help="also time the drawing (matplotlib, dot, pandas' HTML tables) in each "
                    "notebook, in runs of their own, and print each notebook's floor over the baseline")
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
    baseline = ROOT / "benchmarks" / "baseline.ipynb"
    run(baseline)   # warm disk and font caches, unmeasured
    floors = {}
    for path in paths:
        totals, rest, per_cell, bases = [], [], {}, []
        padded = _padded_baseline(path) if args.floor else None   # the bare stack, as many code cells as this notebook
        padded_runs, drawn = [], []
        for _ in range(args.repeat):
            # With --floor, the baseline and the padded baseline run beside each notebook run, interleaved:
            # this shared machine's speed drifts by a third within minutes, and a ratio must compare runs
            # made under the same load.
            if args.floor and path != baseline:
                bases.append(run(baseline)[0])
                if padded is not None:
                    padded_runs.append(run(padded)[0])
                drawn.append(json.loads(run(path, floor=True)[3]))
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
        if args.floor:
            drawn = drawn or [json.loads(run(path, floor=True)[3]) for _ in range(args.repeat)]
            d = {k: statistics.median(x[k] for x in drawn) for k in drawn[0]}
            d["cells"] = statistics.median(padded_runs) if padded_runs else None
            d["base"] = statistics.median(bases) if bases else None
            floors[path.name] = (statistics.median(totals), d)
            print(f"  drawing (matplotlib, dot and pandas' HTML themselves, wall): {d['drawing']:.2f} s = matplotlib "
                  f"{d['matplotlib']:.2f} s ({d['figures_drawn']:.0f} calls) + dot {d['dot']:.2f} s "
                  f"({d['dot_runs']:.0f} runs) + pandas tables {d['tables']:.2f} s ({d['table_count']:.0f}), "
                  "overlaps counted once")
    if args.floor and floors:
        floors.pop("baseline.ipynb", None)
        print(f"\n{'notebook':32s} {'run':>5s} {'base':>5s} {'ratio':>6s} {'cells':>6s} {'drawing':>8s} {'floor':>6s} "
              f"{'kit rest':>9s}")
        for name, (total, d) in floors.items():
            base = d["base"]
            padded = d["cells"] if d["cells"] is not None else base
            print(f"{name:32s} {total:5.2f} {base:5.2f} {total / base:6.2f} {padded - base:6.2f} {d['drawing']:8.2f} "
                  f"{(padded + d['drawing']) / base:6.2f} {total - padded - d['drawing']:9.2f}")
        print("(seconds, medians; base = the baseline notebook, run interleaved with this notebook's runs; "
              "ratio = run / base; cells = what the bare stack takes to run as many "
              "code cells as the notebook has, each empty; drawing = matplotlib, dot and pandas' HTML drawing what "
              "it shows; floor = (baseline + cells + drawing) / baseline, the ratio if casekit's own code cost "
              "nothing; kit rest = run - baseline - cells - drawing)")
    return 0


def _padded_baseline(path: Path) -> Path | None:
    """benchmarks/baseline.ipynb followed by empty code cells, as many code cells in all as ``path``
    has (a temporary file); None for the baseline itself."""
    import tempfile

    import nbformat

    if path.name == "baseline.ipynb":
        return None
    n = sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)
    nb = nbformat.read(ROOT / "benchmarks" / "baseline.ipynb", as_version=4)
    nb.cells += [nbformat.v4.new_code_cell("pass") for _ in range(n - sum(c.cell_type == "code" for c in nb.cells))]
    out = Path(tempfile.mkdtemp(prefix="casekit-floor-")) / f"baseline_{n}_cells.ipynb"
    nbformat.write(nb, out)
    return out


if __name__ == "__main__":
    sys.exit(main())
