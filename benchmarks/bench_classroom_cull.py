"""Pages that go away on the classroom server: how soon their kernels are free (issue: kernels follow pages).

    python benchmarks/bench_classroom_cull.py                       # 40 pages open, then all go: time back to the pool
    python benchmarks/bench_classroom_cull.py --phase burst         # what fill_delay costs a page when a class arrives
    python benchmarks/bench_classroom_cull.py --phase kernels       # one kernel's memory per unit (classroom.KERNEL_MB)

Cull (default). A server on 127.0.0.1 with unit 2 warmed (``--pool`` kernels) and the default grace;
``--pages`` student pages open unit 2 (four at a time), each as a page does it: the page's HTTP
request, which gives it a kernel, then its kernel websocket and a ``kernel_info`` round trip, and
from then on an answer to each of the server's pings. Then every page goes away without
``beforeunload`` (no shutdown request), the way phones leave: half close their tab (the browser
ends the connection), half go silent (a phone asleep or out of range: the socket stays open and
nothing comes back, not even a pong). Measured: for each page, the time from its leaving until
its kernel is gone; and the time until the server's kernels are back to the pool size (every
student kernel gone and the pool full again). Target: within 5 minutes.

Burst. A fresh server with ``--burst-pool`` kernels of unit 2 warmed (fewer than the class, so the
pool drains) and a given fill delay; ``--burst`` students open unit 2 at random moments within
``--window`` seconds, as benchmarks/bench_classroom.py's protocol students do (page, websocket,
every widget's state, one control move answered). Reported per fill delay: time to interactive,
p50/p95/max, and how many within 30 s.

Kernels. For each unit, a server with one kernel of it warmed; a page opens it and connects; after
the kernel has settled, the resident memory (VmRSS) of the kernel process.

Bounded: at most 100 pages, at most --max-minutes in all (a watchdog ends the script); every server
is stopped by PID whatever happens. Students and servers are on this machine; nothing else is contacted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from classroom_helpers import ClassroomServer, RawPage

UNIT = "02_keda_zhongtu"
SERVERS: list[ClassroomServer] = []   # stopped by the watchdog too


def start(work: Path, args: list[str]) -> ClassroomServer:
    server = ClassroomServer(work, args)
    SERVERS.append(server)
    return server.start()


def stop_all_and_exit(code: int) -> None:
    for server in SERVERS:
        try:
            server.stop()
        except Exception:
            pass
    os._exit(code)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def kernels(server: ClassroomServer) -> list[str]:
    """The ids of the server's kernels (processes; Voilà serves no kernel list)."""
    return list(kernel_rss_mb(server))


def kernel_rss_mb(server: ClassroomServer) -> dict[str, float]:
    """{kernel id: RSS in MB} of the server's kernels (the kernel id is in its connection file's name)."""
    import psutil

    out = {}
    for child in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
            if "ipykernel" in cmd and "kernel-" in cmd:
                kid = cmd.split("kernel-", 1)[1].split(".json", 1)[0]
                out[kid] = child.memory_info().rss / 2**20
        except psutil.Error:
            pass
    return out


def wait_pool_ready(server: ClassroomServer, n: int, timeout: float = 900) -> float:
    """Until the server has ``n`` kernels and has gone quiet (the pool's kernels have run the unit)."""
    from bench_classroom import wait_quiet

    t0 = time.monotonic()
    while len(kernels(server)) < n:
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"the pool did not reach {n} kernels")
        time.sleep(1)
    wait_quiet(server.proc.pid, timeout=timeout)
    return time.monotonic() - t0


