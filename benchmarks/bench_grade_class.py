"""A class of 60 through the sandboxed grader: 48 honest submissions and 12 hostile or broken ones.

    python benchmarks/bench_grade_class.py                 # 60 students, 2 at a time
    python benchmarks/bench_grade_class.py --size 20 --jobs 1

Builds the Keda–Zhongtu exercise once (into a temporary dist/), writes the class with
``tests/test_grade_class.py``'s ``make_class`` (every attack of the class-grading issue plus honest
submissions in Canvas, Moodle, folder and otter-zip shapes), grades it in a child process and
reports: batch time, the grader's peak RSS (the child's ``RUSAGE_SELF``; its ``RUSAGE_CHILDREN``
is the largest sandboxed step), what the batch
left in /tmp (the grader's ``casekit-grade-*``/``casekit-step-*`` entries and bytes, before against after), and whether every honest
score equals the hand-made table and every hostile row scores no more than a blank.

Bounded: the grading child is killed after --max-minutes; temporary folders are removed.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

_CHILD = r"""
import json, resource, sys, time
from casekit.instructor import grade as grading, sandbox as sb
subs, out, dist, ex, jobs, roster = sys.argv[1:7]
t0 = time.monotonic()
report = grading.grade(subs, out=out, dist=dist, exercises=ex, progress=False, jobs=int(jobs), roster=roster,
                       limits=sb.Limits(wall_seconds=60, cpu_seconds=60))
print(json.dumps({"seconds": time.monotonic() - t0,
                  "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "scores": {s: v for (s, _), v in report.scores().items()},
                  "status": {r["student"]: r["status"] for r in report.rows}}, ensure_ascii=False))
"""


def _tmp_usage() -> tuple[set[str], int]:
    names, size = set(), 0
    for p in Path(tempfile.gettempdir()).iterdir():
        if p.name.startswith(("casekit-grade-", "casekit-step-")):
            names.add(p.name)
            for f in (p.rglob("*") if p.is_dir() else [p]):
                try:
                    size += f.stat().st_size if f.is_file() else 0
                except OSError:
                    pass
    return names, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-minutes", type=float, default=20)
    args = ap.parse_args()

    from casekit.instructor import build
    from casekit.instructor import sandbox as sb
    import test_grade_class as tc

    if not sb.probe().ok:
        print(f"no sandbox here: {sb.probe().reason}")
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-grade-class-"))
    try:
        dist = work / "dist"
        t0 = time.monotonic()
        built = build.build_student(tc.MASTER, dist)
        print(f"built {tc.MASTER.name} in {time.monotonic() - t0:.0f} s")
        expect = tc.make_class(built, work / "subs", size=args.size)
        honest = sum(1 for e in expect.values() if "total" in e)
        print(f"class: {len(expect)} students ({honest} honest with a hand-made total, "
              f"{len(expect) - honest} hostile or broken)")
        tmp_names, tmp_bytes = _tmp_usage()
        # the LMS-named students match the hand-made table through the roster, as in the test (GBK, as Excel saves it)
        roster = work / "roster.csv"
        roster.write_bytes("student,lms_id,name\n王芳,S01,\"Wang, Fang\"\n李雷,S02,Li Lei\nstu-right,S03,\n".encode("gbk"))
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(work / "subs"), str(work / "grades"), str(dist),
                                 str(tc.MASTER.parent), str(args.jobs), str(roster)], stdout=subprocess.PIPE, text=True,
                                cwd=str(ROOT))
        try:
            out, _ = proc.communicate(timeout=args.max_minutes * 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            print(f"stopped after {args.max_minutes:g} minutes")
            return 1
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        after_names, after_bytes = _tmp_usage()
        res = json.loads(out.strip().splitlines()[-1])
        scores = res["scores"]
        shown = {s: e.get("shown", s) for s, e in expect.items()}
        wrong = [(s, scores.get(shown[s]), e["total"]) for s, e in expect.items()
                 if "total" in e and scores.get(shown[s]) != e["total"]]
        blank = scores.get("stu-blank", 0.0)
        beats = [(s, scores.get(shown[s])) for s, e in expect.items()
                 if "total" not in e and (scores.get(shown[s]) or 0) > blank]
        print(f"batch: {res['seconds']:.0f} s for {len(scores)} rows ({res['seconds'] / max(len(scores), 1):.1f} s each)")
        print(f"grader peak RSS: {res['self_mb']:.0f} MB (the grading process, RUSAGE_SELF); largest sandboxed "
              f"step {res['children_mb']:.0f} MB; largest child of this script {peak_mb:.0f} MB")
        peak_mb = res["self_mb"]
        print(f"/tmp casekit-grade-*/casekit-step-* entries: {len(tmp_names)} -> {len(after_names)} "
              f"(new: {sorted(after_names - tmp_names)}), bytes {tmp_bytes} -> {after_bytes}")
        print(f"honest scores off the table: {wrong or 'none'}; hostile above blank: {beats or 'none'}")
        return 0 if not wrong and not beats and peak_mb < 500 and not (after_names - tmp_names) else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
