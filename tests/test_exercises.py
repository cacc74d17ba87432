"""Every exercise master passes `otter assign`, which also runs its tests against its solutions.

The assign itself runs once per session in conftest.py's ``built`` fixture (shared with the
instructor tests, so each master is built once, not twice).
"""
import json

import pytest
from conftest import MASTERS

from casekit.errors import CasekitError


def test_every_unit_has_a_master():
    names = {p.name for p in MASTERS}
    assert "00_start_here_exercises.ipynb" in names
    for unit in ("01_srdi_landscape", "02_keda_zhongtu", "03_qingdao_six_paths", "04_in_firm_cluster_costs"):
        assert f"{unit}_exercises.ipynb" in names, f"unit {unit} has no exercise master"


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_otter_assign(built, master):
    dist, results = built
    result = results[master.name]
    if isinstance(result, CasekitError):
        pytest.fail(f"otter assign failed on {master.name}:\n{result}")
    assert result.student.exists() and result.autograder.exists()
    text = result.student.read_text(encoding="utf-8")
    assert "# SOLUTION" not in text and "BEGIN SOLUTION" not in text, "solutions leaked into the student version"
    assert "hidden: true" not in text, "hidden tests leaked into the student version"
    sources = ["".join(c["source"]) for c in json.loads(text)["cells"]]
    assert any(src.startswith("grader.check(") for src in sources), "the student version has no named checks"