# --------------------------------------------------------------------------------------------
def cull(args, work: Path) -> dict:
    server = start(work, ["--pool", "0", "--warm", f"02:{args.pool}", "--max-students", str(args.pages + 10),
                          "--lang", "zh", *(["--grace", str(args.grace)] if args.grace else [])])
    try:
        warm_s = wait_pool_ready(server, args.pool)
        pool_ids = set(kernels(server))
        pages = [RawPage(server) for _ in range(args.pages)]
        t_open, errors = time.monotonic(), []

        def open_one(p):
            try:
                p.open()
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:160])

        with ThreadPoolExecutor(4) as ex:
            list(ex.map(open_one, pages))
        opened = [p for p in pages if p.kernel_id]
        open_s = time.monotonic() - t_open
        time.sleep(5)
        before = kernel_rss_mb(server)
        n_before = len(kernels(server))
        # Everyone leaves at once: half close the tab, half go silent.
        t0 = time.monotonic()
        how = {}
        for i, p in enumerate(opened):
            if i % 2 == 0:
                p.close()
                how[p.kernel_id] = "closed"
            else:
                p.go_silent()
                how[p.kernel_id] = "silent"
        gone: dict[str, float] = {}
        back_s = None
        deadline = t0 + args.max_wait
        while time.monotonic() < deadline:
            now = kernels(server)
            for kid in how:
                if kid not in now and kid not in gone:
                    gone[kid] = time.monotonic() - t0
            if len(gone) == len(how) and len(now) == args.pool and back_s is None:
                back_s = time.monotonic() - t0
                break
            time.sleep(2)
        after = kernel_rss_mb(server)
        log = server.read_log()
    finally:
        server.stop()
    by = {k: [gone[kid] for kid, h in how.items() if h == k and kid in gone] for k in ("closed", "silent")}
    return {"pages": args.pages, "opened": len(opened), "open_errors": errors[:3], "open_s": open_s,
            "pool": args.pool, "warm_s": warm_s, "grace_s": args.grace or "default",
            "kernels_before": n_before, "kernels_mb_before": sum(before.values()),
            "kernels_after": len(after), "kernels_mb_after": sum(after.values()),
            "back_to_pool_s": back_s,
            "closed_gone_s": [min(by["closed"], default=float("nan")), max(by["closed"], default=float("nan"))],
            "silent_gone_s": [min(by["silent"], default=float("nan")), max(by["silent"], default=float("nan"))],
            "not_gone": len(how) - len(gone), "pool_kernels_kept": len(pool_ids & set(after)),
            "ping_timeouts_logged": log.count("WebSocket ping timeout"),
            "freed_logged": log.count("has been gone for")}


# --------------------------------------------------------------------------------------------
async def _burst(server: ClassroomServer, n: int, window: float, seed: int) -> dict:
    import bench_classroom
    from bench_classroom import ProtocolStudent

    bench_classroom.TIMEOUT = 60.0   # a slow answer is measured here, not counted as an error after 15 s
    rng = random.Random(seed)
    offsets = sorted(rng.uniform(0, window) for _ in range(n))
    students = [ProtocolStudent(server, f"b{i}") for i in range(n)]
    times, errors = [], []

    async def arrive(s, offset):
        await asyncio.sleep(offset)
        try:
            times.append(await s.open())
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:160])

    await asyncio.gather(*(arrive(s, o) for s, o in zip(students, offsets)))
    for s in students:
        if s.ws is not None:
            s.ws.close()
    return {"students": n, "opened": len(times), "errors": len(errors), "error_kinds": sorted(set(errors))[:3],
            "p50_s": _pct(times, .5), "p95_s": _pct(times, .95), "max_s": max(times, default=float("nan")),
            "mean_s": statistics.fmean(times) if times else float("nan"), "within_30s": sum(t <= 30 for t in times)}


def burst(args, work: Path) -> list[dict]:
    rows = []
    for delay in [float(x) for x in args.fill_delays.split(",") if x]:
        server = start(work, ["--pool", "0", "--warm", f"02:{args.burst_pool}", "--lang", "zh",
                              "--max-students", str(args.burst + 5), "--fill-delay", str(delay)])
        try:
            wait_pool_ready(server, args.burst_pool)
            row = asyncio.run(_burst(server, args.burst, args.window, seed=15))
        finally:
            server.stop()
        row.update(fill_delay_s=delay, warmed=args.burst_pool)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


