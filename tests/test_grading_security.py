"""A hostile class against the grader: every attack gains nothing over a blank submission,
changes nothing outside its sandbox and reads nothing it should not.

Layer 1 probes the sandbox directly (a submission that reports what it could see and do).
Layer 2 grades a whole corpus of hostile, correct, blank and broken submissions in one batch and
checks scores, files, processes and every output for planted canaries.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

import grading_fixture as fx
from casekit.instructor import build, grade as grading, sandbox as sb
from casekit.instructor.evaluate import evaluate_cells
from casekit.instructor.masters import ROOT

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sb.probe().ok, reason=f"no sandbox here: {sb.probe().reason}")]

HOME_CANARY = "CANARY-HOME-" + secrets.token_hex(4)
OTHER_CANARY = "CANARY-OTHER-SUBMISSION-" + secrets.token_hex(4)
OUTDIR_CANARY = "CANARY-OUTDIR-" + secrets.token_hex(4)


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """The fixture master built (and proved) once; a canary in the instructor's real HOME."""
    base = tmp_path_factory.mktemp("grading")
    master = fx.write_master(base / "exercises")
    dist = base / "dist"
    b = build.build_student(master, dist)
    handout = json.loads(b.student.read_text(encoding="utf-8"))
    home_file = Path.home() / f".casekit-test-canary-{secrets.token_hex(4)}"
    home_file.write_text(HOME_CANARY)
    try:
        yield {"base": base, "exercises": master.parent, "dist": dist, "handout": handout, "build": b,
               "home_file": home_file}
    finally:
        home_file.unlink(missing_ok=True)


def _probe(code: str, timeout: float = 60, **limits) -> tuple[dict, object]:
    """Run ``code`` in the sandbox; it leaves its findings in ``probe`` (a dict of plain data)."""
    tests = Path(__import__("tempfile").mkdtemp())
    os.chmod(tests, 0o755)
    ev = evaluate_cells([(0, code)], ["probe"], [], tests,
                        limits=sb.Limits(wall_seconds=timeout, **limits), sandbox=True)
    entry = ev.answers.get("probe", {})
    from casekit.instructor.plaindata import decode

    return (decode(entry["data"]) if "data" in entry else {}), ev


# ----------------------------------------------------------------------------------------------
# layer 1: what a submission can see and do inside the sandbox
# ----------------------------------------------------------------------------------------------

def test_sandbox_hides_home_clone_dist_and_network(kit):
    code = f"""
import os, socket, glob
probe = {{}}
def read(p):
    try:
        with open(p) as fh: return fh.read()[:200]
    except Exception as e: return 'DENIED ' + type(e).__name__
probe['home_canary'] = read({str(kit['home_file'])!r})
probe['ssh'] = read(os.path.expanduser('~root/.ssh/id_rsa'))
probe['root_listing'] = sorted(os.listdir('/root')) if os.path.isdir('/root') else []
probe['clone_listing'] = sorted(os.listdir({str(ROOT)!r})) if os.path.isdir({str(ROOT)!r}) else []
probe['dist_exists'] = os.path.exists({str(kit['dist'])!r})
probe['masters_exists'] = os.path.exists({str(kit['exercises'])!r})
probe['git_exists'] = os.path.exists({str(ROOT / '.git')!r})
def walk():
    for top in [t for t in os.listdir('/') if t not in ('proc', 'sys', 'dev', 'usr', 'lib', 'lib64', 'bin', 'sbin', 'etc')]:
        for d, dirs, files in os.walk('/' + top):
            dirs[:] = [x for x in dirs if x not in ('site-packages', 'lib', 'include', 'share')]
            for f in files: yield os.path.join(d, f)
everything = list(walk())
probe['tests_found'] = [p for p in everything if '/tests/' in p and p.endswith('.py')][:20]
probe['key_found'] = [p for p in everything if p.endswith('.grader-key')][:5]
try:
    socket.create_connection(('1.1.1.1', 80), timeout=3); probe['net'] = 'OPEN'
except OSError as e: probe['net'] = 'blocked'
probe['uid'] = os.getuid()
"""
    seen, ev = _probe(code)
    assert seen, ev.notes
    assert seen["home_canary"].startswith("DENIED") and HOME_CANARY not in json.dumps(seen)
    assert seen["ssh"].startswith("DENIED")
    assert set(seen["clone_listing"]) <= {"casekit", "datasets", ".venv"}, seen["clone_listing"]
    assert not seen["dist_exists"] and not seen["masters_exists"] and not seen["git_exists"]
    assert not seen["key_found"]
    assert not [p for p in seen["tests_found"] if "casekit" not in p and "site-packages" not in p], seen["tests_found"]
    assert seen["net"] == "blocked"
    if os.geteuid() == 0:
        assert seen["uid"] >= sb.SANDBOX_UID_BASE


