"""The JupyterHub path, checked without a container engine: the image folder hub/ agrees with
pyproject.toml and places notebooks that exist; the Zero to JupyterHub values (hub/z2jh-config.yaml,
and the same YAML in the README) pass the chart's own values.schema.json."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

from casekit import handout

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "hub"
DATA = Path(__file__).resolve().parent / "data"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]


def _merge(defaults: dict, values: dict) -> dict:
    """Helm's merge of a values file over the chart's defaults (maps recursively, null deletes)."""
    out = dict(defaults)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _errors(values: dict) -> list[str]:
    schema = json.loads((DATA / "z2jh-values.schema.json").read_text())
    defaults = yaml.safe_load((DATA / "z2jh-values.yaml").read_text())
    merged = _merge(defaults, values)
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(merged)]


def _config() -> dict:
    return yaml.safe_load((HUB / "z2jh-config.yaml").read_text())


def test_z2jh_config_passes_the_charts_values_schema():
    assert _errors({}) == [], "the chart's own defaults must validate (else the copy is broken)"
    assert _errors(_config()) == []


def test_the_schema_check_catches_a_misspelt_key():
    bad = _config()
    bad["singleuser"]["memory"]["limt"] = bad["singleuser"]["memory"].pop("limit")
    assert any("limt" in e for e in _errors(bad))
    bad = _config()
    bad["cull"]["timeout"] = "half an hour"
    assert _errors(bad)


def _bytes(size: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", str(size))
    unit = {"K": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, None: 1}[m.group(2)]
    return float(m.group(1)) * unit


def test_memory_fits_the_measured_kernel_and_culling_is_on():
    cfg = _config()
    guarantee, limit = (_bytes(cfg["singleuser"]["memory"][k]) for k in ("guarantee", "limit"))
    kernel_max, server = 160e6, 80e6   # benchmarks: 115-160 MB per kernel after a unit (unit 2: 158); server ~80 MB
    assert guarantee >= kernel_max + server
    assert limit >= 3 * kernel_max + server
    assert cfg["cull"]["enabled"] is True and 0 < cfg["cull"]["timeout"] <= 3600
    assert cfg["singleuser"]["image"]["tag"] == VERSION


def test_readme_shows_the_same_z2jh_config():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("Teach with a hub", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    assert yaml.safe_load(block) == _config()


def test_hub_image_installs_this_version_of_the_wheel_and_adds_no_repository_files():
    post = (HUB / "postBuild").read_text()
    wheels = re.findall(r"wheels/(casekit-[^\"'\s]+\.whl)", post)
    assert wheels == [f"casekit-{VERSION}-py3-none-any.whl"], wheels
    assert os.access(HUB / "postBuild", os.X_OK) and os.access(HUB / "start", os.X_OK)
    assert (HUB / "apt.txt").read_text().split() == (ROOT / "apt.txt").read_text().split()
    runtime = (HUB / "runtime.txt").read_text().strip()
    minimum = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert tuple(map(int, runtime.removeprefix("python-").split("."))) >= tuple(map(int, minimum.split(".")))
    reqs = [r.split("#")[0].strip() for r in (HUB / "requirements.txt").read_text().splitlines()]
    assert not [r for r in reqs if r.lower().startswith("casekit") or r.startswith((".", "-e"))]
    assert {r.split(">")[0].split("=")[0] for r in reqs if r} >= {"jupyterhub", "nbgitpuller"}
    tracked = {p.name for p in HUB.iterdir()}
    assert tracked <= {"requirements.txt", "runtime.txt", "apt.txt", "postBuild", "start", "z2jh-config.yaml",
                       "README.md", "wheels"}, tracked
    mk = (ROOT / "Makefile").read_text()
    assert re.search(r"^hub:.*\n(\t.*\n)*\t.*pip wheel --no-deps --wheel-dir hub/wheels \.", mk, re.M)


@pytest.mark.skipif(os.name == "nt", reason="the start script is bash")
def test_start_script_places_the_notebooks_the_hub_opens(tmp_path):
    """Run hub/start as the hub would (HOME is the student's), then what defaultUrl opens exists."""
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=str(ROOT),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    res = subprocess.run(["bash", str(HUB / "start"), "true"], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    url = _config()["singleuser"]["defaultUrl"]
    assert (tmp_path / url.removeprefix("/lab/tree/")).exists(), url
    placed = {p.relative_to(tmp_path / "casekit").as_posix() for p in (tmp_path / "casekit").rglob("*.ipynb")}
    masters = {p.name for p in (ROOT / "notebooks" / "exercises").glob("*.ipynb")}
    assert {f"exercises/{m}" for m in masters} <= placed
    assert {p.name for p in handout.narrative_notebooks()} <= placed
    for rel in placed:   # the student versions, never a master
        if rel.startswith("exercises/"):
            assert (tmp_path / "casekit" / rel).read_bytes() != (ROOT / "notebooks" / rel).read_bytes()
    # A student's change survives the next start; a new notebook still arrives.
    mine = tmp_path / "casekit" / "02_keda_zhongtu.ipynb"
    mine.write_text("my work")
    (tmp_path / "casekit" / "03_qingdao_six_paths.ipynb").unlink()
    res = subprocess.run(["bash", str(HUB / "start"), "true"], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and mine.read_text() == "my work"
    assert "kept" in res.stdout and (tmp_path / "casekit" / "03_qingdao_six_paths.ipynb").exists()
