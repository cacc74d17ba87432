"""Count cells that never finish: the Keda–Zhongtu explorer stall (issue 19), repeated on demand.

Two reproductions, each bounded in count and time and stopping by itself:

* ``otter``: ``python -m otter assign`` of the Keda–Zhongtu master (what ``casekit.instructor
  student`` runs, including otter's own run of the tests), ``--jobs`` at a time while
  ``--busy`` CPU burners run beside them. A run still going after ``--stall-after`` seconds (a
  normal one takes 10–30 s here) is a stall: it is killed and counted.
* ``classroom``: the classroom server (``python -m casekit.classroom``, Voilà) with the unit
  preheated; Debian's Chromium opens the unit ``--opens`` times and reloads an open page
  ``--reloads`` times; a page with no explorer control after ``--stall-after`` seconds is a stall.
  Traffic goes to 127.0.0.1 only.

Toggles, to move the same reproduction from its rate to 0 and back:

* ``--ref REF``: run a casekit from git (a temporary worktree on ``PYTHONPATH``), e.g. the commit
  before the fix, ``--ref 3f2f40d``; the default is this working tree.
* ``--no-output-mimic``: switch off nbclient's stand-in for Output widgets in the executor
  (``NotebookClient.comm_open_handlers = {}``, through a ``sitecustomize`` on ``PYTHONPATH``).

The cause, in one sentence: nbclient (under otter and Voilà) stands in for an ``Output`` widget by
sending a ``comm_msg`` on the shell channel while it is still waiting for the cell's
``execute_reply``, and jupyter_client sends it through a synchronous shadow of the asyncio socket,
which consumes the socket's edge-triggered read wake-up when the reply lands during that send; the
reply then sits unread and the cell never finishes. The stage explorer was the only widget in the
kit that captured output in an Output widget while its cell ran; it now sets an HTML widget's value.

    .venv/bin/python benchmarks/bench_stall.py otter --runs 30
    .venv/bin/python benchmarks/bench_stall.py otter --runs 30 --ref 3f2f40d            # before the fix
    .venv/bin/python benchmarks/bench_stall.py otter --runs 30 --ref 3f2f40d --no-output-mimic
    .venv/bin/python benchmarks/bench_stall.py classroom --opens 200 --reloads 50
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MASTER = "notebooks/exercises/02_keda_zhongtu_exercises.ipynb"
UNIT = "02_keda_zhongtu"

_NO_MIMIC = """\
# written by benchmarks/bench_stall.py --no-output-mimic: nbclient without its Output-widget stand-in
try:
    import nbclient.client as _nc
    _init = _nc.NotebookClient.__init__
    def __init__(self, *a, **k):
        _init(self, *a, **k)
        self.comm_open_handlers = {}
    _nc.NotebookClient.__init__ = __init__
except Exception:
    pass
