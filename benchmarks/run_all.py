"""Every casekit benchmark in one run, printed as one table (issue 8).

Run from the repository root (or `make bench`):

    .venv/bin/python benchmarks/run_all.py             # everything, about 5-8 minutes on 2 cores
    .venv/bin/python benchmarks/run_all.py --quick     # one repetition, no test-suite timing

Measured here, in the same run so that the ratios share the machine's load:
- each narrative notebook's headless execution time (fresh kernel, nbclient) divided by that of
  benchmarks/baseline.ipynb, which only imports the stack (target <= 1.3);
- `import casekit` in a fresh interpreter divided by importing, alone, the third-party packages that
  `import casekit` itself loads (target <= 1.2);
- the kernel's resident memory (RSS) after running each notebook (target <= 200 MB), and what that
  means for a JupyterHub class of 100 and 300 students;
- the quick suite, without the slow and browser tests (target <= 60 s; the whole suite is `make test`).
And, from the per-unit scripts benchmarks/bench_*.py (each unit's engineer owns one), every
p50/p95 line they print: explorer control change -> updated output (target p95 <= 50 ms) and the
model alone (target p95 <= 5 ms). Their full output is printed above the table.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
BASELINE = BENCH / "baseline.ipynb"
PY = sys.executable
MB = 1024 * 1024


# ------------------------------------------------------------------------------------------------
SLOWEST: dict[str, list[tuple[float, int, str]]] = {}


def run_notebook(path: Path) -> tuple[float, float]:
    """Execute a notebook from a fresh kernel; return (wall seconds incl. kernel start, kernel RSS MB
    after the last cell). Remembers the slowest cells, to say where the time goes."""
    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3")
    t0 = time.perf_counter()
    km.start_kernel(cwd=str(path.parent), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = NotebookClient(nb, km=km, timeout=120, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        seconds = time.perf_counter() - t0
        rss = _rss_mb(km.provisioner.process.pid)
    finally:
        km.shutdown_kernel(now=True)
    cells = []
    for i, c in enumerate(nb.cells):
        ex = c.metadata.get("execution", {}) if c.cell_type == "code" else {}
        if "shell.execute_reply" in ex and "iopub.execute_input" in ex:
            from datetime import datetime

            d = (datetime.fromisoformat(ex["shell.execute_reply"].replace("Z", "+00:00"))
                 - datetime.fromisoformat(ex["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()
            cells.append((d, i, c.source.strip().splitlines()[0][:60] if c.source.strip() else ""))
    SLOWEST[path.name] = sorted(cells, reverse=True)[:3]
    errors = [o.get("ename") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error" and "raises-exception" not in c.metadata.get("tags", [])]
    if errors:
        print(f"  ! {path.name} raised {errors} while benchmarking (its time still counts)")
    return seconds, rss


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / MB
    except Exception:
        return float("nan")


# ------------------------------------------------------------------------------------------------
STDLIB = set(sys.stdlib_module_names) | {"__main__", "__mp_main__", "_distutils_hack"}


def third_party_loaded_by_casekit() -> list[str]:
    """Every third-party module (submodules too, in load order) that a bare `import casekit` loads.

    Measured, not assumed: importing only top-level packages would undercount, since some (pydantic)
    load their submodules lazily and casekit pulls them in."""
    code = ("import sys, json; before = list(sys.modules); import casekit; "
            "print(json.dumps([m for m in sys.modules if m not in set(before)]))")
    out = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    names = json.loads(out.strip().splitlines()[-1])
    return [n for n in names if n.split(".")[0] not in STDLIB and n.split(".")[0] != "casekit"
            and not n.startswith("_")]


def import_all_statement(modules: list[str]) -> str:
    return ("import importlib\n"
            f"for m in {modules!r}:\n"
            "    try: importlib.import_module(m)\n"
            "    except Exception: pass")


def time_import(statement: str) -> float:
    code = f"import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"
    out = subprocess.run([PY, "-X", "frozen_modules=on", "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------
LINE = re.compile(r"^(?P<label>.*?)[\s:]*(?:\(?n=\d+\)?\s*)?(?:median|p50)\s+(?P<p50>[\d.]+)\s*ms"
                  r".*?p95\s+(?P<p95>[\d.]+)\s*ms", re.I)


# The class-scale benchmarks take minutes each (servers, 40-60 kernels, graded classes): run them on their own.
CLASS_SCALE = {"bench_classroom.py", "bench_sandbox.py", "bench_classroom_cull.py", "bench_live_session.py",
               "bench_stall.py", "bench_grade_class.py"}


def unit_benchmarks() -> tuple[list[dict], list[str]]:
    rows, failed = [], []
    # The class-scale benchmarks run on their own (minutes each): bench_classroom.py, bench_sandbox.py.
    for script in sorted(p for p in BENCH.glob("bench_*.py") if p.name not in CLASS_SCALE):
        print(f"\n--- {script.name} " + "-" * (60 - len(script.name)), flush=True)
        proc = subprocess.run([PY, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=900)
        print(proc.stdout.rstrip())
        if proc.returncode:
            print(proc.stderr[-2000:])
            failed.append(script.name)
            continue
        for line in proc.stdout.splitlines():
            m = LINE.search(line.strip())
            if not m:
                continue
            label = re.sub(r"\s*\(\d+ [^)]*\)\s*$", "", m["label"]).strip(" :,") or "(unlabelled)"
            low = label.lower()
            if "model" in low and "+" not in low:
                target = 5.0
            elif re.search(r"explorer|widget|control|slider|move|lens|preset|switch|advisor|update", low):
                target = 50.0
            else:
                target = None
            rows.append({"unit": script.stem.removeprefix("bench_"), "what": label, "p50": float(m["p50"]),
                         "p95": float(m["p95"]), "target": target})
    return rows, failed


# ------------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each notebook and of the baseline")
    ap.add_argument("--quick", action="store_true", help="one repetition; skip the test-suite timing")
    ap.add_argument("--skip-tests", action="store_true", help="skip timing the test suite")
    ap.add_argument("--skip-units", action="store_true", help="skip the per-unit bench_*.py scripts")
    args = ap.parse_args()
    repeat = 1 if args.quick else max(1, args.repeat)
    os.chdir(ROOT)
    load = os.getloadavg()[0]
    print(f"casekit benchmarks: {os.cpu_count()} cores, load average {load:.2f} at start, Python {sys.version.split()[0]}")

    table: list[tuple[str, str, str, str]] = []  # what, figure, target, verdict

    def add(what, figure, target="", ok=None):
        table.append((what, figure, target, "" if ok is None else ("met" if ok else "MISSED")))

    # Per-unit explorer/model latency -----------------------------------------------------------
    if not args.skip_units:
        rows, failed = unit_benchmarks()
        for r in rows:
            tgt = f"p95 <= {r['target']:.0f} ms" if r["target"] else ""
            add(f"{r['unit']}: {r['what']}", f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms", tgt,
                None if r["target"] is None else r["p95"] <= r["target"])
        for name in failed:
            add(f"{name}", "script failed (see output above)", "", False)
        if not list(BENCH.glob("bench_*.py")):
            add("explorer latency", "no benchmarks/bench_*.py yet", "p95 <= 50 ms", None)

    # Notebooks: time ratio to the baseline, and kernel RSS --------------------------------------
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(f"\n--- notebooks ({repeat} run(s) each, interleaved with the baseline) " + "-" * 10, flush=True)
    base_t, base_rss, times, rss = [], [], {p: [] for p in notebooks}, {p: [] for p in notebooks}
    run_notebook(BASELINE)  # warm the disk cache and the font cache once, unmeasured
    for i in range(repeat):
        t, r = run_notebook(BASELINE)
        base_t.append(t)
        base_rss.append(r)
        for p in notebooks:
            t, r = run_notebook(p)
            times[p].append(t)
            rss[p].append(r)
            print(f"  run {i + 1}: {p.name:32s} {t:6.2f} s   kernel RSS {r:6.1f} MB", flush=True)
        print(f"  run {i + 1}: {'baseline.ipynb':32s} {base_t[-1]:6.2f} s   kernel RSS {base_rss[-1]:6.1f} MB")
    print("  slowest cells (seconds, cell index, first line) of the last run:")
    for name, cells in SLOWEST.items():
        print(f"    {name}: " + "; ".join(f"{d:.2f} s [{i}] {src}" for d, i, src in cells))
    b = statistics.median(base_t)
    add("baseline notebook (imports the stack only)", f"{b:.2f} s, kernel {statistics.median(base_rss):.0f} MB")
    worst_rss = 0.0
    for p in notebooks:
        t = statistics.median(times[p])
        add(f"{p.stem}: run time / baseline", f"{t / b:.2f}  ({t:.2f} s)", "<= 1.3", t / b <= 1.3)
    for p in notebooks:
        m = max(rss[p])
        worst_rss = max(worst_rss, m)
        add(f"{p.stem}: kernel RSS after run", f"{m:.0f} MB", "<= 200 MB", m <= 200)
    for students in (100, 300):
        add(f"JupyterHub class of {students}: kernels' memory",
            f"{students * worst_rss / 1024:.1f} GB ({students} x {worst_rss:.0f} MB, one kernel each)")

    # import casekit / its dependencies alone ---------------------------------------------------
    deps = third_party_loaded_by_casekit()
    tops = sorted({d.split(".")[0] for d in deps})
    print(f"\n--- import time: casekit vs the {len(deps)} modules of its dependencies it loads "
          f"({', '.join(tops)}) ---", flush=True)
    n = 3 if args.quick else 9
    kit, alone = [], []
    for _ in range(n):  # interleaved, fresh interpreter each time
        kit.append(time_import("import casekit"))
        alone.append(time_import(import_all_statement(deps)))
    k, a = statistics.median(kit), statistics.median(alone)
    print(f"  import casekit {k * 1000:.0f} ms; dependencies alone {a * 1000:.0f} ms")
    add("import casekit / its dependencies alone", f"{k / a:.2f}  ({k * 1000:.0f} ms vs {a * 1000:.0f} ms)",
        "<= 1.2", k / a <= 1.2)

    # the quick suite (the edit loop) ---------------------------------------------------------------
    # The whole suite is `make test` (what CI runs; target 12 minutes on 2 cores, README); timed here
    # is the suite a developer runs on every edit, without the slow and browser tests (target 60 s).
    if not (args.quick or args.skip_tests):
        print("\n--- quick suite (pytest -m 'not slow and not browser') ---", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([PY, "-m", "pytest", "-q", "-m", "not slow and not browser", "-p", "no:cacheprovider"],
                              cwd=ROOT, capture_output=True, text=True)
        secs = time.perf_counter() - t0
        summary = (proc.stdout.strip().splitlines() or ["?"])[-1]
        print(f"  {summary}")
        add("quick suite: not slow and not browser (wall)", f"{secs:.0f} s  [{summary.strip('= ')}]", "<= 60 s",
            secs <= 60 and proc.returncode == 0)

    # the table ------------------------------------------------------------------------------------
    w = [max(len(row[i]) for row in table + [("measure", "figure", "target", "")]) for i in range(4)]
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (started at {load:.2f}; 2 cores shared)")
    line = lambda r: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |"  # noqa: E731
    print(line(("measure", "figure", "target", "")))
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for row in table:
        print(line(row))
    missed = [r[0] for r in table if r[3] == "MISSED"]
    print(f"\n{len(missed)} target(s) missed" + (": " + "; ".join(missed) if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
