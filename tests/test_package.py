"""casekit is a real package: what the wheel carries, what it never carries, and a clean install.

Fast tests check the shipped student versions against their masters and ``python -m casekit
notebooks``. The slow ones build the sdist and the wheel once, open the wheel's zip (no masters,
teaching notes, hidden tests or self-study versions; no line of a master's solutions), and install
the wheel into a fresh venv outside the clone, where every dataset loads and unit 2 runs.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

import casekit
from casekit import handout
from casekit.errors import CasekitError

ROOT = Path(__file__).resolve().parent.parent
MASTERS = sorted((ROOT / "notebooks" / "exercises").glob("*.ipynb"))
REBUILD = "rebuild and ship them: make handout (python -m casekit.instructor student && python -m casekit.handout ship)"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# the committed student versions
# --------------------------------------------------------------------------------------------
def test_every_master_has_a_shipped_student_version_built_from_its_current_text():
    manifest = json.loads((handout.student_dir() / handout.MANIFEST).read_text(encoding="utf-8"))
    shipped = {p.name for p in handout.student_notebooks()}
    assert shipped == {m.name for m in MASTERS}, f"shipped {sorted(shipped)}; masters {[m.name for m in MASTERS]}: {REBUILD}"
    assert set(manifest) == shipped
    stale = [m.name for m in MASTERS if manifest[m.name]["master_sha256"] != _sha(m)]
    assert not stale, f"masters changed since their student versions were shipped: {stale}; {REBUILD}"
    edited = [n for n in shipped if manifest[n]["student_sha256"] != _sha(handout.student_dir() / n)]
    assert not edited, f"shipped student versions edited by hand: {edited}; {REBUILD}"


def test_shipped_student_versions_carry_no_solutions_or_hidden_tests():
    from casekit import instructor

    for master in MASTERS:
        leaks = instructor.scan_for_leaks(master, handout.student_dir() / master.name)
        assert not leaks, f"{master.name}: {leaks[:3]}"


def test_ship_refuses_a_student_version_without_its_master(tmp_path):
    built, exercises = tmp_path / "built", tmp_path / "ex"
    built.mkdir(), exercises.mkdir()
    (exercises / "a.ipynb").write_text("{}")
    (built / "b.ipynb").write_text("{}")
    with pytest.raises(CasekitError, match=r"no student version for \['a.ipynb'\].*no master for \['b.ipynb'\]"):
        handout.ship_student_versions(built, exercises)


# --------------------------------------------------------------------------------------------
# python -m casekit notebooks DIR
# --------------------------------------------------------------------------------------------
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "casekit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_notebooks_command_copies_units_and_student_exercises_never_masters(tmp_path):
    res = _cli("notebooks", "class", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "class"
    assert sorted(p.name for p in out.glob("*.ipynb")) == sorted(p.name for p in (ROOT / "notebooks").glob("0*.ipynb"))
    for master in MASTERS:
        copied = out / "exercises" / master.name
        assert copied.read_bytes() == (handout.student_dir() / master.name).read_bytes()
        assert copied.read_bytes() != master.read_bytes()
    assert "copied / 已复制" in res.stdout and "jupyter lab class" in res.stdout


def test_notebooks_command_keeps_a_students_changes_unless_forced(tmp_path):
    assert _cli("notebooks", "nb", cwd=tmp_path).returncode == 0
    mine = tmp_path / "nb" / "02_keda_zhongtu.ipynb"
    mine.write_text(mine.read_text(encoding="utf-8").replace("Keda", "MY NOTES"), encoding="utf-8")
    untouched = tmp_path / "nb" / "exercises" / MASTERS[0].name
    untouched.write_text("an older kit's version")   # what casekit itself wrote last time ...
    record = json.loads((tmp_path / "nb" / handout.RECORD).read_text())
    record[f"exercises/{MASTERS[0].name}"] = _sha(untouched)   # ... as its record says
    (tmp_path / "nb" / handout.RECORD).write_text(json.dumps(record))

    res = _cli("notebooks", "nb", cwd=tmp_path)
    assert res.returncode == 1
    assert "02_keda_zhongtu.ipynb" in res.stderr and "--force" in res.stderr and "未复制" in res.stderr
    assert "Traceback" not in res.stderr
    assert "MY NOTES" in mine.read_text(encoding="utf-8")
    assert untouched.read_text() == "an older kit's version", "a refused copy writes nothing"

    res = _cli("notebooks", "nb", "--force", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "MY NOTES" not in mine.read_text(encoding="utf-8")
    assert f"exercises/{MASTERS[0].name}: updated" in res.stdout
    assert "02_keda_zhongtu.ipynb: overwritten" in res.stdout


def test_notebooks_command_explains_a_file_given_as_folder(tmp_path):
    (tmp_path / "f").write_text("x")
    res = _cli("notebooks", "f", cwd=tmp_path)
    assert res.returncode == 1 and "is a file, not a folder" in res.stderr and "Traceback" not in res.stderr


def test_pyproject_ships_every_subpackage_and_the_data_folders():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    subpackages = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "casekit").rglob("__init__.py")}
    assert subpackages <= set(cfg["packages"]), f"not listed in pyproject packages: {subpackages - set(cfg['packages'])}"
    assert cfg["package-dir"] == {"casekit._data": "datasets", "casekit._notebooks": "notebooks"}
    assert casekit.datasets.DATA_DIR.is_dir() and (casekit.datasets.DATA_DIR / "cases").is_dir()


# --------------------------------------------------------------------------------------------
# the built distributions
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    out = tmp_path_factory.mktemp("dists")
    src = tmp_path_factory.mktemp("src") / "casekit"
    # Build from a copy of the tracked files plus the working tree's changes (never dist/, .venv/).
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "dist", "build", "artifacts", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(src)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    print(f"\nbuilt sdist and wheel in {time.monotonic() - t0:.1f} s")
    wheel, = out.glob("casekit-*.whl")
    sdist, = out.glob("casekit-*.tar.gz")
    return wheel, sdist


def _never_shipped(name: str) -> str | None:
    parts = Path(name).parts
    if "exercises" in parts or name.endswith("_exercises.ipynb") and not name.startswith("casekit/_student/"):
        return "an exercise master"
    notes = {p.name for p in (ROOT / "teaching-notes").glob("*")}
    if "teaching-notes" in parts or Path(name).name in notes:
        return "a teaching note"
    if any(p in ("selfstudy", "autograder", "dist", "tests") for p in parts) or name.endswith(".zip"):
        return "a self-study version, an autograder bundle or a test (hidden tests)"
    return None


@pytest.mark.slow
def test_wheel_carries_data_units_and_student_versions_and_nothing_for_instructors(dists):
    from casekit import instructor

    wheel, _ = dists
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        texts = {n: zf.read(n).decode("utf-8", "replace") for n in names}
    data = {n.split("casekit/_data/", 1)[1] for n in names if n.startswith("casekit/_data/")}
    on_disk = {p.relative_to(ROOT / "datasets").as_posix() for p in (ROOT / "datasets").rglob("*")
               if p.suffix in (".csv", ".yaml")}
    assert on_disk <= data, f"datasets missing from the wheel: {sorted(on_disk - data)}"
    assert {f"casekit/_notebooks/{p.name}" for p in handout.narrative_notebooks()} <= set(names)
    assert {f"casekit/_student/{m.name}" for m in MASTERS} <= set(names)
    bad = {n: why for n in names if (why := _never_shipped(n))}
    assert not bad, bad
    for master in MASTERS:
        raw = master.read_bytes().decode("utf-8")
        assert raw not in texts.values(), f"{master.name} itself is in the wheel"
    # No solution line, hidden test or otter marker of any master in any notebook or data file of
    # the wheel. casekit's own modules are left out: they are the code the solutions call, so a
    # short solution such as `cc.CostScenario(variable_cost_saving=0)` is also one of their doctests.
    # So are the narrative units (public by design: unit 4's narrative shows that very call), which
    # must be the repository's own notebooks byte for byte.
    public = {p.read_bytes() for p in (ROOT / "notebooks").glob("0*.ipynb")}
    units = [n for n in names if n.startswith("casekit/_notebooks/")]
    assert units and all(zf_bytes in public for zf_bytes in (texts[n].encode("utf-8") for n in units))
    with_leaks = {}
    scratch = wheel.parent / "scan"
    scratch.mkdir(exist_ok=True)
    for n, text in texts.items():
        if n.endswith(("RECORD", ".py")) or n in units:
            continue
        if n.endswith(".dist-info/METADATA"):   # the README as the package's description: public by design
            assert (ROOT / "README.md").read_text(encoding="utf-8").strip()[:2000] in text
            continue
        fake = scratch / "file.ipynb"
        fake.write_text(json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": text}],
                                    "metadata": {}}), encoding="utf-8")
        for master in MASTERS:
            leaks = instructor.scan_for_leaks(master, fake)
            if leaks:
                with_leaks[n] = (master.name, leaks[:3])
    assert not with_leaks, with_leaks


@pytest.mark.slow
def test_sdist_builds_the_same_wheel_contents_and_carries_no_masters_or_notes(dists):
    _, sdist = dists
    with tarfile.open(sdist) as tf:
        names = tf.getnames()
    assert any(n.endswith("datasets/stages.csv") for n in names)
    assert any(n.endswith("casekit/_student/manifest.json") for n in names)
    assert not [n for n in names if "/notebooks/exercises/" in n or "teaching-notes" in n], names


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_wheel_in_a_clean_venv_outside_the_clone(dists, tmp_path):
    """pip install casekit-*.whl in a venv without system site-packages (pip may reuse wheels from
    its cache), then, from a folder outside the clone and without PYTHONPATH: casekit comes from the
    venv, every dataset and case loads, the notebooks command works and unit 2 runs (nbclient)."""
    wheel, _ = dists
    venv = tmp_path / "venv"
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    res = subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          str(wheel), "nbclient", "ipykernel"], env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    installed = time.monotonic() - t0
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(handout.narrative_dir() / "02_keda_zhongtu.ipynb", work / "02_keda_zhongtu.ipynb")
    script = f"""
