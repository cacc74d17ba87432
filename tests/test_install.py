"""The install paths agree: pyproject.toml, environment.yml, the README and .ci/run."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"python-graphviz": "graphviz"}
CONDA_ONLY = {"python", "pip", "graphviz"}  # the interpreter, pip, and the `dot` program itself


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower()


def test_environment_yml_names_the_same_runtime_dependencies():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = {_name(r) for r in pyproject["project"]["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        else:
            conda.add(_name(dep))
    assert "graphviz" in conda, "conda-forge's graphviz brings the dot program"
    named = {CONDA_TO_PYPI.get(c, c) for c in conda - CONDA_ONLY} | pip
    assert named == runtime, f"only in environment.yml: {named - runtime}; only in pyproject: {runtime - named}"
    assert any(isinstance(d, dict) and "-e ." in d["pip"] for d in env["dependencies"]), "installs casekit itself"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test$", ci, re.M)


def test_lab_target_opens_start_here():
    mk = (ROOT / "Makefile").read_text()
    assert "jupyter lab notebooks/00_start_here.ipynb" in mk
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()


def test_system_deps_says_what_it_could_not_install_and_what_the_kit_does(tmp_path):
    """On a machine without dot, a CJK font, apt-get or brew, the install step explains and goes on."""
    import shutil
    import subprocess

    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("sh", "id", "uname", "grep", "echo"):
        found = shutil.which(tool)
        if found:
            (bindir / tool).symlink_to(found)
    make = shutil.which("make")
    res = subprocess.run([make, "-s", "-C", str(ROOT), "system-deps", "SUDO=NOSUDO"],
                         env={"PATH": str(bindir)}, capture_output=True, text=True)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "could not install: graphviz bubblewrap fonts-wqy-microhei" in out
    assert "WebAssembly" in out and "boxes" in out
