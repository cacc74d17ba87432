"""The live case session under a class (issue 25): N simulated students vote, the instructor watches.

    python benchmarks/bench_live_session.py              # 60 students, about 6-9 minutes on 2 cores
    python benchmarks/bench_live_session.py --n 10       # a quick look

127.0.0.1 only; at most 100 simulated students; bounded (--max-minutes, default 15, and a watchdog
that ends the process two minutes after that); the server is stopped by PID whatever happens.

The server is the classroom server with a class folder (tests/test_live_session.py's LiveServer),
unit 3 (Qingdao) preheated for every student plus the reloads: N + 3 kernels that have each run
the unit and rendered its page before anyone arrives. The students are protocol clients that speak
the Jupyter widget protocol over their page's kernel websocket (tests/test_live_session.py's
LiveStudent, built on benchmarks/bench_classroom.py's client; 60 real browsers do not fit 2 cores):
each asks for the page (and keeps the student-id cookie the server sets), reads every widget, and
clicks buttons of the decision panel as a phone would. Then:

1. The instructor opens voting (POST /casekit/instructor/action); time until each page's buttons are enabled.
2. Every student votes once at a random moment within 10 s (a reason typed, then an option
   clicked); a fifth of them change their mind once, 1 s later. A vote is *stored* when the click's
   answer (the kernel idle, the button marked) has come back. Meanwhile the instructor's page is
   imitated: ``state.json`` fetched every second (the page's own interval, POLL_MS), and a vote is
   *on the chart* at the end of the first fetch that started after it was stored; its latency is
   from the click to that moment (so it includes up to a second of the page's polling).
3. Three students reload (a new kernel, the same cookie) and must see their vote, not vote anew.
4. The store is read directly: one row per student, no voter twice, every acknowledged option there.
5. The instructor closes voting and shows the split; time until each page's split widget shows all N votes.
6. The instructor releases case B; time until each page shows it.

    python benchmarks/bench_live_session.py --stall --opens 40 --reloads 10

``--stall`` runs ``bench_stall.py classroom`` (Chromium pages of unit 2, each waited for until its
explorer shows) against the live session instead: the server has a class folder, case B of unit 2
is released (the explorer sits below the reveal), and an instructor thread shows and hides the
split on the unit's points every half second, so every page's kernel pushes widget updates while
Voilà is still running the page's cells: the stall of benchmarks/README.md must not come back.
"""
from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_classroom import _pct, server_memory, wait_quiet  # noqa: E402
from test_live_session import LiveServer, LiveStudent, live_classroom_module  # noqa: E402

from casekit.decision_cases import load_case  # noqa: E402

UNIT = "03_qingdao_six_paths"
UNIT_NAME = "qingdao_six_paths"
POINT = "buy_or_build"       # the decision panel's first point (two options)
POLL_S = 1.0                 # the instructor page's interval (casekit.live_server.POLL_MS)
RELOADS = 3


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_s": _pct(values, .5), "p95_s": _pct(values, .95),
            "max_s": max(values, default=float("nan"))}


async def instructor_poller(server: LiveServer, stop: asyncio.Event, polls: list):
    """Fetch state.json once a second, as the instructor's page does; record (start, end, votes)."""
    from tornado.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient()
    url = f"{server.base}/casekit/instructor/state.json?unit={UNIT_NAME}"
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            resp = await client.fetch(url, headers={"X-Casekit-Instructor": server.instructor}, request_timeout=30)
            data = json.loads(resp.body)
            votes = next(p["votes"] for p in data["points"] if p["id"] == POINT)
            polls.append((t0, time.monotonic(), votes))
        except Exception as exc:   # report, never stop the run
            polls.append((t0, time.monotonic(), f"error: {exc}"[:80]))
        await asyncio.sleep(max(0.0, POLL_S - (time.monotonic() - t0)))


