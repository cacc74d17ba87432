"""A classroom page's time to interactive, in a real browser (issue 26).

    python benchmarks/bench_time_to_interactive.py                 # 3 repetitions, about 4-5 minutes on 2 cores
    python benchmarks/bench_time_to_interactive.py --repeat 1      # a quick look

Each unit's page (01-04) as a student opens it from the classroom server (``python -m
casekit.classroom``, on 127.0.0.1 with a random port and token), in Debian's Chromium driven by
Playwright, a laptop window of 1280x800, a fresh browser context (no cache, no cookies) for every
repetition. Measured from navigation start (the page's ``performance.timeOrigin``, i.e. the moment
the student opens the link) with the page's own clock:

* page shown: Voila has finished (its loading indicator ``#loading`` is gone and ``#rendered_cells``
  is displayed) and the decision panel ("Your decision" / "你的决策", ``.ck-choice``) has drawn its
  option buttons (widget views, which need the page's kernel connection);
* time to interactive: page shown, then the first thing a student does works: as soon as the page is
  shown the script clicks the panel's first option button, and the time is taken when that button
  shows the pick ("○" becomes "●"), which the kernel draws (a round trip: click -> comm message ->
  kernel -> new widget state -> page). The click is made by Playwright as soon as it sees the page
  shown (typically 100-300 ms later: its polling and actionability checks, and a page still busy
  laying itself out), sooner than a hand would; that delay is printed per page.

Two ways a page meets its kernel:

* cold: a server with no preheated kernel (``--pool 0``): the page's request starts a kernel and
  Voila runs the unit while the page waits (a page opened when the warmed pool is exhausted);
* warm: a server started as an instructor starts a class, with the units warmed (``--pool 0 --warm
  0N:R`` for each unit, R = --repeat: the pool that ``--unit N --class-size R`` gives one unit);
  measured once the pools are filled and their kernels have run the units (the server quiet).
  Refills are held back (the hidden ``--fill-delay``), so each repetition measures a page that finds
  a warmed kernel on an otherwise quiet machine, as the first students of a class do.

Baseline: benchmarks/baseline.ipynb (it only imports the stack) is not a unit, so the classroom
server does not serve it; a plain ``voila`` (same venv, same options where they apply, no preheat)
serves a copy of it, and its page shown (Voila finished) is measured cold, interleaved with the
units' cold pages, so a unit's cold "page shown" can be read as a ratio to the bare stack. (That
page cannot shut its kernel down as it closes, plain Voila wanting an _xsrf cookie it never set:
the script deletes the kernel through the API instead.)

Printed per page as it goes: when the HTML had arrived, when Voila showed the cells, page shown,
interactive, how long after "shown" the click came and the click's round trip, and that the page's
kernel was freed. Then the p50/p95 lines (the format benchmarks/run_all.py copies into its table),
each unit's cold page shown over the baseline's, and the load average at start and end.

Each figure: p50 and p95 over the repetitions (nearest-rank: with 3, the p95 is the slowest). Bounded by --max-minutes (default 8)
in all: a repetition that would start past the limit is skipped, and a watchdog stops every server
by PID past the limit plus a minute. Only 127.0.0.1 is contacted. Without Chromium, Playwright or
Voila, the script says so on one line and exits 0.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, browser_unavailable_reason
from classroom_helpers import ClassroomServer, free_port, http_get

UNITS = ["01_srdi_landscape", "02_keda_zhongtu", "03_qingdao_six_paths", "04_in_firm_cluster_costs"]
VIEW = {"width": 1280, "height": 800}
WHERE = "Chromium 1280x800"
SERVERS: list = []   # (name, Popen) of everything started here: stopped by PID whatever happens

# Installed in every page before its own scripts: stamps (performance.now(), ms since navigation
# start) of the moments defined in the module docstring, taken by a MutationObserver so that
# Python's polling adds nothing to them.
STAMPS = r"""
(() => {
  const ck = window.__ck = {cells: null, shown: null, clickAt: null, ack: null, target: null};
  const buttons = () => [...document.querySelectorAll('.ck-choice button')].filter(b => b.getBoundingClientRect().width > 0);
  const check = () => {
    if (ck.shown === null) {
      const cells = document.getElementById('rendered_cells');
      if (cells && cells.style.display !== 'none' && !document.getElementById('loading')) {
        if (ck.cells === null) ck.cells = performance.now();
        if (!ck.unit || buttons().length) ck.shown = performance.now();
      }
    }
    if (ck.target && ck.ack === null && ck.target.textContent.trim().startsWith('\u25cf')) ck.ack = performance.now();
  };
  document.addEventListener('click', e => {
    const b = e.target.closest && e.target.closest('.ck-choice button');
    if (b && ck.clickAt === null) { ck.clickAt = performance.now(); ck.target = b; }
  }, true);
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
"""


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(-(-q * len(v) // 1)) - 1))]


def line(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: no measurement (see above)"
    return f"{label}: p50 {statistics.median(values):.1f} ms, p95 {pct(values, 0.95):.1f} ms (n={len(values)})"


def stop_all() -> None:
    for _, obj in SERVERS:
        try:
            if isinstance(obj, ClassroomServer):
                obj.stop()
            elif obj.poll() is None:
                os.kill(obj.pid, signal.SIGTERM)
                try:
                    obj.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(obj.pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


def watchdog(seconds: float) -> None:
    def fire():
        print(f"! watchdog: still running after {seconds / 60:.1f} min; stopping every server and exiting", flush=True)
        stop_all()
        os._exit(3)

    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()


def wait_quiet(pid: int, timeout: float, below: float = 10.0, quiet_for: float = 3.0) -> None:
    """Until the server and its kernels together use under ``below`` % CPU for ``quiet_for`` s
    (Voila logs a pool as filled when its kernels start; their notebooks are still running)."""
    try:
        import psutil
    except ImportError:
        time.sleep(min(timeout, 30))
        return
    t0, quiet = time.monotonic(), 0.0
    while time.monotonic() - t0 < timeout:
        procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)

        def cpu(pr) -> float:
            try:
                return pr.cpu_percent(None)
            except psutil.Error:
                return 0.0

        for pr in procs:
            cpu(pr)
        time.sleep(1.0)
        quiet = quiet + 1.0 if sum(cpu(pr) for pr in procs) < below else 0.0
        if quiet >= quiet_for:
            return
    raise TimeoutError("the server did not settle")


class PlainVoila:
    """``voila`` serving one notebook (the baseline), on 127.0.0.1 with a random port and token."""

    def __init__(self, work: Path, notebook: Path):
        self.work, self.port, self.token = work, free_port(), secrets.token_hex(12)
        self.folder = work / "baseline"
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, self.folder / notebook.name)
        self.name = notebook.name

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/voila/render/{self.name}?token={self.token}"

    def start(self, timeout: float = 120) -> PlainVoila:
        self.log_path = self.work / f"voila-baseline-{self.port}.log"
        log = open(self.log_path, "w")
        argv = [sys.executable, "-m", "voila", str(self.folder), "--no-browser", f"--port={self.port}",
                "--Voila.port_retries=0", "--Voila.ip=127.0.0.1", f"--token={self.token}",
                "--VoilaConfiguration.strip_sources=True", "--VoilaConfiguration.show_tracebacks=False",
                *(["--KernelManager.transport=ipc"] if os.name == "posix" else [])]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(argv, cwd=self.work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        SERVERS.append(("voila", self.proc))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"voila exited with {self.proc.returncode}:\n{self.log_path.read_text()[-2000:]}")
            try:
                if http_get(f"http://127.0.0.1:{self.port}/?token={self.token}", timeout=5)[0] in (200, 302):
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"voila did not answer within {timeout:.0f} s")


def delete_kernel(base: str, token: str, kernel: str) -> None:
    req = urllib.request.Request(f"{base}/api/kernels/{kernel}?token={token}", method="DELETE")
    try:
        urllib.request.urlopen(req, timeout=15).close()
    except (urllib.error.URLError, OSError):
        pass


def measure(browser, url: str, base: str, token: str, unit: bool, lang: str, timeout_s: float) -> dict:
    """One page in a fresh context: {"shown": ms, "interactive": ms, "roundtrip": ms} (page clock).

    A unit page frees its kernel when it closes (the classroom sets Voila's _xsrf cookie); the plain
    Voila of the baseline refuses that request (403, no _xsrf), so there the kernel is deleted here."""
    ctx = browser.new_context(viewport=VIEW, locale="zh-CN" if lang == "zh" else "en-US")
    page = ctx.new_page()
    page.add_init_script(STAMPS + ("window.__ck.unit = true;" if unit else ""))
    out: dict = {}
    timeout = max(1000, int(timeout_s * 1000))
    kernel = None
    try:
        page.goto(url, wait_until="commit", timeout=timeout)
        page.wait_for_function("() => window.__ck && window.__ck.shown !== null", timeout=timeout, polling=50)
        if unit:   # the pick first, at once: nothing else between "shown" and the click
            page.locator(".ck-choice button").first.click(timeout=timeout)
            page.wait_for_function("() => window.__ck.ack !== null", timeout=min(timeout, 60_000), polling=20)
        ck = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0] || {};"
                           " return {cells: window.__ck.cells, shown: window.__ck.shown, clickAt: window.__ck.clickAt, ack: window.__ck.ack,"
                           " html: n.responseEnd || null}; }")
        out["shown"], out["html"], out["cells"] = ck["shown"], ck["html"], ck["cells"]
        if unit:
            out["interactive"], out["roundtrip"], out["click_after"] = ck["ack"], ck["ack"] - ck["clickAt"], ck["clickAt"] - ck["shown"]
        kernel = page.evaluate("() => { const e = document.getElementById('jupyter-config-data');"
                               " try { return JSON.parse(e.textContent).kernelId; } catch (x) { return null; } }")
    finally:
        t_close = time.monotonic()
        try:   # a unit page asks the server to shut its kernel down as its tab closes
            page.close(run_before_unload=unit)
        except Exception:
            pass
        if kernel and not unit:   # the baseline's page is gone (closed without beforeunload): delete its kernel
            delete_kernel(base, token, kernel)
        if kernel:   # let the shutdown finish before the next page is measured
            out["freed"] = False
            while time.monotonic() - t_close < 15:
                try:
                    if http_get(f"{base}/api/kernels/{kernel}?token={token}", timeout=5)[0] == 404:
                        out["freed"] = True
                        break
                except OSError:
                    break
                time.sleep(0.2)
        out["close_s"] = time.monotonic() - t_close
        ctx.close()
    return out


def progress(mode: str, name: str, i: int, r: dict) -> None:
    text = f"  {mode} {name} #{i + 1}: HTML received {r['html'] or float('nan'):.0f} ms, Voila done {r['cells']:.0f} ms, shown {r['shown']:.0f} ms"
    if "interactive" in r:
        text += (f", interactive {r['interactive']:.0f} ms (clicked {r['click_after']:.0f} ms after shown,"
                 f" round trip {r['roundtrip']:.0f} ms)")
    if "freed" in r:
        text += f"; kernel {'freed' if r['freed'] else 'NOT freed'} {r['close_s']:.1f} s after closing"
    print(text, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="pages per unit and mode (default 3)")
    ap.add_argument("--max-minutes", type=float, default=8.0, help="the whole run at most (default 8)")
    ap.add_argument("--lang", choices=("zh", "en"), default="zh", help="class language (default zh)")
    ap.add_argument("--units", default=",".join(u[:2] for u in UNITS), help="unit prefixes, e.g. 02,04")
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    repeat = max(1, args.repeat)
    units = [u for u in UNITS if u[:2] in {p.strip().zfill(2) for p in args.units.split(",")}]

    reason = browser_unavailable_reason()
    if reason is None:
        try:
            import voila  # noqa: F401
        except ImportError:
            reason = "Voila is missing: pip install -e '.[classroom]'"
    if reason:
        print(f"time to interactive NOT MEASURED: {reason}")
        return 0

    t_start = time.monotonic()
    deadline = t_start + args.max_minutes * 60
    watchdog(args.max_minutes * 60 + 60)

    def left() -> float:
        return deadline - time.monotonic()

    print(f"classroom time to interactive: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
          f"{WHERE}, lang {args.lang}, {repeat} page(s) per unit and mode, each in a fresh context", flush=True)

    from playwright.sync_api import sync_playwright

    cold: dict[str, list[dict]] = {u: [] for u in units}
    warm: dict[str, list[dict]] = {u: [] for u in units}
    base: list[float] = []
    notes: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="casekit-tti-"))
    pw = browser = None
    try:
        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)

        # ---- cold: no preheated kernel; the baseline's plain Voila beside it, interleaved -----------
        t = time.monotonic()
        server = ClassroomServer(work / "cold", ["--pool", "0", "--lang", args.lang])
        (work / "cold").mkdir()
        SERVERS.append(("classroom cold", server))
        server.start()
        plain = None
        if not args.skip_baseline:
            try:
                plain = PlainVoila(work, ROOT / "benchmarks" / "baseline.ipynb").start()
            except Exception as exc:
                notes.append(f"baseline not measured: {exc}"[:300])
        print(f"  cold servers up in {time.monotonic() - t:.1f} s", flush=True)
        for i in range(repeat):
            for name in (["baseline"] if plain else []) + units:
                if left() < 30:
                    notes.append(f"cold repetition {i + 1} of {name}: skipped, past --max-minutes")
                    continue
                try:
                    if name == "baseline":
                        r = measure(browser, plain.url(), f"http://127.0.0.1:{plain.port}", plain.token, False,
                                    args.lang, min(left(), 180))
                        base.append(r["shown"])
                    else:
                        r = measure(browser, server.url(f"/voila/render/{name}.ipynb"), server.base, server.token,
                                    True, args.lang, min(left(), 180))
                        cold[name].append(r)
                    progress("cold", name, i, r)
                except Exception as exc:
                    notes.append(f"cold {name} #{i + 1} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                    print(f"  ! {notes[-1]}", flush=True)
        cold_log = server.read_log()
        server.stop()
        if plain:
            stop_all()   # the plain Voila (the classroom server is already stopped)

        # ---- warm: the units warmed as for a class -------------------------------------------------
        if left() > 60:
            t = time.monotonic()
            flags = ["--pool", "0", "--lang", args.lang, "--fill-delay", "3600"]
            for name in units:
                flags += ["--warm", f"{name[:2]}:{repeat}"]
            (work / "warm").mkdir()
            server = ClassroomServer(work / "warm", flags)
            SERVERS.append(("classroom warm", server))
            server.start()
            for name in units:
                server.wait_for_pool(name, timeout=max(10, left() - 30))
            wait_quiet(server.proc.pid, timeout=max(10, left() - 30))
            print(f"  warm server up, {len(units) * repeat} kernels warmed and quiet, in {time.monotonic() - t:.1f} s",
                  flush=True)
            for i in range(repeat):
                for name in units:
                    if left() < 20:
                        notes.append(f"warm repetition {i + 1} of {name}: skipped, past --max-minutes")
                        continue
                    try:
                        r = measure(browser, server.url(f"/voila/render/{name}.ipynb"), server.base, server.token,
                                    True, args.lang, min(left(), 120))
                        warm[name].append(r)
                        progress("warm", name, i, r)
                    except Exception as exc:
                        notes.append(f"warm {name} #{i + 1} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                        print(f"  ! {notes[-1]}", flush=True)
            warm_log = server.read_log()
            server.stop()
            used = warm_log.count("Using pre-heated kernel")
            taken = sum(len(v) for v in warm.values())
            if used < taken:
                notes.append(f"only {used} of {taken} warm pages were given a preheated kernel (server log)")
        else:
            notes.append("warm pages not measured: past --max-minutes")
        if "Traceback" in cold_log:
            notes.append("the cold server logged a traceback: " + cold_log[cold_log.index("Traceback"):][:300])
    finally:
        if browser is not None:
            try:
                browser.close()
            except Exception:
                pass
        if pw is not None:
            try:
                pw.stop()
            except Exception:
                pass
        stop_all()
        shutil.rmtree(work, ignore_errors=True)

    print()
    for name in units:
        for mode, runs in (("cold", cold[name]), ("warm", warm[name])):
            print(line(f"{name} page shown ({mode} page, {WHERE})", [r["shown"] for r in runs]))
            print(line(f"{name} time to interactive ({mode} page, {WHERE})", [r["interactive"] for r in runs]))
    if not args.skip_baseline:
        print(line(f"baseline.ipynb page shown (cold page, plain Voila, {WHERE})", base))
    if base:
        b = statistics.median(base)
        ratios = ", ".join(f"{n[:2]} {statistics.median([r['shown'] for r in cold[n]]) / b:.2f}x"
                           for n in units if cold[n])
        print(f"cold page shown / baseline page shown (medians): {ratios}")
    rt = "; ".join(f"{n[:2]} cold {statistics.median([r['roundtrip'] for r in cold[n]]):.0f} ms, "
                   f"warm {statistics.median([r['roundtrip'] for r in warm[n]]):.0f} ms"
                   for n in units if cold[n] and warm[n])
    if rt:
        print(f"first pick, click to acknowledged (medians): {rt}")
    for n in notes:
        print(f"! {n}")
    print(f"load average {os.getloadavg()[0]:.2f} at end; {time.monotonic() - t_start:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