"""


@contextmanager
def casekit_tree(ref: str | None, no_mimic: bool, kernel_log: bool = False):
    """(root of the casekit to run, environment) for the reproduction."""
    tmp = Path(tempfile.mkdtemp(prefix="casekit-stall-"))
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    if kernel_log:   # every kernel logs each message it receives and sends (to the run's output)
        profile = tmp / "ipython" / "profile_default"
        profile.mkdir(parents=True)
        (profile / "ipython_kernel_config.py").write_text('c.IPKernelApp.log_level = "DEBUG"\n')
        env["IPYTHONDIR"] = str(tmp / "ipython")
    paths = []
    root = ROOT
    try:
        if ref:
            root = tmp / "tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(root), ref],
                           check=True, capture_output=True)
            paths.append(str(root))
        if no_mimic:
            (tmp / "inject").mkdir()
            (tmp / "inject" / "sitecustomize.py").write_text(_NO_MIMIC)
            paths.append(str(tmp / "inject"))
        if paths:
            env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        yield root, env
    finally:
        if ref:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(root)], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def busy(n: int, seconds: float):
    """``n`` CPU burners (other work on the machine), each stopping by itself after ``seconds``."""
    code = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def otter_once(root: Path, env: dict, stall_after: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="casekit-stall-run-") as d:
        work = Path(d)
        shutil.copy2(root / MASTER, work / Path(MASTER).name)
        run_env = dict(env, JUPYTER_RUNTIME_DIR=str(work / "runtime"))
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "otter", "assign", Path(MASTER).name, "dist"], cwd=work,
                                env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=stall_after)
            return {"seconds": round(time.monotonic() - t0, 1), "stalled": False, "rc": proc.returncode,
                    "tail": out.strip().splitlines()[-1:] if proc.returncode else []}
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            return {"seconds": round(time.monotonic() - t0, 1), "stalled": True, "rc": None, "tail": []}


def bench_otter(args) -> dict:
    runs: list[dict] = []
    with casekit_tree(args.ref, args.no_output_mimic, args.kernel_log) as (root, env):
        budget = args.runs * args.stall_after / max(1, args.jobs) + 60
        with busy(args.busy, budget), ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(otter_once, root, env, args.stall_after) for _ in range(args.runs)]
            for i, f in enumerate(futures, 1):
                r = f.result()
                runs.append(r)
                print(f"  otter assign {i:3d}/{args.runs}: {'STALL' if r['stalled'] else 'ok   '} {r['seconds']:6.1f} s"
                      + (f"  rc={r['rc']} {r['tail']}" if r["rc"] else ""), flush=True)
    done = [r["seconds"] for r in runs if not r["stalled"]]
    return {"reproduction": "otter", "runs": len(runs), "stalls": sum(r["stalled"] for r in runs),
            "failed": sum(1 for r in runs if r["rc"]), "median_s": sorted(done)[len(done) // 2] if done else None}


# -- the classroom ------------------------------------------------------------------------------
CONTROL = ".widget-dropdown select, .widget-slider .noUi-handle, .widget-toggle-buttons button"


def bench_classroom(args) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_helpers import CHROMIUM, CHROMIUM_ARGS
    from classroom_helpers import ClassroomServer
    from playwright.sync_api import sync_playwright

    stats = {"opens": 0, "open_stalls": 0, "reloads": 0, "reload_stalls": 0, "seconds": []}
    with casekit_tree(args.ref, args.no_output_mimic) as (root, env), tempfile.TemporaryDirectory() as logs:
        server = ClassroomServer(Path(logs), args=["--warm", f"02:{args.pool}", "--max-students", "200"])
        # the casekit under test (and the toggle) first on the path, then this tree
        path = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(ROOT)) if p)
        server.start(env={"PYTHONPATH": path})
        budget = (args.opens + args.reloads) * (args.stall_after + 10) + 120
        try:
            server.wait_for_pool(UNIT, timeout=600)
            with busy(args.busy, budget), sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
                url = server.url(f"/voila/render/{UNIT}.ipynb")

                def wait(page, go) -> float | None:
                    """Seconds from asking for the page to its first explorer control, or None.
                    Voilà streams the page while it runs the cells, so a cell that never finishes
                    also means a document that never finishes loading: wait from the first byte."""
                    t0 = time.monotonic()
                    try:
                        go(wait_until="commit", timeout=args.stall_after * 1000)
                        left = max(1.0, args.stall_after - (time.monotonic() - t0))
                        page.wait_for_selector(CONTROL, state="attached", timeout=left * 1000)   # hidden below the reveal, but there
                        return time.monotonic() - t0
                    except Exception:
                        return None

                for i in range(args.opens + args.reloads):
                    reload = i >= args.opens
                    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                    page = ctx.new_page()
                    took = wait(page, lambda **kw: page.goto(url, **kw))
                    if reload and took is not None:
                        took = wait(page, page.reload)
                    key = "reload" if reload else "open"
                    stats[key + "s"] += 1
                    if took is None:
                        stats[key + "_stalls"] += 1
                    else:
                        stats["seconds"].append(round(took, 1))
                    print(f"  {key:6s} {i + 1:3d}: {'STALL' if took is None else f'{took:5.1f} s'}", flush=True)
                    page.close(run_before_unload=True)
                    ctx.close()
                browser.close()
        finally:
            server.stop()
    secs = sorted(stats.pop("seconds"))
    stats["median_s"] = secs[len(secs) // 2] if secs else None
    return {"reproduction": "classroom", **stats}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=["otter", "classroom"])
    p.add_argument("--runs", type=int, default=30, help="otter assign runs (default 30)")
    p.add_argument("--jobs", type=int, default=2, help="otter runs at a time (default 2)")
    p.add_argument("--opens", type=int, default=200, help="fresh page opens (default 200)")
    p.add_argument("--reloads", type=int, default=50, help="page reloads (default 50)")
    p.add_argument("--pool", type=int, default=2, help="preheated kernels of the unit (default 2)")
    p.add_argument("--busy", type=int, default=1, help="CPU burners running beside (default 1)")
    p.add_argument("--stall-after", type=float, default=90, help="seconds after which a run is a stall (default 90)")
    p.add_argument("--ref", help="a git ref of casekit to run instead of this working tree")
    p.add_argument("--no-output-mimic", action="store_true", help="switch off nbclient's Output-widget stand-in")
    p.add_argument("--kernel-log", action="store_true",
                   help="kernels log every message at DEBUG level (otter); the extra writing shifts the timing "
                        "and raises the stall rate before the fix")
    p.add_argument("--json", help="also write the result here")
    args = p.parse_args(argv)
    t0 = time.monotonic()
    result = bench_otter(args) if args.what == "otter" else bench_classroom(args)
    result.update(ref=args.ref or "working tree", no_output_mimic=args.no_output_mimic, busy=args.busy,
                  kernel_log=args.kernel_log,
                  minutes=round((time.monotonic() - t0) / 60, 1))
    print(json.dumps(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
