"""Class load on the classroom server (issue 15): simulated students on unit 2, 127.0.0.1 only.

    python benchmarks/bench_classroom.py                      # N = 10, 20, 40, 60 and the start of class
    python benchmarks/bench_classroom.py --ns 10 --burst 0    # a quick look

Steady state: N students have unit 2 (02_keda_zhongtu) open; each moves a control (the explorer's
first dropdown, as the browser test does) every 3 s. An update counts when that student's page
shows the change: in Chromium, when the explorer's output (text, image, SVG) differs from before
the move; for a protocol client, when the kernel's widget updates for that move have all arrived
(the kernel reports idle for it), which is what a page needs to redraw. Up to --browsers students
are real Chromium pages; the rest speak the Jupyter widget protocol over the kernel websocket
(browsers would eat the CPU being measured). Reported per N: p50/p95 latency, errors, and the
server's memory (Voilà plus every kernel, RSS) per student.

Start of class: a fresh server preheats --burst kernels of unit 2 (each has run the whole notebook
and rendered its page before the first student arrives), then --burst students open unit 2 at
random moments within one minute; for each, the time from asking for the page to its first
control move answered (interactive).

Bounded: at most --ns students, at most --max-minutes in all; the server and every browser are
stopped by the script (by PID) whatever happens.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import struct
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from classroom_helpers import ClassroomServer  # noqa: E402

UNIT = "02_keda_zhongtu"
PERIOD = 3.0          # a student moves a control every 3 s
TIMEOUT = 15.0        # an update not shown within this is an error


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def server_memory(pid: int) -> tuple[float, int, float]:
    """(total RSS in MB of the server and all its kernels, kernels, mean kernel RSS in MB)."""
    import psutil

    proc = psutil.Process(pid)
    rss, kernels = {}, []
    for k in proc.children(recursive=True):
        try:
            rss[k.pid] = k.memory_info().rss
            if "ipykernel" in " ".join(k.cmdline()):
                kernels.append(k.pid)
        except psutil.Error:   # ended meanwhile
            rss.pop(k.pid, None)
    kernels = [k for k in kernels if k in rss]
    total = proc.memory_info().rss + sum(rss.values())
    return total / 1e6, len(kernels), sum(rss[k] for k in kernels) / max(1, len(kernels)) / 1e6


def wait_quiet(pid: int, below: float = 10.0, quiet_for: float = 5.0, timeout: float = 900) -> float:
    """Until the server and its kernels together use under ``below`` % CPU for ``quiet_for`` s
    (Voilà logs a pool as filled when its kernels start; their notebooks are still running)."""
    import psutil

    t0 = time.monotonic()
    quiet = 0.0
    while time.monotonic() - t0 < timeout:
        procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)

        def cpu(pr) -> float:
            try:
                return pr.cpu_percent(None)
            except psutil.Error:   # a process that ended meanwhile
                return 0.0

        for pr in procs:
            cpu(pr)
        time.sleep(1.0)
        busy = sum(cpu(pr) for pr in procs)
        quiet = quiet + 1.0 if busy < below else 0.0
        if quiet >= quiet_for:
            return time.monotonic() - t0
    raise TimeoutError("the server did not settle")


# --------------------------------------------------------------------------------------------
# a student speaking the widget protocol
# --------------------------------------------------------------------------------------------
class ProtocolStudent:
    def __init__(self, server: ClassroomServer, name: str):
        self.server, self.name = server, name
        self.session = uuid.uuid4().hex
        self.waiting: dict[str, dict] = {}
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.control: tuple[str, list[int]] | None = None
        self.ws = None
        self.kernel_id = None

    def _msg(self, msg_type: str, content: dict, channel: str = "shell") -> dict:
        return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": self.name,
                           "session": self.session, "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "content": content, "buffers": [], "channel": channel}

    async def _reader(self):
        while True:
            raw = await self.ws.read_message()
            if raw is None:
                for w in self.waiting.values():
                    w["done"].set()
                return
            if isinstance(raw, bytes):   # legacy binary frame: message JSON + buffers
                n = struct.unpack("!I", raw[:4])[0]
                offsets = struct.unpack("!" + "I" * n, raw[4:4 + 4 * n])
                raw = raw[offsets[0]:offsets[1] if n > 1 else None].decode()
            msg = json.loads(raw)
            parent = msg.get("parent_header", {}).get("msg_id")
            w = self.waiting.get(parent)
            if w is None:
                continue
            w["msgs"].append(msg)
            if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                w["idle"] = True
            if msg.get("channel") == "shell":
                w["reply"] = True
            if w.get("idle") and (w.get("reply") or not w["needs_reply"]):
                w["done"].set()

    async def request(self, msg_type: str, content: dict, needs_reply: bool) -> list[dict]:
        msg = self._msg(msg_type, content)
        w = {"msgs": [], "done": asyncio.Event(), "needs_reply": needs_reply}
        self.waiting[msg["header"]["msg_id"]] = w
        await self.ws.write_message(json.dumps(msg))
        try:
            await asyncio.wait_for(w["done"].wait(), TIMEOUT)
        finally:
            self.waiting.pop(msg["header"]["msg_id"], None)
        return w["msgs"]

    async def open(self) -> float:
        """Ask for the page, connect to its kernel, read the widgets, answer one move: interactive."""
        from tornado.httpclient import AsyncHTTPClient
        from tornado.websocket import websocket_connect

        t0 = time.monotonic()
        resp = await AsyncHTTPClient().fetch(self.server.url(f"/voila/render/{UNIT}.ipynb"), request_timeout=300,
                                             raise_error=False)
        if resp.code != 200:
            raise RuntimeError(f"page: HTTP {resp.code}")
        page = resp.body.decode()
        self.xsrf = next((c.split(";")[0].split("=", 1)[1] for c in resp.headers.get_list("Set-Cookie")
                          if c.startswith("_xsrf=")), "")
        self.phases = {"page_s": time.monotonic() - t0}
        found = re.search(r'"kernelId": "([0-9a-f-]+)"', page)
        if not found:
            dump = ROOT / "artifacts" / "bench_classroom" / f"page-without-kernel-{self.name}.html"
            dump.write_text(page)
            title = re.search(r"<title>(.*?)</title>", page, re.S)
            raise RuntimeError(f"page without a kernel ({len(page)} bytes, title {title.group(1).strip() if title else None!r}; "
                               f"saved in {dump.name})")
        self.kernel_id = found.group(1)
        ws_url = (f"ws://127.0.0.1:{self.server.port}/api/kernels/{self.kernel_id}/channels"
                  f"?session_id={self.session}&token={self.server.token}")
        self.ws = await websocket_connect(ws_url, max_message_size=64 * 2**20)
        asyncio.ensure_future(self._reader())
        msgs = await self.request("comm_info_request", {"target_name": "jupyter.widget"}, needs_reply=True)
        comms = next(m for m in msgs if m["msg_type"] == "comm_info_reply")["content"]["comms"]
        states = {}

        async def state_of(cid):
            for m in await self.request("comm_msg", {"comm_id": cid, "data": {"method": "request_state"}}, False):
                if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "update":
                    states[cid] = m["content"]["data"]["state"]

        await asyncio.gather(*(state_of(cid) for cid in comms))   # as the page does: every widget's state
        self.phases.update(widgets=len(comms), state_s=time.monotonic() - t0)
        # The explorer's first dropdown (the page lists widgets in the order they were displayed).
        order = re.findall(r'widget-view\+json": \{"model_id": "([0-9a-f]+)"', page)
        dropdowns = [cid for cid, st in states.items() if st.get("_model_name") == "DropdownModel"
                     and len(st.get("_options_labels", [])) >= 2 and not st.get("disabled")]
        if not dropdowns:
            raise RuntimeError("no dropdown on the page")

        def shown_in(view: str) -> set[str]:
            out, todo = set(), [view]
            while todo:
                cur = todo.pop()
                if cur in out or cur not in states:
                    continue
                out.add(cur)
                st = states[cur]
                todo += [c.removeprefix("IPY_MODEL_") for c in st.get("children", []) if isinstance(c, str)]
            return out

        for view in order:
            inside = [d for d in dropdowns if d in shown_in(view)]
            if inside:
                cid = inside[0]
                break
        else:
            cid = dropdowns[0]
        first = states[cid].get("index") or 0
        self.control = (cid, [first, (first + 1) % len(states[cid]["_options_labels"])])
        self.flip = 1
        await self.move()
        self.phases["interactive_s"] = time.monotonic() - t0
        return time.monotonic() - t0

    async def move(self) -> float | None:
        cid, indexes = self.control
        target = indexes[self.flip]
        self.flip = 1 - self.flip
        t0 = time.monotonic()
        try:
            msgs = await self.request("comm_msg", {"comm_id": cid, "data": {
                "method": "update", "state": {"index": target}, "buffer_paths": []}}, needs_reply=False)
        except asyncio.TimeoutError:
            self.errors.append("timeout")
            return None
        redraws = [m for m in msgs if m["msg_type"] in ("comm_msg", "display_data", "clear_output", "stream")
                   and m["content"].get("comm_id") != cid]
        errors = [m for m in msgs if m["msg_type"] == "error"]
        if errors or not redraws:
            self.errors.append("error" if errors else "no redraw")
            return None
        dt = time.monotonic() - t0
        self.latencies.append(dt)
        return dt

    async def close(self):
        if self.ws is not None:
            self.ws.close()
        if self.kernel_id:   # as the page does when its tab closes
            from tornado.httpclient import AsyncHTTPClient

            await AsyncHTTPClient().fetch(self.server.url(f"/voila/api/shutdown/{self.kernel_id}"), method="POST",
                                          body=f"_xsrf={self.xsrf}", headers={"Cookie": f"_xsrf={self.xsrf}"},
                                          raise_error=False, request_timeout=30)


# --------------------------------------------------------------------------------------------
# Chromium students (sync Playwright, in their own thread)
# --------------------------------------------------------------------------------------------
JS_SHOWN = """() => { const parts = [];
  for (const area of document.querySelectorAll('.jp-OutputArea-output')) {
    const w = document.createTreeWalker(area, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT,
      {acceptNode: n => (n.nodeType === 1 && (n.matches('.widget-dropdown, .widget-slider') || n.tagName === 'STYLE'))
                        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
    let n; while ((n = w.nextNode())) {
      if (n.nodeType === 3) { const t = n.textContent.trim(); if (t) parts.push(t); }
      else if (n.tagName === 'IMG') parts.push((n.getAttribute('src') || '').slice(-80));
      else if (n.tagName.toLowerCase() === 'svg' && !n.parentElement.closest('svg')) parts.push(String(n.outerHTML.length) + n.textContent);
    } }
  return parts.join('|'); }"""


class BrowserStudents:
    def __init__(self, server: ClassroomServer, n: int):
        self.server, self.n = server, n
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.interactive: list[float] = []
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from playwright.sync_api import sync_playwright

        from browser_helpers import CHROMIUM, CHROMIUM_ARGS

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                pages = []
                for _ in range(self.n):
                    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                    t0 = time.monotonic()
                    page.goto(self.server.url(f"/voila/render/{UNIT}.ipynb"), wait_until="domcontentloaded",
                              timeout=300_000)
                    page.wait_for_selector(".widget-dropdown select", timeout=300_000)
                    sel = page.locator(".widget-dropdown select").first
                    values = sel.evaluate("e => [...e.options].map(o => o.value)")
                    pages.append([page, sel, values, 1])
                    self._move(pages[-1])
                    self.interactive.append(time.monotonic() - t0)
                self.latencies.clear()
                self.errors.clear()
                self.ready.set()
                k = 0
                while not self.stop.is_set():
                    start = time.monotonic()
                    self._move(pages[k % len(pages)])
                    k += 1
                    # each page every PERIOD seconds, spread evenly
                    time.sleep(max(0.0, PERIOD / len(pages) - (time.monotonic() - start)))
            except Exception as exc:  # report, never hang the benchmark
                self.errors.append(f"browser: {exc}"[:200])
                self.ready.set()
            finally:
                for entry in locals().get("pages", []):   # a closing tab shuts its kernel down
                    try:
                        entry[0].close(run_before_unload=True)
                    except Exception:
                        pass
                time.sleep(2)
                browser.close()

    def _move(self, entry):
        page, sel, values, flip = entry
        before = page.evaluate(JS_SHOWN)
        t0 = time.monotonic()
        sel.select_option(values[flip])
        entry[3] = 1 - flip
        try:
            page.wait_for_function(f"b => ({JS_SHOWN})() !== b", arg=before, timeout=TIMEOUT * 1000, polling="raf")
            self.latencies.append(time.monotonic() - t0)
        except Exception:
            self.errors.append("no change shown")


# --------------------------------------------------------------------------------------------
# phases
# --------------------------------------------------------------------------------------------
async def steady(server: ClassroomServer, ns: list[int], duration: float, browsers: int, deadline: float) -> list[dict]:
    rows, students = [], []
    for n in ns:
        if time.monotonic() > deadline:
            rows.append({"N": n, "skipped": "time budget"})
            continue
        # Protocol students: add until there are n of them (kept from the previous N).
        t_open = time.monotonic()

        async def join(s: ProtocolStudent):
            try:
                await s.open()
            except Exception as exc:
                s.errors.append(f"open: {exc}"[:200])

        while len(students) < n:   # four at a time: opening is not what this phase measures
            batch = [ProtocolStudent(server, f"s{len(students) + i}") for i in range(min(4, n - len(students)))]
            await asyncio.gather(*(join(s) for s in batch))
            students += batch
        opened = time.monotonic() - t_open
        for s in students:
            s.latencies.clear()
            s.errors[:] = [e for e in s.errors if e.startswith("open")]
        await asyncio.sleep(2)
        mem_samples = []

        async def drive(s: ProtocolStudent, offset: float, end: float):
            await asyncio.sleep(offset)
            while time.monotonic() < end and s.control:
                start = time.monotonic()
                await s.move()
                await asyncio.sleep(max(0.0, PERIOD - (time.monotonic() - start)))

        end = time.monotonic() + duration
        tasks = [asyncio.ensure_future(drive(s, PERIOD * i / n, end)) for i, s in enumerate(students)]
        while time.monotonic() < end:
            await asyncio.sleep(5)
            mem_samples.append(server_memory(server.proc.pid))
        await asyncio.gather(*tasks)
        lat = [x for s in students for x in s.latencies]
        errs = [e for s in students for e in s.errors]
        mem = max(mem_samples, key=lambda m: m[0]) if mem_samples else server_memory(server.proc.pid)
        row = {"N": n, "clients": "protocol", "updates": len(lat), "p50_ms": 1000 * _pct(lat, .5),
               "p95_ms": 1000 * _pct(lat, .95), "max_ms": 1000 * max(lat, default=float("nan")),
               "errors": len(errs), "error_kinds": sorted(set(errs)), "server_mb": mem[0], "kernels": mem[1],
               # every kernel is one student's page
               "mb_per_student": mem[0] / max(1, mem[1]), "kernel_mb": mem[2], "open_s": opened}
        rows.append(row)
        print(json.dumps(row), flush=True)
        if browsers and n <= browsers:
            # The same N with real Chromium pages (their own kernels), the protocol students idle.
            b = BrowserStudents(server, n)
            b.thread.start()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, b.ready.wait, 900)
            await asyncio.sleep(duration)
            b.stop.set()
            await loop.run_in_executor(None, b.thread.join, 120)
            mem = server_memory(server.proc.pid)
            brow = {"N": n, "clients": "chromium", "updates": len(b.latencies), "p50_ms": 1000 * _pct(b.latencies, .5),
                    "p95_ms": 1000 * _pct(b.latencies, .95), "max_ms": 1000 * max(b.latencies, default=float("nan")),
                    "errors": len(b.errors), "error_kinds": sorted(set(b.errors))[:3], "server_mb": mem[0],
                    "kernels": mem[1], "mb_per_student": None, "kernel_mb": mem[2],
                    "interactive_s": b.interactive}
            rows.append(brow)
            print(json.dumps(brow), flush=True)
    for s in students:
        await s.close()
    return rows


async def burst(server: ClassroomServer, n: int, window: float) -> dict:
    rng = random.Random(15)
    offsets = sorted(rng.uniform(0, window) for _ in range(n))
    students = [ProtocolStudent(server, f"b{i}") for i in range(n)]
    times: list[float] = []
    errors: list[str] = []

    async def arrive(s, offset):
        await asyncio.sleep(offset)
        try:
            times.append(await s.open())
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:160])

    t0 = time.monotonic()
    await asyncio.gather(*(arrive(s, o) for s, o in zip(students, offsets)))
    span = time.monotonic() - t0
    phases = [getattr(s, "phases", {}) for s in students]
    page = [p["page_s"] for p in phases if "page_s" in p]
    state = [p["state_s"] - p["page_s"] for p in phases if "state_s" in p]
    mem = server_memory(server.proc.pid)
    for s in students:
        await s.close()
    return {"students": n, "window_s": window, "opened": len(times), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:3], "p50_s": _pct(times, .5), "p95_s": _pct(times, .95),
            "max_s": max(times, default=float("nan")), "within_30s": sum(t <= 30 for t in times),
            "span_s": span, "server_mb": mem[0], "kernels": mem[1],
            "page_p50_s": _pct(page, .5), "page_p95_s": _pct(page, .95), "widgets_p50_s": _pct(state, .5),
            "widgets": max((p.get("widgets", 0) for p in phases), default=0)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ns", default="10,20,40,60")
    p.add_argument("--duration", type=float, default=45, help="seconds of steady load per N")
    p.add_argument("--browsers", type=int, default=10, help="Chromium students at most (0: none)")
    p.add_argument("--burst", type=int, default=40, help="students opening unit 2 within --window s (0: skip)")
    p.add_argument("--window", type=float, default=60)
    p.add_argument("--max-minutes", type=float, default=30)
    p.add_argument("--json", type=Path, default=ROOT / "artifacts" / "bench_classroom.json")
    args = p.parse_args(argv)
    ns = [int(x) for x in args.ns.split(",") if x]
    if max(ns, default=0) > 100 or args.burst > 100:
        p.error("at most 100 simulated students")
    t_start = time.monotonic()
    deadline = t_start + args.max_minutes * 60
    work = ROOT / "artifacts" / "bench_classroom"
    work.mkdir(parents=True, exist_ok=True)
    report = {"machine": {"cores": os.cpu_count()}, "steady": [], "burst": None}
    watchdog = threading.Timer(args.max_minutes * 60 + 120, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()

    server = ClassroomServer(work, ["--max-students", str(max(ns + [1]) + args.browsers + 5), "--pool", "0"])
    try:
        server.start()
        report["steady"] = asyncio.run(steady(server, ns, args.duration, args.browsers, deadline))
    finally:
        server.stop()
    if args.burst and time.monotonic() < deadline:
        server = ClassroomServer(work, ["--max-students", str(args.burst + 5), "--pool", "0",
                                        "--warm", f"02:{args.burst}"])
        try:
            server.start()
            t0 = time.monotonic()
            server.wait_for_pool(UNIT, timeout=900)
            wait_quiet(server.proc.pid)
            warm_s = time.monotonic() - t0
            mem = server_memory(server.proc.pid)
            report["burst"] = asyncio.run(burst(server, args.burst, args.window))
            report["burst"].update(warmed=f"{args.burst} kernels of unit 2, each had run the whole notebook "
                                          f"and rendered its page", warm_s=warm_s, warmed_mb=mem[0])
            print(json.dumps(report["burst"]), flush=True)
        finally:
            server.stop()
    report["runtime_s"] = time.monotonic() - t_start
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1))

    print("\n| N | clients | updates | p50 ms | p95 ms | errors | server MB | MB per student | mean kernel MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in report["steady"]:
        if "skipped" in r:
            print(f"| {r['N']} | skipped ({r['skipped']}) | | | | | | | |")
            continue
        per = f"{r['mb_per_student']:.0f}" if r.get("mb_per_student") else "-"
        print(f"| {r['N']} | {r['clients']} | {r['updates']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['errors']} | "
              f"{r['server_mb']:.0f} | {per} | {r['kernel_mb']:.0f} |")
    b = report["burst"]
    if b:
        print(f"\nStart of class: {b['students']} students within {b['window_s']:.0f} s, {b['warmed']} "
              f"(warming took {b['warm_s']:.0f} s, {b['warmed_mb']:.0f} MB): interactive p50 {b['p50_s']:.1f} s, "
              f"p95 {b['p95_s']:.1f} s, max {b['max_s']:.1f} s; {b['within_30s']}/{b['students']} within 30 s; "
              f"errors {b['errors']}")
    print(f"\nruntime {report['runtime_s'] / 60:.1f} min; JSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