import json, sys, casekit, nbformat
from nbclient import NotebookClient
from casekit import collaboration
assert casekit.__file__.startswith({str(venv)!r}), casekit.__file__
assert not sys.flags.no_site and {str(ROOT)!r} not in str(sys.path)
names = casekit.dataset_names()
rows = {{n: len(casekit.load_dataset(n)) for n in names}}
cases = collaboration.case_names()
nb = nbformat.read("02_keda_zhongtu.ipynb", as_version=4)
NotebookClient(nb, timeout=60, startup_timeout=120, kernel_name="python3", resources={{"metadata": {{"path": "."}}}}).execute()
errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
print(json.dumps({{"file": casekit.__file__, "datasets": rows, "cases": cases, "errors": len(errors)}}))
"""
    res = subprocess.run([str(py), "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["datasets"].keys() == set(casekit.dataset_names())
    assert all(n > 0 for n in report["datasets"].values())
    assert {"keda", "zhongtu"} <= set(report["cases"])
    assert report["errors"] == 0
    res = subprocess.run([str(py), "-m", "casekit", "notebooks", "mine"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert (work / "mine" / "exercises" / MASTERS[0].name).exists()
    # the handed-out Keda-Zhongtu exercise from the wheel: a right answer typed in, its check says so
    check = f"""
import json, nbformat
from nbclient import NotebookClient
nb = nbformat.read("02_keda_zhongtu_exercises.ipynb", as_version=4)
cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("q2_order = ..."))
cell.source = 'q2_order = ["marketing_driven_rd", "technology_expansion", "market_leading"]'
nb.cells = nb.cells[:nb.cells.index(cell) + 2]
NotebookClient(nb, timeout=60, startup_timeout=120, kernel_name="python3", allow_errors=True,
               resources={{"metadata": {{"path": "."}}}}).execute()
print(json.dumps("".join(o.get("data", {{}}).get("text/plain", "") for o in nb.cells[-1].outputs)))
"""
    res = subprocess.run([str(py), "-c", check], cwd=work / "mine" / "exercises", env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    shown = json.loads(res.stdout.strip().splitlines()[-1])
    assert "q2_order_stages: format OK" in shown, shown
    print(f"\nclean venv: created and installed in {installed:.0f} s; checks in {time.monotonic() - t0 - installed:.0f} s")
