"""Instructor tools: student versions, sandboxed grading, written answers, self-study versions.

One module per job (the command line is a thin layer on top)::

    masters    finding masters, reading their setup, questions and answer names
    build      otter assign, proof (solutions full marks, blank nothing), manifest and hashes
    leaks      the leak scan of student versions
    sandbox    bubblewrap arguments and limits: the one place student code is confined
    worker     what runs inside the sandbox (student cells; hidden tests)
    plaindata  answers as plain data, the only thing that crosses the boundary
    evaluate   one notebook through both sandboxed steps
    grade      a folder of submissions: reading, caching, integrity, batch
    feedback   tables, gradebook, written answers, feedback files
    selfstudy  self-study versions (full checks, folded solutions)
    cli        ``python -m casekit.instructor ...``

Submodules load on first use, so the sandboxed worker imports only what it needs.
"""
from __future__ import annotations

import importlib

__all__ = [
    "Leak", "Build", "GradeReport", "exercise_masters", "find_masters", "build_student",
    "build_students", "scan_for_leaks", "scan_built", "build_selfstudy", "grade", "default_jobs",
    "main", "ROOT", "EXERCISES", "DIST",
]

_WHERE = {
    "Leak": "leaks", "scan_for_leaks": "leaks", "scan_built": "leaks",
    "Build": "build", "build_student": "build", "build_students": "build", "default_jobs": "build",
    "exercise_masters": "masters", "find_masters": "masters", "ROOT": "masters",
    "EXERCISES": "masters", "DIST": "masters",
    "build_selfstudy": "selfstudy", "grade": "grade", "GradeReport": "grade", "main": "cli",
}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'casekit.instructor' has no attribute {name!r}")