# --------------------------------------------------------------------------------------------
def kernel_memory(args, work: Path) -> dict:
    from casekit import units

    out = {}
    for name in units.unit_names():
        nb = units.unit_notebook(name)
        server = start(work, ["--pool", "0", "--warm", f"{nb}:1", "--max-students", "3", "--lang", "zh"])
        try:
            wait_pool_ready(server, 1)
            page = RawPage(server, f"{nb}.ipynb").open()
            time.sleep(2)
            from bench_classroom import wait_quiet

            wait_quiet(server.proc.pid)
            out[name] = round(kernel_rss_mb(server)[page.kernel_id])
            page.close()
        finally:
            server.stop()
        print(f"{name}: {out[name]} MB", flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--phase", choices=("cull", "burst", "kernels"), default="cull")
    p.add_argument("--pages", type=int, default=40)
    p.add_argument("--pool", type=int, default=10, help="unit 2 kernels warmed (cull phase)")
    p.add_argument("--grace", type=int, default=0, help="the server's --grace (0: its default)")
    p.add_argument("--max-wait", type=float, default=600, help="seconds to wait for the kernels to go")
    p.add_argument("--burst", type=int, default=30)
    p.add_argument("--burst-pool", type=int, default=10)
    p.add_argument("--window", type=float, default=60)
    p.add_argument("--fill-delays", default="0,20")
    p.add_argument("--max-minutes", type=float, default=25)
    p.add_argument("--json", type=Path, default=ROOT / "artifacts" / "bench_classroom_cull.json")
    args = p.parse_args(argv)
    if args.pages > 100 or args.burst > 100:
        p.error("at most 100 pages")
    signal.signal(signal.SIGTERM, lambda *_: stop_all_and_exit(143))
    watchdog = threading.Timer(args.max_minutes * 60, stop_all_and_exit, (3,))
    watchdog.daemon = True
    watchdog.start()
    work = ROOT / "artifacts" / "bench_classroom_cull"
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    report = {"machine": {"cores": os.cpu_count(), "load_start": os.getloadavg()}, "phase": args.phase}
    if args.phase == "cull":
        report["cull"] = cull(args, work)
        print(json.dumps(report["cull"], indent=1))
        c = report["cull"]
        print(f"\n{c['opened']} pages left at once ({c['opened'] // 2 + c['opened'] % 2} closed, {c['opened'] // 2} "
              f"silent): closed tabs' kernels gone after {c['closed_gone_s'][0]:.0f}–{c['closed_gone_s'][1]:.0f} s, "
              f"silent pages' after {c['silent_gone_s'][0]:.0f}–{c['silent_gone_s'][1]:.0f} s; back to the pool of "
              f"{c['pool']} after {c['back_to_pool_s'] if c['back_to_pool_s'] is None else round(c['back_to_pool_s'])} s "
              f"({c['kernels_mb_before'] / 1024:.1f} GB of kernels before, {c['kernels_mb_after'] / 1024:.1f} GB after)")
    elif args.phase == "burst":
        report["burst"] = burst(args, work)
        print("\n| fill delay s | students | warmed | p50 s | p95 s | max s | within 30 s | errors |")
        print("|---|---|---|---|---|---|---|---|")
        for r in report["burst"]:
            print(f"| {r['fill_delay_s']:g} | {r['students']} | {r['warmed']} | {r['p50_s']:.1f} | {r['p95_s']:.1f} | "
                  f"{r['max_s']:.1f} | {r['within_30s']}/{r['students']} | {r['errors']} |")
    else:
        report["kernel_mb"] = kernel_memory(args, work)
        print(json.dumps(report["kernel_mb"]))
    report["runtime_s"] = time.monotonic() - t0
    report["machine"]["load_end"] = os.getloadavg()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.with_name(f"{args.json.stem}_{args.phase}.json").write_text(json.dumps(report, indent=1))
    print(f"\nruntime {report['runtime_s'] / 60:.1f} min; load {report['machine']['load_start']} -> "
          f"{report['machine']['load_end']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