def test_sandbox_sees_only_its_own_processes_and_no_command_line_of_the_grader(kit):
    code = """
import os
probe = {}
pids = [p for p in os.listdir('/proc') if p.isdigit()]
cmds = []
for p in pids:
    try:
        with open(f'/proc/{p}/cmdline', 'rb') as fh: cmds.append(fh.read().replace(b'\\0', b' ').decode())
    except Exception: pass
probe['cmds'] = cmds
probe['n'] = len(pids)
"""
    seen, _ = _probe(code)
    assert seen["n"] <= 6, seen
    assert not any("pytest" in c or "instructor grade" in c for c in seen["cmds"]), seen["cmds"]


def test_sandbox_cannot_write_outside_and_nothing_outlives_it(kit, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("intact")
    marker = tmp_path / "late.txt"
    code = f"""
import os, subprocess, sys
probe = {{}}
for target in [{str(victim)!r}, {str(ROOT / 'casekit' / '__init__.py')!r}, '/etc/passwd', {str(Path.home() / 'casekit-pwned')!r}]:
    try:
        with open(target, 'a') as fh: fh.write('pwned'); probe[target] = 'WROTE'
    except Exception as e: probe[target] = 'denied'
subprocess.Popen([sys.executable, '-c', "import time; time.sleep(4); open({str(marker)!r}, 'w').write('x')"],
                 start_new_session=True)
"""
    seen, _ = _probe(code)
    assert "WROTE" not in seen.values(), seen
    assert victim.read_text() == "intact"
    time.sleep(6)
    assert not marker.exists(), "a process started by the submission outlived the sandbox"
    left = subprocess.run(["pgrep", "-u", ",".join(str(sb.SANDBOX_UID_BASE + k) for k in range(64))],
                          capture_output=True, text=True)
    assert left.stdout.strip() == "", f"sandbox processes still alive: {left.stdout}"


def test_sandbox_limits_memory_and_processes():
    code = """
import subprocess, sys
probe = {}
try:
    block = bytearray(10 * 1024 ** 3); probe['mem'] = 'ALLOCATED'
except MemoryError:
    probe['mem'] = 'refused'
procs = []
try:
    for _ in range(100):
        procs.append(subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']))
    probe['procs'] = 'ALL 100'
except (OSError, BlockingIOError):
    probe['procs'] = f'stopped at {len(procs)}'
"""
    seen, _ = _probe(code, timeout=90, memory_mb=1024, processes=16)
    assert seen["mem"] == "refused"
    assert seen["procs"] != "ALL 100"


def test_infinite_loop_is_stopped_by_the_wall_clock():
    t0 = time.monotonic()
    seen, ev = _probe("probe = 1\nwhile True:\n    pass", timeout=8)
    assert ev.status == "timeout" and time.monotonic() - t0 < 40


def test_no_sandbox_refuses_with_a_reason(monkeypatch, tmp_path):
    monkeypatch.setattr(sb, "probe", lambda: sb.Probe(False, "", "bubblewrap (bwrap) is not installed. Grade on Linux ..."))
    monkeypatch.setattr(grading.sb, "probe", sb.probe)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.ipynb").write_text("{}")
    with pytest.raises(Exception, match="bwrap"):
        grading.grade(tmp_path / "s", out=tmp_path / "o", dist=tmp_path / "d", exercises=tmp_path / "s")


# ----------------------------------------------------------------------------------------------
# layer 2: a hostile class graded in one batch
# ----------------------------------------------------------------------------------------------

def _zip(members: dict[str, bytes], symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _corpus(kit, subs: Path, grades: Path) -> dict[str, dict | bytes]:
    h = kit["handout"]
    dist = kit["dist"]
    bundle = dist / "autograder" / f"{fx.NAME}.zip"
    every_answer_blank = {}
    other = subs / "victim" / f"{fx.NAME}.ipynb"
    eq = """
class AlwaysEqual(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __sub__(self, other): return 0.0
    def __rsub__(self, other): return 0.0
    def __abs__(self): return 0.0
    def __hash__(self): return 0
class EqDict(dict):
    def __eq__(self, other): return True
crossover = AlwaysEqual(1)
modes = EqDict(a='x')
"""
    return {
        "correct": fx.filled(h, fx.ANSWERS, written="Because the fixed cost rises."),
        "blank": fx.filled(h),
        "victim": fx.filled(h, {"crossover": "crossover = 40.0"}, written=OTHER_CANARY),
        "patch_otter": fx.filled(h, prepend="""
import otter
from otter.check import notebook
for cls in (notebook.Notebook,):
    cls.check = lambda self, *a, **k: None
import otter.test_files.abstract_test as at
at.TestFile.score = property(lambda self: 1e9)
at.TestFile.possible = property(lambda self: 1e9)
"""),
        "patch_doctest": fx.filled(h, prepend="""
import doctest
doctest.DocTestRunner.run = lambda self, *a, **k: doctest.TestResults(0, 1)
import builtins
builtins.AssertionError = type('Never', (Exception,), {})
"""),
        "rewrite_tests": fx.filled(h, prepend=f"""
import glob, os
body = "OK_FORMAT = True\\ntest = {{'name': 'q1_crossover', 'points': 300, 'suites': [{{'cases': [{{'code': '>>> True', 'hidden': False, 'locked': False}}], 'scored': True, 'setup': '', 'teardown': '', 'type': 'doctest'}}]}}"
for pattern in ['tests/*.py', '/**/tests/q*.py', {str(dist / 'build' / '**' / '*.py')!r}]:
    for p in glob.glob(pattern, recursive=True):
        try: open(p, 'w').write(body)
        except Exception: pass
os.makedirs('tests', exist_ok=True)
open('tests/q1_crossover.py', 'w').write(body)
"""),
        "always_equal": fx.filled(h, prepend=eq),
        "read_hidden_tests": fx.filled(h, prepend=f"""
import os
found = []
for top in [t for t in os.listdir('/') if t not in ('proc', 'sys', 'dev', 'usr', 'lib', 'lib64', 'bin', 'sbin', 'etc')]:
    for d, dirs, files in os.walk('/' + top):
        dirs[:] = [x for x in dirs if x not in ('site-packages', 'lib', 'include', 'share')]
        for f in files:
            if f.endswith('.py'):
                try: found.append(open(os.path.join(d, f)).read())
                except Exception: pass
text = ' '.join(found)
crossover = 40.0 if '{fx.MASTER_CANARY}' in text else ...
"""),
        "snoop": fx.filled(h, prepend=f"""
import os, glob
stolen = []
for p in [{str(kit['home_file'])!r}, {str(other)!r}, {str(kit['exercises'] / (fx.NAME + '.ipynb'))!r},
          {str(dist / '.grader-key')!r}, '/proc/1/cmdline', '/proc/self/environ']:
    try: stolen.append(open(p, errors='replace').read()[:500])
    except Exception as e: stolen.append('denied')
for p in glob.glob('/proc/*/cmdline'):
    try: stolen.append(open(p, errors='replace').read())
    except Exception: pass
"""),
        "tamper": fx.filled(h, prepend=f"""
import os, glob, json
for target in [{str(other)!r}, {str(grades / 'planted.csv')!r}, {str(bundle)!r},
               {str(bundle.with_suffix('.manifest.json'))!r}]:
    try: open(target, 'w').write('pwned')
    except Exception: pass
for p in glob.glob({str(grades / '.cache' / '*.json')!r}):
    try: open(p, 'w').write('{{}}')
    except Exception: pass
"""),
        "planted_pickle": fx.filled(h, prepend=f"""
import pickle, os
class Boom:
    def __reduce__(self): return (open, ({str(grades.parent / 'PICKLE-RAN')!r}, 'w'))
for d in ['.', '/tmp', {str(grades)!r}]:
    try: pickle.dump(Boom(), open(os.path.join(d, 'results.pkl'), 'wb'))
    except Exception: pass
"""),
        "outlive": fx.filled(h, prepend=f"""
import subprocess, sys
subprocess.Popen([sys.executable, '-c', "import time; time.sleep(5); open({str(grades / 'late.csv')!r}, 'w').write('x')"], start_new_session=True)
"""),
        "fork_many": fx.filled(h, prepend="""
import subprocess, sys
ps = []
try:
    for _ in range(100): ps.append(subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']))
except Exception: pass
"""),
        "memory_hog": fx.filled(h, prepend="x = bytearray(10 * 1024 ** 3)"),
        "endless": fx.filled(h, prepend="while True:\n    pass"),
        "huge": dict(fx.filled(h), cells=fx.filled(h)["cells"] + [
            {"cell_type": "code", "id": "big", "metadata": {}, "execution_count": 1, "source": "1",
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "x" * (50 << 20)}]}]),
        "export_zip_ok.zip": _zip({f"{fx.NAME}.ipynb": json.dumps(fx.filled(h, fx.ANSWERS)).encode()}),
        "zip_bomb.zip": _zip({f"{fx.NAME}.ipynb": b" " * (300 << 20)}),
        "zip_traversal.zip": _zip({f"../../{fx.NAME}.ipynb": json.dumps(fx.filled(h, fx.ANSWERS)).encode()}),
        "zip_link.zip": _zip({f"{fx.NAME}.ipynb": json.dumps(fx.filled(h, fx.ANSWERS)).encode()},
                             symlink="evil.ipynb"),
        "empty_file": b"",
        "not_json": b"{ this is not a notebook",
    }