async def act(server: LiveServer, action: str, point: str | None = POINT) -> float:
    from tornado.httpclient import AsyncHTTPClient

    t0 = time.monotonic()
    resp = await AsyncHTTPClient().fetch(
        f"{server.base}/casekit/instructor/action", method="POST", request_timeout=30,
        headers={"X-Casekit-Instructor": server.instructor, "Content-Type": "application/json"},
        body=json.dumps({"action": action, "unit": UNIT_NAME, "point": point}))
    assert resp.code == 200, resp.body
    return t0


async def session(server: LiveServer, n: int, report: dict) -> None:
    rng = random.Random(25)
    students = [LiveStudent(server, f"s{i}") for i in range(n)]
    t0 = time.monotonic()
    opened, errors = [], []

    async def join(s):
        try:
            opened.append(await s.open())
        except Exception as exc:
            errors.append(f"open {s.name}: {exc}"[:160])

    for k in range(0, n, 6):          # six at a time: opening is not what this run measures
        await asyncio.gather(*(join(s) for s in students[k:k + 6]))
    students = [s for s in students if s.panels]
    report["open"] = summary(opened) | {"errors": errors, "span_s": time.monotonic() - t0}
    print(f"opened {len(students)}/{n} pages in {time.monotonic() - t0:.0f} s", flush=True)

    # 1. voting opens
    enabled = lambda s: not s.states[s.panels[0]["buttons"][0]].get("disabled")  # noqa: E731
    t_open = await act(server, "open")
    got = await asyncio.gather(*(s.wait_until(lambda s=s: enabled(s), timeout=30) for s in students),
                               return_exceptions=True)
    report["open_reaches_page"] = summary([g - t_open for g in got if isinstance(g, float)]) | {
        "missed": sum(not isinstance(g, float) for g in got)}

    # 2. every student votes within 10 s; the instructor's page polls
    stop, polls = asyncio.Event(), []
    poller = asyncio.ensure_future(instructor_poller(server, stop, polls))
    offsets = [rng.uniform(0, 10) for _ in students]
    changers = set(rng.sample(range(len(students)), len(students) // 5))
    sent, acked, final = {}, {}, {}
    vote_errors = []

    async def vote(i, s):
        await asyncio.sleep(offsets[i])
        option = rng.randrange(2)
        try:
            await s.type_reason(0, f"学生 {i} 的理由：芯片决定成本" if i % 2 else f"student {i}: <b>cost</b> & control")
            sent[i] = time.monotonic()
            await s.click(0, option)
            if s.picked(0) != option:
                raise RuntimeError(f"not recorded: {s.value(s.panels[0]['status'])[:120]}")
            acked[i] = time.monotonic()
            final[s.sid_cookie] = option
            if i in changers:
                await asyncio.sleep(1.0)
                await s.click(0, 1 - option)
                if s.picked(0) != 1 - option:
                    raise RuntimeError("change not recorded")
                final[s.sid_cookie] = 1 - option
        except Exception as exc:
            vote_errors.append(f"{s.name}: {exc}"[:160])

    t_votes = time.monotonic()
    await asyncio.gather(*(vote(i, s) for i, s in enumerate(students)))
    vote_span = time.monotonic() - t_votes
    await asyncio.sleep(2 * POLL_S + 0.5)
    stop.set()
    await poller
    good = [p for p in polls if isinstance(p[2], int)]
    chart = []
    for i in acked:
        after = [p for p in good if p[0] >= acked[i]]
        if after:
            chart.append(after[0][1] - sent[i])
    report["votes"] = {"students": len(students), "sent": len(sent), "stored": len(acked),
                       "changed": len(changers), "errors": vote_errors[:5], "span_s": vote_span,
                       "click_to_stored": summary([acked[i] - sent[i] for i in acked]),
                       "click_to_chart": summary(chart),
                       "chart_final_votes": good[-1][2] if good else None,
                       "poll_errors": sum(not isinstance(p[2], int) for p in polls),
                       "poll_request": summary([p[1] - p[0] for p in good])}

    # 3. reloads: the same cookie, a new kernel, the vote shown, nothing new stored
    reload_ok = 0
    for s in students[:RELOADS]:
        again = LiveStudent(server, s.name + "-reload", cookies=s.cookies)
        try:
            await again.open()
            reload_ok += again.picked(0) == final.get(s.sid_cookie) and again.sid_cookie == s.sid_cookie
        except Exception as exc:
            vote_errors.append(f"reload {s.name}: {exc}"[:160])
        finally:
            await again.close()
    report["reloads"] = {"tried": RELOADS, "showed_their_vote": reload_ok}

    # 4. the store, read directly
    con = sqlite3.connect(f"file:{server.folder / 'casekit-live.sqlite3'}?mode=ro", uri=True)
    rows = con.execute("SELECT voter, option FROM votes WHERE unit = ? AND point = ?", (UNIT_NAME, POINT)).fetchall()
    con.close()
    point = next(p for p in server.state()["points"] if p["id"] == POINT)
    options = [o["id"] for o in point["options"]]
    by_count = {o: sum(1 for _, opt in rows if opt == o) for o in options}
    want = {o: sum(1 for v in final.values() if v == k) for k, o in enumerate(options)}
    report["store"] = {"rows": len(rows), "distinct_voters": len({r[0] for r in rows}), "students": len(students),
                       "stored_pct": 100.0 * len(rows) / max(1, len(students)),
                       "doubled": len(rows) - len({r[0] for r in rows}), "counts": by_count,
                       "counts_match_acknowledged": by_count == want}

    # 5. close, then show: the split reaches every page
    await act(server, "close")
    want_text = f"全班的选择（共 {len(rows)} 票）"
    t_show = await act(server, "show")
    got = await asyncio.gather(*(s.wait_until(lambda s=s: want_text in s.value(s.panels[0]["split"]), timeout=30)
                                 for s in students), return_exceptions=True)
    report["show_reaches_page"] = summary([g - t_show for g in got if isinstance(g, float)]) | {
        "missed": sum(not isinstance(g, float) for g in got)}

    # 6. release case B
    title = html.escape(load_case(UNIT_NAME).sequel.title_zh)
    t_rel = await act(server, "release", None)
    got = await asyncio.gather(*(s.wait_until(lambda s=s: s.shows(title), timeout=30) for s in students),
                               return_exceptions=True)
    report["release_reaches_page"] = summary([g - t_rel for g in got if isinstance(g, float)]) | {
        "missed": sum(not isinstance(g, float) for g in got)}
    mem = server_memory(server.proc.pid)
    report["memory"] = {"server_and_kernels_mb": mem[0], "kernels": mem[1], "mean_kernel_mb": mem[2]}
    for s in students:
        await s.close()


def stall(argv: list[str]) -> int:
    """bench_stall.py classroom with the live session on (see the module's docstring)."""
    import classroom_helpers
    import bench_stall

    steps = {"n": 0, "errors": 0}

    class Live(LiveServer):
        def start(self, timeout=180, env=None):
            env = dict(env or {})
            if "PYTHONPATH" in env:   # bench_stall's tree first, then the hook's copy of classroom.py
                env["PYTHONPATH"] = os.pathsep.join(p for p in (self.extra_path, env["PYTHONPATH"]) if p)
            out = super().start(timeout, env)
            threading.Thread(target=self.instruct, daemon=True).start()
            return out

        def instruct(self):
            self.api("action", {"action": "release", "unit": "keda_zhongtu"})
            points = ["keda_2018_path", "explorer_keep_pattern", "explorer_skip_first_stage"]
            k = 0
            while self.proc is not None and self.proc.poll() is None:
                try:
                    code, _ = self.api("action", {"action": ["show", "hide"][(k // 3) % 2], "unit": "keda_zhongtu",
                                                  "point": points[k % 3]})
                    steps["n"] += 1
                    steps["errors"] += code != 200
                except Exception:   # the server stopping at the end
                    steps["errors"] += 1
                k += 1
                time.sleep(0.5)

    def factory(log_dir, args=None):
        module, extra = live_classroom_module(Path(log_dir) / "hook")
        return Live(Path(log_dir), list(args or []), folder=Path(log_dir) / "class", module=module, extra_path=extra)

    classroom_helpers.ClassroomServer = factory
    rc = bench_stall.main(["classroom", *argv])
    print(f"instructor steps during the run: {steps['n']} (errors {steps['errors']}, the last ones as the server stops)",
          flush=True)
    return rc


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--stall" in argv:
        argv.remove("--stall")
        return stall(argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stall", action="store_true", help="bench_stall.py classroom with the live session on; "
                   "the other options go to bench_stall.py (e.g. --opens 40 --reloads 10)")
    p.add_argument("--n", type=int, default=60, help="simulated students (at most 100)")
    p.add_argument("--max-minutes", type=float, default=15)
    p.add_argument("--json", type=Path, default=ROOT / "artifacts" / "bench_live_session.json")
    args = p.parse_args(argv)
    if not 1 <= args.n <= 100:
        p.error("--n is 1 to 100")
    watchdog = threading.Timer(args.max_minutes * 60 + 120, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()
    t_start = time.monotonic()
    work = ROOT / "artifacts" / "bench_live_session"
    work.mkdir(parents=True, exist_ok=True)
    # the hooked copy of classroom.py (until classroom.py has the hook) lives outside the repository
    module, extra = live_classroom_module(Path(tempfile.mkdtemp(prefix="casekit-live-hook-")))
    folder = work / f"class-{time.strftime('%Y%m%d-%H%M%S')}"
    warm = args.n + RELOADS
    server = LiveServer(work, ["--pool", "0", "--warm", f"03:{warm}", "--max-students", str(warm + 5),
                               "--lang", "zh"], folder=folder, module=module, extra_path=extra)
    report = {"machine": {"cores": os.cpu_count(), "load_at_start": os.getloadavg()}, "n": args.n}
    try:
        server.start()
        t0 = time.monotonic()
        server.wait_for_pool(UNIT, timeout=args.max_minutes * 60)
        wait_quiet(server.proc.pid, timeout=max(60, args.max_minutes * 60 - (time.monotonic() - t_start)))
        mem = server_memory(server.proc.pid)
        report["warm"] = {"kernels": warm, "seconds": time.monotonic() - t0, "server_and_kernels_mb": mem[0]}
        print(json.dumps(report["warm"]), flush=True)

        async def bounded():
            left = args.max_minutes * 60 - (time.monotonic() - t_start)
            await asyncio.wait_for(session(server, args.n, report), timeout=max(60, left))

        asyncio.run(bounded())
    finally:
        server.stop()
    report["load_at_end"] = os.getloadavg()
    report["runtime_s"] = time.monotonic() - t_start
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    v, st = report["votes"], report["store"]
    print(f"\n{args.n} students, unit 3 preheated ({report['warm']['kernels']} kernels, warming "
          f"{report['warm']['seconds']:.0f} s, {report['warm']['server_and_kernels_mb']:.0f} MB)")
    print("| measure | n | p50 s | p95 s | max s |\n|---|---|---|---|---|")
    for key, label in (("open_reaches_page", "open voting → page's buttons enabled"),
                       (None, "click → vote stored (kernel's answer back)"),
                       (None, "click → on the instructor's chart (state.json every 1 s)"),
                       ("show_reaches_page", "show → page's split shows all votes"),
                       ("release_reaches_page", "release → page shows case B")):
        r = report[key] if key else (v["click_to_stored"] if "stored" in label else v["click_to_chart"])
        print(f"| {label} | {r['n']} | {r['p50_s']:.2f} | {r['p95_s']:.2f} | {r['max_s']:.2f} |")
    print(f"\nvotes sent {v['sent']}, stored {v['stored']} ({st['stored_pct']:.0f} % of students in the store: "
          f"{st['rows']} rows, {st['distinct_voters']} voters, doubled {st['doubled']}, counts match "
          f"{st['counts_match_acknowledged']}); {v['changed']} changed their mind; vote errors {len(v['errors'])}; "
          f"reloads showing their vote {report['reloads']['showed_their_vote']}/{report['reloads']['tried']}; "
          f"memory {report['memory']['server_and_kernels_mb']:.0f} MB; runtime {report['runtime_s'] / 60:.1f} min; "
          f"JSON {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
