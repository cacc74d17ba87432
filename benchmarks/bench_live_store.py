"""The live case session's store under a class at once (issue 25): N students × W vote writes.

    .venv/bin/python benchmarks/bench_live_store.py                  # 60 students × 20 writes, about 10-30 s
    .venv/bin/python benchmarks/bench_live_store.py --students 100 --writes 20 --think-ms 50

Each simulated student is a process of its own (as each student page is a kernel of its own on the
classroom server), forked from this one, with its own connection to one store
(``casekit.live.ClassStore``) in a temporary class folder. All start together at a barrier and
write their votes back to back (``--think-ms`` adds a pause between a student's writes: 0, the
default, is the worst case, everybody pressing at the same instant), each vote a change of option
and reason on one of the unit's decision points. Meanwhile this process plays the instructor's
page and polls ``state()`` and ``split()`` every 100 ms.

Printed: write latency (one ``vote()`` call, from the call to the committed row) p50/p95/p99/max;
the instructor's poll while the class writes; then, with the writes done, the aggregate reads an
instructor page makes (``state`` + ``split`` + ``reasons`` for every point of the unit, and the
CSV export), each the median of 30. The run checks what it wrote: exactly one row per student and
point voted on, each holding that student's last vote.

Bounded: at most 200 students and 200 writes each; a run still going after ``--max-seconds``
(default 120) is stopped (only the processes it started) and reported as such. On 127.0.0.1 only:
no network is used at all. The store lives in a temporary folder, deleted at the end.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from casekit import decision_cases as dc  # noqa: E402
from casekit import live  # noqa: E402

DEMO = "bench_unit"


def catalog() -> tuple[str, dict | None]:
    """The unit to vote on: a bundled case with decision points if there is one, else a stand-in with
    the same shape (two points of four options), so the figures do not depend on the case data."""
    for unit in dc.case_units():
        if dc.load_case(unit).decision_points:
            return unit, None
    opts = [{"id": f"o{i}", "zh": f"选项{i}", "en": f"option {i}"} for i in range(1, 5)]
    points = [dc.DecisionPoint(id=f"p{k}", kind=kind, question_zh=f"问题{k}", question_en=f"question {k}",
                               options=opts) for k, kind in ((1, "decision"), (2, "prediction"))]
    return DEMO, {DEMO: points}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def student(folder: str, unit: str, cases, writes: int, think: float, barrier, out, seed: int) -> None:
    rng = random.Random(seed)
    store = live.ClassStore(folder, create=False, cases=cases)
    sid = store.issue_student()
    pts = store.points(unit)
    lat, last, errors = [], {}, []
    barrier.wait(timeout=60)
    for i in range(writes):
        p = pts[i % len(pts)]
        option = rng.choice(p.options).id
        reason = f"student {seed} change {i}: {'理由' * rng.randint(0, 20)}"
        t0 = time.perf_counter()
        try:
            store.vote(sid, unit, p.id, option, reason=reason)
        except live.LiveError as exc:
            errors.append(exc.code)
        else:
            lat.append((time.perf_counter() - t0) * 1000)
            last[p.id] = option
        if think:
            time.sleep(think * rng.uniform(0.5, 1.5))
    store.close()
    out.put((seed, sid, lat, last, errors))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=60)
    ap.add_argument("--writes", type=int, default=20)
    ap.add_argument("--think-ms", type=float, default=0.0)
    ap.add_argument("--max-seconds", type=float, default=120.0)
    args = ap.parse_args()
    n, w = min(max(1, args.students), 200), min(max(1, args.writes), 200)
    if "fork" not in mp.get_all_start_methods():
        print("needs the fork start method (Linux, macOS); not available here")
        return 1
    ctx = mp.get_context("fork")
    unit, cases = catalog()
    folder = tempfile.mkdtemp(prefix="casekit-bench-live-")
    print(f"casekit live store: {n} students x {w} writes, think {args.think_ms:g} ms, unit {unit}"
          f"{' (stand-in points: the bundled cases have none yet)' if cases else ''}; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; SQLite {live.sqlite3.sqlite_version}")
    store = live.ClassStore(folder, class_name="bench", cases=cases)
    pts = store.points(unit)
    for p in pts:
        store.open_voting(unit, p.id)
    barrier, out = ctx.Barrier(n + 1), ctx.Queue()
    procs = [ctx.Process(target=student, args=(folder, unit, cases, w, args.think_ms / 1000, barrier, out, i))
             for i in range(n)]
    t_start = time.perf_counter()
    for pr in procs:
        pr.start()
    polls: list[float] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            t0 = time.perf_counter()
            store.state(unit)
            for p in pts:
                store.split(unit, p.id)
            polls.append((time.perf_counter() - t0) * 1000)
            done.wait(0.1)

    results, stopped = [], False
    try:
        barrier.wait(timeout=60)
        t0 = time.perf_counter()
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        deadline = time.monotonic() + args.max_seconds
        while len(results) < n and time.monotonic() < deadline:
            try:
                results.append(out.get(timeout=max(0.1, min(1.0, deadline - time.monotonic()))))
            except queue.Empty:   # keep waiting until the deadline
                if not any(p.is_alive() for p in procs) and out.empty():
                    break
        wall = time.perf_counter() - t0
        done.set()
        poller.join(timeout=5)
    finally:
        for pr in procs:
            pr.join(timeout=max(0.1, 5))
            if pr.is_alive():      # only the processes this run started, by their own handle
                stopped = True
                pr.terminate()
                pr.join(timeout=5)
    lat = [x for r in results for x in r[2]]
    errors = [e for r in results for e in r[4]]

    # What was written: one row per student and point, each the student's last vote.
    wrong = 0
    for _seed, sid, _lat, last, _err in results:
        for pid, option in last.items():
            mine = store.my_vote(sid, unit, pid)
            wrong += mine is None or mine.option != option
    expected_rows = sum(len(r[3]) for r in results)
    rows = sum(store.split(unit, p.id).total for p in pts)

    def median_ms(fn, k: int = 30) -> float:
        ts = []
        for _ in range(k):
            t0 = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t0) * 1000)
        return statistics.median(ts)

    def page() -> None:
        store.state(unit)
        for p in pts:
            store.split(unit, p.id)
            store.reasons(unit, p.id)

    agg = median_ms(page)
    export = median_ms(lambda: store.export_csv(os.path.join(folder, "export.csv")), 10)
    poll_ms = median_ms(lambda: store.version(unit), 200)
    store.close()
    shutil.rmtree(folder, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f} at end; wall {time.perf_counter() - t_start:.1f} s "
          f"(writes {wall:.1f} s, {len(lat) / wall if wall else 0:.0f} writes/s)")
    table = [
        (f"vote write, {n} students at once (n={len(lat)})",
         f"p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms, p99 {pct(lat, 99):.1f} ms, "
         f"max {max(lat, default=float('nan')):.1f} ms"),
        (f"instructor poll while they write: state + split of {len(pts)} points (n={len(polls)})",
         f"p50 {pct(polls, 50):.1f} ms, p95 {pct(polls, 95):.1f} ms"),
        (f"aggregate read after: state + split + reasons of {len(pts)} points", f"median {agg:.2f} ms"),
        ("version(unit), the cheap poll", f"median {poll_ms:.3f} ms"),
        (f"export_csv of {rows} rows", f"median {export:.2f} ms"),
        ("rows in the store / expected", f"{rows} / {expected_rows}; {wrong} not the student's last vote"),
        ("refusals; students finished", f"{len(errors)} {sorted(set(errors))}; {len(results)} of {n}"
                                         f"{' (stopped at --max-seconds)' if stopped else ''}"),
    ]
    width = max(len(a) for a, _ in table)
    print()
    print(f"{'measure':<{width}}   figure")
    print("-" * (width + 60))
    for what, figure in table:
        print(f"{what:<{width}} : {figure}")
    ok = not errors and rows == expected_rows and not wrong and len(results) == n and not stopped
    print("\nresult:", "OK" if ok else "PROBLEM")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