def _digest(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def test_hostile_class_gains_nothing(kit, tmp_path):
    subs = tmp_path / "subs"
    grades = tmp_path / f"grades-{OUTDIR_CANARY}"
    corpus = _corpus(kit, subs, grades)
    for who, body in corpus.items():
        folder = subs / who.removesuffix(".zip")
        folder.mkdir(parents=True)
        name = f"{fx.NAME}.zip" if who.endswith(".zip") else f"{fx.NAME}.ipynb"
        (folder / name).write_bytes(body if isinstance(body, bytes) else json.dumps(body).encode())
    protected = [*subs.rglob("*"), *(kit["dist"] / "autograder").glob("*"), kit["dist"] / ".grader-key"]
    before = _digest(protected)

    report = grading.grade(subs, out=grades, dist=kit["dist"], exercises=kit["exercises"],
                           progress=False, jobs=2, limits=sb.Limits(wall_seconds=45, cpu_seconds=45))
    scores = {s: v for (s, _), v in report.scores().items()}
    status = {r["student"]: r["status"] for r in report.rows}
    notes = {r["student"]: r["notes"] for r in report.rows}

    # honest submissions: full marks (written answers wait for the instructor)
    assert scores["correct"] == 9.0 and scores["export_zip_ok"] == 9.0
    assert scores["blank"] == 0.0 and scores["victim"] == 2.0
    # every attack scores no more than a blank submission
    for who in ["patch_otter", "patch_doctest", "rewrite_tests", "always_equal", "read_hidden_tests", "snoop",
                "tamper", "planted_pickle", "outlive", "fork_many", "memory_hog", "endless", "huge",
                "zip_bomb", "zip_traversal", "zip_link", "empty_file", "not_json"]:
        assert scores[who] <= scores["blank"], (who, scores[who], notes[who])
    assert status["endless"] == "timeout"
    for who in ("zip_bomb", "zip_traversal", "zip_link", "empty_file", "not_json"):
        assert status[who] == "unreadable", (who, status[who])
    assert "bomb" in notes["zip_bomb"] and "outside" in notes["zip_traversal"] and "link" in notes["zip_link"]

    # nothing outside the sandboxes changed; nothing outlived the batch
    time.sleep(7)
    after = _digest(protected)
    assert after == before
    assert not (grades / "planted.csv").exists() and not (grades / "late.csv").exists()
    assert not (grades.parent / "PICKLE-RAN").exists()
    left = subprocess.run(["pgrep", "-u", ",".join(str(sb.SANDBOX_UID_BASE + k) for k in range(64))],
                          capture_output=True, text=True)
    assert left.stdout.strip() == ""

    # no canary in any output, no answer key in any student file
    outputs = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in grades.rglob("*") if p.is_file()
                        and p.suffix in (".csv", ".md", ".html", ".txt"))
    for canary in (HOME_CANARY, fx.MASTER_CANARY):
        assert canary not in outputs
    # the victim's written answer may appear in its own row only
    written = (grades / "written" / f"{fx.NAME}_written.csv").read_text(encoding="utf-8-sig")
    assert [ln for ln in written.splitlines() if OTHER_CANARY in ln and not ln.startswith("victim,")] == []
    handout_text = json.dumps(kit["handout"], ensure_ascii=False)
    assert fx.MASTER_CANARY not in handout_text and "trajectory_following\", \"b\"" not in handout_text

    # the tables agree with one another
    import csv

    with open(grades / f"{fx.NAME}_scores.csv", encoding="utf-8-sig") as fh:
        table = {r["student"]: r for r in csv.DictReader(fh)}
    assert set(table) == set(scores)
    for who, row in table.items():
        assert abs(float(row["total"]) - scores[who]) < 1e-9
        assert (grades / "feedback" / f"{who}.md").exists()
    assert all(r["sandbox"].startswith("bubblewrap") for r in table.values())


