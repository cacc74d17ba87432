"""Every exercise master passes `otter assign`, which also runs its tests against its solutions."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MASTERS = sorted((ROOT / "notebooks" / "exercises").glob("*.ipynb"))
OTTER = Path(sys.executable).parent / "otter"


def test_every_unit_has_a_master():
    assert any(p.name == "00_start_here_exercises.ipynb" for p in MASTERS)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_otter_assign(master, tmp_path):
    res = subprocess.run([str(OTTER), "assign", str(master), str(tmp_path / "dist")],
                         capture_output=True, text=True, cwd=master.parent)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    student = tmp_path / "dist" / "student" / master.name
    assert student.exists()
    assert list((tmp_path / "dist" / "autograder").glob("*.zip"))
    text = student.read_text(encoding="utf-8")
    assert "# SOLUTION" not in text and "BEGIN SOLUTION" not in text, "solutions leaked into the student version"
    assert "hidden: true" not in text, "hidden tests leaked into the student version"
