"""The manifest of a built master: what grading and the leak scan read, checked against its keyed hash.

Below :mod:`build` (which writes manifests) and :mod:`leaks` (which reads them), so neither imports
the other.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import CasekitError
from . import integrity

__all__ = ["MANIFEST_VERSION", "load_manifest"]

MANIFEST_VERSION = 3   # 3: written questions carry their prompt, rubric and model answer


def load_manifest(dist: Path, name: str) -> dict:
    """The manifest of a built master, checked against its keyed hash; the bundle's hash too."""
    dist = Path(dist)
    path = dist / "autograder" / f"{name}.manifest.json"
    zip_path = dist / "autograder" / f"{name}.zip"
    if not path.exists() or not zip_path.exists():
        raise FileNotFoundError(path)
    key = integrity.key_for(dist)
    try:
        man = json.loads(path.read_text(encoding="utf-8"))
        body, tag = man["body"], man["mac"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CasekitError(f"The manifest {path} is unreadable. Rebuild it: python -m casekit.instructor "
                           f"student {name[:2]}") from exc
    if not integrity.verify(tag, integrity.mac(key, integrity.canonical(body))):
        raise CasekitError(f"The manifest {path.name} was changed after it was built (its keyed hash no "
                           f"longer matches). Grading stopped; nothing was graded with it. Rebuild it: "
                           f"python -m casekit.instructor student {name[:2]}")
    if not integrity.verify(body.get("bundle_mac", ""), integrity.mac_file(key, zip_path)):
        raise CasekitError(f"The autograder bundle {zip_path.name} was changed after it was built (its "
                           f"keyed hash no longer matches). Grading stopped; nothing was graded with it. "
                           f"Rebuild it: python -m casekit.instructor student {name[:2]}")
    return body