def test_changed_bundle_stops_the_batch_and_changed_cache_is_regraded(kit, tmp_path):
    subs = tmp_path / "subs"
    (subs / "ann").mkdir(parents=True)
    (subs / "ann" / f"{fx.NAME}.ipynb").write_text(json.dumps(fx.filled(kit["handout"], fx.ANSWERS)))
    grades = tmp_path / "grades"
    args = dict(out=grades, dist=kit["dist"], exercises=kit["exercises"], progress=False, jobs=1)
    first = grading.grade(subs, **args)
    assert first.scores()[("ann", fx.NAME)] == 9.0
    # a cache entry rewritten by someone without the key: regraded, same score
    for entry in (grades / ".cache").glob("*.json"):
        data = json.loads(entry.read_text())
        data["result"]["questions"]["q1_crossover"]["score"] = 0.0
        entry.write_text(json.dumps(data))
    again = grading.grade(subs, **args)
    assert again.regraded_cache == 1 and again.scores()[("ann", fx.NAME)] == 9.0
    # a bundle changed after it was built: the batch stops and says what to do
    bundle = kit["dist"] / "autograder" / f"{fx.NAME}.zip"
    saved = bundle.read_bytes()
    try:
        bundle.write_bytes(saved + b"\0")
        with pytest.raises(Exception, match="changed after it was built"):
            grading.grade(subs, out=tmp_path / "g2", dist=kit["dist"], exercises=kit["exercises"], progress=False)
    finally:
        bundle.write_bytes(saved)


