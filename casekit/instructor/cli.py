"""``python -m casekit.instructor``: a thin command line over the instructor modules.

    python -m casekit.instructor list                     # the exercise masters found
    python -m casekit.instructor student [00 02 ...]      # dist/student/*.ipynb + dist/autograder/
    python -m casekit.instructor grade SUBMISSIONS_DIR    # dist/grades/ (sandboxed)
    python -m casekit.instructor selfstudy [00 02 ...]    # dist/selfstudy/*.ipynb
    python -m casekit.instructor scan                     # re-check dist/student/ for leaks
    python -m casekit.instructor link --hub URL --repo URL   # an nbgitpuller link for a hub
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence
from urllib.parse import quote, urlencode, urlsplit

from ..errors import CasekitError

__all__ = ["main", "nbgitpuller_link"]


def nbgitpuller_link(hub: str, repo: str, branch: str = "main", path: str = "",
                     app: str = "lab") -> str:
    """An nbgitpuller link: students who click it get ``repo`` pulled into their hub home and
    opened (``path`` inside it) in JupyterLab.

    >>> nbgitpuller_link("https://hub.example.edu", "https://github.com/me/class", path="class/notebooks")
    'https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fme%2Fclass&branch=main&urlpath=lab%2Ftree%2Fclass%2Fnotebooks&app=lab'
    """
    for label, url in (("--hub", hub), ("--repo", repo)):
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CasekitError(f"{label} must be a full http(s) address such as https://hub.example.edu; "
                               f"got {url!r}.")
    if app not in ("lab", "notebook"):
        raise CasekitError(f"app must be 'lab' or 'notebook', not {app!r}.")
    target = f"{app}/tree/{path.strip('/')}" if path else f"{app}/tree"
    query = urlencode({"repo": repo, "branch": branch, "urlpath": target, "app": app}, quote_via=quote, safe="")
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m casekit.instructor",
                                description="casekit instructor tools (otter-grader format, sandboxed grading).")
    p.add_argument("--exercises", help="folder of exercise masters (default notebooks/exercises)")
    p.add_argument("--dist", help="output folder (default dist/)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the exercise masters")
    s = sub.add_parser("student", help="student versions and autograder bundles for the masters")
    s.add_argument("masters", nargs="*", help="numbers or name parts (default: all)")
    s.add_argument("--jobs", type=int, default=None, help="masters built at once (default: one per CPU core)")
    s.add_argument("--no-sandbox", action="store_true", help="prove the masters without bubblewrap")
    g = sub.add_parser("grade", help="grade a folder of submissions in a sandbox")
    g.add_argument("submissions", help="folder of handed-in notebooks (.ipynb or otter export .zip)")
    g.add_argument("--out", help="where tables and feedback go (default dist/grades)")
    g.add_argument("--assignment", help="grade every file as this exercise (number or name)")
    g.add_argument("--timeout", type=float, default=600, help="wall seconds per submission (default 600)")
    g.add_argument("--memory-mb", type=int, default=2048, help="memory per submission (default 2048)")
    g.add_argument("--processes", type=int, default=64, help="processes per submission (default 64)")
    g.add_argument("--cpu-seconds", type=int, default=None, help="CPU seconds per process (default: the timeout)")
    g.add_argument("--no-sandbox", action="store_true",
                   help="run submissions WITHOUT isolation (every row is marked unsandboxed)")
    g.add_argument("--roster", help="CSV student,lms_id[,name,email,section]: write Canvas/Moodle gradebooks")
    g.add_argument("--merge", help="a filled written-answers CSV to fold into the scores (UTF-8, GBK or UTF-16)")
    g.add_argument("--unmarked-as-zero", action="store_true",
                   help="export totals to the gradebooks even where written answers are still unmarked "
                        "(they count 0); by default those cells are left empty (pending)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: one per core)")
    ss = sub.add_parser("selfstudy", help="self-study versions with full checks and folded solutions")
    ss.add_argument("masters", nargs="*", help="numbers or name parts (default: all)")
    sub.add_parser("scan", help="check dist/student for leaked solutions, answers or hidden tests")
    lk = sub.add_parser("link", help="print an nbgitpuller link that opens the student versions on a hub")
    lk.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.edu")
    lk.add_argument("--repo", required=True, help="the git repository holding the student notebooks")
    lk.add_argument("--branch", default="main")
    lk.add_argument("--path", default="", help="folder to open, relative to the hub home (default: the repo)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from . import build, grade as grading, leaks, masters, sandbox, selfstudy

    try:
        if args.command == "link":
            repo_dir = args.repo.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
            print(nbgitpuller_link(args.hub, args.repo, args.branch, args.path or repo_dir))
            return 0
        if args.command == "list":
            for m in masters.exercise_masters(args.exercises):
                print(m.relative_to(masters.ROOT) if m.is_relative_to(masters.ROOT) else m)
            return 0
        if args.command == "student":
            chosen = masters.find_masters(args.masters, args.exercises)
            print(f"otter assign and a sandboxed proof for {len(chosen)} master(s) ...", flush=True)

            def report(name, result):
                if isinstance(result, CasekitError):
                    print(f"{name}: FAILED: {result}", file=sys.stderr, flush=True)
                else:
                    print(f"{name}\n  student version: {result.student}\n"
                          f"  autograder:      {result.autograder}", flush=True)

            results = build.build_students(chosen, args.dist, jobs=args.jobs, on_done=report,
                                           sandbox=not args.no_sandbox)
            failed = [n for n, r in results.items() if isinstance(r, CasekitError)]
            if failed:
                print(f"casekit: {len(failed)} master(s) failed: {', '.join(failed)}", file=sys.stderr)
                return 1
            print("Hand out dist/student/ (or push it to the class repository for nbgitpuller); "
                  "keep dist/autograder/ (and dist/.grader-key) for grading.")
            return 0
        if args.command == "selfstudy":
            failed = []
            for m in masters.find_masters(args.masters, args.exercises):
                print(f"self-study version of {m.name} ...", flush=True)
                try:
                    print(f"  {selfstudy.build_selfstudy(m, args.dist)}")
                except CasekitError as exc:
                    failed.append(m.name)
                    print(f"  FAILED: {exc}", file=sys.stderr)
            return 1 if failed else 0
        if args.command == "scan":
            found = leaks.scan_built(args.dist, args.exercises)
            bad = 0
            for name, items in found.items():
                print(f"{name}: {'clean' if not items else f'{len(items)} LEAK(S)'}")
                for leak in items:
                    print(f"  - {leak}")
                bad += bool(items)
            return 1 if bad else 0
        if args.command == "grade":
            limits = sandbox.Limits(memory_mb=args.memory_mb, processes=args.processes,
                                    cpu_seconds=args.cpu_seconds or int(max(args.timeout, 1)),
                                    wall_seconds=args.timeout)
            if args.no_sandbox:
                print("casekit: WARNING: grading without a sandbox; submissions run with your rights "
                      "and every row is marked UNSANDBOXED.", file=sys.stderr)
            report = grading.grade(args.submissions, out=args.out, dist=args.dist, assignment=args.assignment,
                                   exercises=args.exercises, timeout=args.timeout,
                                   progress=not args.no_progress, jobs=args.jobs, sandbox=not args.no_sandbox,
                                   limits=limits, roster=args.roster, merge=args.merge,
                                   unmarked_as_zero=args.unmarked_as_zero)
            print(report)
            if report.interrupted:
                print("Interrupted. Run the same command again to resume: finished submissions are "
                      "cached and will not be graded twice.", file=sys.stderr)
                return 130
            return 0
    except CasekitError as exc:
        print(f"casekit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        build.stop_running()
        print("\ncasekit: interrupted; nothing half-built was kept. Run the same command again.",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
