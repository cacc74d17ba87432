"""What a change bought: run each notebook from two versions of the kit, alternately, and compare.

    .venv/bin/python benchmarks/compare_commits.py b2947a9                 # that commit against the working tree
    .venv/bin/python benchmarks/compare_commits.py b2947a9 --repeat 7 01 03  # notebooks whose names start so

A ratio over the baseline notebook moves with the machine (the baseline itself ran at 1.08 s and at
1.35 s on different days here); two versions run in turn, in the same minutes, compare fairly. The
older commit is checked out in a temporary git worktree; each run is a fresh kernel (nbclient) whose
first cell puts that tree first on ``sys.path``, so ``import casekit`` (and its ``datasets/``) come from
it, not from the editable install. Both versions get that cell. Medians and every run are printed.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIRST = ("import sys, importlib.machinery\nsys.path.insert(0, {tree!r})\n"
         "sys.meta_path.insert(0, importlib.machinery.PathFinder)   # before the editable install's finder")
CHECK = "import casekit, pathlib\nprint(pathlib.Path(casekit.__file__).resolve().parent.parent)"


def run(tree: Path, name: str) -> float:
    import nbformat
    from nbclient import NotebookClient

    path = next((tree / "notebooks").glob(name + "*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(FIRST.format(tree=str(tree))))
    nb.cells.append(nbformat.v4.new_code_cell(CHECK))
    client = NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - t0
    used = "".join(o.get("text", "") for o in nb.cells[-1].outputs).strip()
    if Path(used) != tree.resolve():
        raise SystemExit(f"{path.name} imported casekit from {used}, not from {tree}")
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("commit", help="the older version (a commit, tag or branch)")
    ap.add_argument("names", nargs="*", default=["01", "02", "03", "04"], help="prefixes of notebook names")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_intermixed_args()
    with tempfile.TemporaryDirectory(prefix="casekit-compare-") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), args.commit], check=True)
        try:
            label = subprocess.run(["git", "-C", str(old), "log", "-1", "--format=%h %s"], capture_output=True,
                                   text=True).stdout.strip()
            print(f"older: {label[:90]}\nnewer: the working tree ({ROOT}); {args.repeat} runs each, alternating",
                  flush=True)
            for name in args.names:
                times: dict[str, list[float]] = {"older": [], "newer": []}
                run(ROOT, name)   # warm the disk and font caches, unmeasured
                for _ in range(args.repeat):
                    times["older"].append(run(old, name))
                    times["newer"].append(run(ROOT, name))
                a, b = statistics.median(times["older"]), statistics.median(times["newer"])
                print(f"{name}: {a:.2f} s -> {b:.2f} s ({(b - a) / a:+.0%})   older runs "
                      f"{' '.join(f'{x:.2f}' for x in times['older'])}; newer {' '.join(f'{x:.2f}' for x in times['newer'])}",
                      flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