def test_written_answers_are_collected_escaped_and_merged(kit, tmp_path):
    subs = tmp_path / "subs"
    for who, text in {"amy": "<script>alert(1)</script> Fixed cost up, no saving.",
                      "ben": "=HYPERLINK(\"http://x\")"}.items():
        (subs / who).mkdir(parents=True)
        (subs / who / f"{fx.NAME}.ipynb").write_text(json.dumps(fx.filled(kit["handout"], fx.ANSWERS, written=text)))
    grades = tmp_path / "grades"
    args = dict(out=grades, dist=kit["dist"], exercises=kit["exercises"], progress=False)
    grading.grade(subs, **args)
    page = (grades / "written" / f"{fx.NAME}__q5_why.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    sheet = grades / "written" / f"{fx.NAME}_written.csv"
    text = sheet.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text                      # formula injection guarded
    filled = text.replace("amy,fx_grading_exercises,q5_why,,", "amy,fx_grading_exercises,q5_why,1.5,")
    sheet.write_text(filled, encoding="utf-8-sig")
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id,name,email\namy,S001,Amy Li,amy@example.edu\nben,S002,Ben Wu,ben@example.edu\n")
    report = grading.grade(subs, merge=sheet, roster=roster, **args)
    assert report.scores()[("amy", fx.NAME)] == 10.5 and report.scores()[("ben", fx.NAME)] == 9.0
    canvas = (grades / "gradebook_canvas.csv").read_text(encoding="utf-8-sig")
    assert "SIS User ID" in canvas and "S001" in canvas and "10.5" in canvas
    moodle = (grades / "gradebook_moodle.csv").read_text(encoding="utf-8-sig")
    assert "ID number" in moodle and "S002" in moodle
