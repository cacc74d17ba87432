"""The notebooks a student gets: the narrative units and the student versions of the exercises.

A wheel carries them inside the package (``casekit/_notebooks`` is the build's copy of the top-level
``notebooks/0*.ipynb``; ``casekit/_student`` holds the committed student versions, never the
masters); a clone reads ``notebooks/`` in place. ``python -m casekit notebooks DIR`` copies both to
a folder the student names::

    DIR/00_start_here.ipynb ... DIR/04_in_firm_cluster_costs.ipynb
    DIR/exercises/00_start_here_exercises.ipynb ...

A file the student changed since it was copied is never overwritten without ``--force``: the copy
records each file's sha256 in ``DIR/.casekit-notebooks.json``, so an untouched file is refreshed
with the kit's newer version and an edited one is kept.

For maintainers: ``python -m casekit.handout ship`` copies ``dist/student/*.ipynb`` (built by
``python -m casekit.instructor student``) into ``casekit/_student`` with the sha256 of the master
each was built from; tests/test_package.py fails when a master changes and its student version
was not rebuilt.

>>> [p.name for p in narrative_notebooks()][:2]
['00_start_here.ipynb', '01_srdi_landscape.ipynb']
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from importlib import resources
from pathlib import Path
from typing import Sequence

from .errors import CasekitError

__all__ = ["narrative_dir", "narrative_notebooks", "student_dir", "student_notebooks", "copy_notebooks",
           "ship_student_versions", "RECORD", "MANIFEST"]

_PACKAGE = Path(str(resources.files("casekit")))
_CLONE = _PACKAGE.parent
RECORD = ".casekit-notebooks.json"
MANIFEST = "manifest.json"


def narrative_dir() -> Path:
    """Where the narrative notebooks are: inside the package (wheel), else the clone's notebooks/."""
    shipped = _PACKAGE / "_notebooks"
    return shipped if shipped.is_dir() else _CLONE / "notebooks"


def narrative_notebooks() -> list[Path]:
    """The narrative units in teaching order (``0*.ipynb``; never the exercises folder)."""
    return sorted(narrative_dir().glob("0*.ipynb"))


def student_dir() -> Path:
    """The committed student versions of the exercises (the same folder in a clone and a wheel)."""
    return _PACKAGE / "_student"


def student_notebooks() -> list[Path]:
    return sorted(student_dir().glob("*.ipynb"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _both(en: str, zh: str) -> CasekitError:
    """A message for the command line, in both languages on one line (English first, then Chinese)."""
    return CasekitError(f"{en} / {zh}")


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _destination(dest: object) -> Path:
    """The folder named by the student, checked before anything is read or written."""
    if not isinstance(dest, (str, Path)) or not str(dest).strip():
        shown = _cut(repr(dest), 40)
        raise _both(f"Name the folder to copy the notebooks into, e.g. python -m casekit notebooks my-casekit "
                    f"({shown} names no folder; use . for the current one).",
                    f"请给出复制笔记本的目标文件夹，例如 python -m casekit notebooks my-casekit"
                    f"（{shown} 不是文件夹名；当前文件夹请写 .）。")
    text = str(dest)
    if "\x00" in text or len(text) > 4096 or any(len(part.encode("utf-8", "surrogateescape")) > 255
                                                  for part in Path(text).parts):
        raise _both(f"{_cut(repr(text), 60)} is not a usable folder name; give a short one such as my-casekit.",
                    f"{_cut(repr(text), 60)} 不是可用的文件夹名；请用较短的名字，例如 my-casekit。")
    path = Path(text).expanduser()
    if os.path.islink(path) and not path.exists():
        raise _both(f"{path} is a link to {_cut(os.readlink(path), 60)}, which does not exist. Remove the link or "
                    "name another folder.",
                    f"{path} 是指向 {_cut(os.readlink(path), 60)} 的链接，而目标不存在。请删除该链接或换一个文件夹。")
    if path.exists() and not path.is_dir():
        raise _both(f"{path} is a file, not a folder. Give a folder for the notebooks, e.g. my-casekit.",
                    f"{path} 是一个文件，不是文件夹；请给出一个文件夹，例如 my-casekit。")
    return path


def _target_problem(target: Path, root: Path, rel: str) -> tuple[str, str] | None:
    """Why ``target`` (``DIR/rel``) cannot take a notebook, or None. Copying follows links, so a link
    must lead to a regular file inside ``DIR``; anything else would write elsewhere or block."""
    if os.path.islink(target):
        dest = os.readlink(target)
        resolved = target.resolve()
        if not resolved.is_relative_to(root):
            return (f"{rel} is a link to {_cut(dest, 60)}, outside the folder: copying would write there",
                    f"{rel} 是指向文件夹外 {_cut(dest, 60)} 的链接：复制会写到那里")
        if not resolved.exists():
            return (f"{rel} is a link to {_cut(dest, 60)}, which does not exist",
                    f"{rel} 是指向 {_cut(dest, 60)} 的链接，而目标不存在")
    if target.is_dir():
        return f"{rel} is a folder where a notebook goes", f"{rel} 是文件夹，而这里应放笔记本"
    if target.exists() and not target.is_file():
        return (f"{rel} is a device or a pipe, not a file", f"{rel} 是设备或管道，不是文件")
    return None


def _check_targets(dest: Path, rels: list[str]) -> None:
    """Every path the copy will read or write is a plain file (or nothing yet) inside ``dest``."""
    if not dest.exists():
        return
    root = dest.resolve()
    problems = []
    for sub in sorted({str(Path(r).parent) for r in rels} - {"."}):
        folder = dest / sub
        if os.path.islink(folder) and not folder.resolve().is_relative_to(root):
            problems.append((f"{sub}/ is a link to {_cut(os.readlink(folder), 60)}, outside the folder",
                             f"{sub}/ 是指向文件夹外 {_cut(os.readlink(folder), 60)} 的链接"))
        elif os.path.lexists(folder) and not folder.is_dir():
            problems.append((f"{sub} is a file (or a broken link) where the folder {sub}/ goes",
                             f"{sub} 是文件（或失效的链接），而这里应是文件夹 {sub}/"))
    if not problems:
        problems = [p for p in (_target_problem(dest / rel, root, rel) for rel in rels) if p]
    if problems:
        shown = problems[:4]
        more = len(problems) - len(shown)
        raise _both(f"Not copied into {dest}: " + "; ".join(en for en, _ in shown)
                    + (f"; and {more} more" if more else "") + ". Remove or rename these, or copy into another folder.",
                    f"未复制到 {dest}：" + "；".join(zh for _, zh in shown)
                    + (f"；另有 {more} 处" if more else "") + "。请删除或改名，或换一个文件夹。")


def _os_error(dest: Path, exc: OSError) -> CasekitError:
    where = _cut(str(exc.filename or dest), 100)
    return _both(f"Cannot copy the notebooks into {dest}: {where}: {exc.strerror or exc}. Choose a folder you can "
                 "write to, e.g. python -m casekit notebooks ~/my-casekit",
                 f"无法把笔记本复制到 {dest}：{where}：{exc.strerror or exc}。请选择你可写的文件夹，"
                 "例如 python -m casekit notebooks ~/my-casekit")


def copy_notebooks(dest: str | Path, force: bool = False, keep_changed: bool = False) -> list[tuple[str, str]]:
    """Copy the narrative notebooks and the student exercises into ``dest``.

    Returns ``(relative path, what happened)`` for every file: ``"copied"``, ``"updated"`` (the
    student had not touched it), ``"unchanged"``, ``"replaced"`` (changed by the student, and
    ``force``) or ``"kept"`` (changed by the student, and ``keep_changed``: the hub's start script
    adds new notebooks without touching a student's work). Otherwise raises :class:`CasekitError`,
    writing nothing, when a file the student changed would be overwritten, or when a path in
    ``dest`` is a folder, a device, a pipe or a link leading out of ``dest`` (even with ``force``:
    copying follows links).
    """
    dest = _destination(dest)
    plan = [(p.name, p) for p in narrative_notebooks()] + [(f"exercises/{p.name}", p) for p in student_notebooks()]
    if not plan:
        raise _both("This casekit install carries no notebooks. Reinstall casekit.", "本安装中没有笔记本，请重新安装 casekit。")
    try:
        return _copy(dest, plan, force, keep_changed)
    except OSError as exc:
        raise _os_error(dest, exc) from None


def _copy(dest: Path, plan: list[tuple[str, Path]], force: bool, keep_changed: bool) -> list[tuple[str, str]]:
    _check_targets(dest, [rel for rel, _ in plan] + [RECORD])
    record_path = dest / RECORD
    try:
        record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.is_file() else {}
    except (OSError, ValueError, RecursionError):
        record = {}
    if not isinstance(record, dict):
        record = {}
    actions, changed = [], []
    for rel, src in plan:
        target = dest / rel
        new = _sha256(src)
        if not target.exists():
            actions.append((rel, "copied"))
        elif _sha256(target) == new:
            actions.append((rel, "unchanged"))
        elif record.get(rel) == _sha256(target):
            actions.append((rel, "updated"))
        elif keep_changed and not force:
            actions.append((rel, "kept"))
        else:
            changed.append(rel)
            actions.append((rel, "replaced"))
    if changed and not force:
        names = "\n  ".join(changed)
        raise CasekitError(
            f"Not copied: these files in {dest} were changed since casekit put them there, and would be "
            f"overwritten:\n  {names}\nKeep your work: copy into another folder, or rename these files. "
            f"To overwrite them anyway, add --force.\n"
            f"未复制：{dest} 中的上述文件已被修改，复制会覆盖它们。请换一个文件夹或先改名；确需覆盖请加 --force。")
    for (rel, src), (_, action) in zip(plan, actions):
        if action == "kept":
            continue
        if action != "unchanged":
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / rel)
        record[rel] = _sha256(src)
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    return actions


def ship_student_versions(built: str | Path | None = None, exercises: str | Path | None = None) -> dict:
    """Copy ``built/*.ipynb`` (default ``dist/student``) into ``casekit/_student`` and record, for
    each, the sha256 of its master in ``exercises`` (default ``notebooks/exercises``) and its own.
    Student versions without a master, and masters without a student version, are refused."""
    built = Path(built) if built else _CLONE / "dist" / "student"
    exercises = Path(exercises) if exercises else _CLONE / "notebooks" / "exercises"
    masters = {p.name: p for p in exercises.glob("*.ipynb")}
    students = {p.name: p for p in built.glob("*.ipynb")}
    if not masters:
        raise CasekitError(f"No exercise masters in {exercises}: run this from the casekit repository.")
    missing, orphans = sorted(set(masters) - set(students)), sorted(set(students) - set(masters))
    if missing or orphans:
        raise CasekitError(
            f"{built} does not match {exercises}: no student version for {missing or 'none'}, no master "
            f"for {orphans or 'none'}. Rebuild: python -m casekit.instructor student")
    for stale in student_notebooks():
        stale.unlink()
    manifest = {}
    for name, src in sorted(students.items()):
        shutil.copyfile(src, student_dir() / name)
        manifest[name] = {"master_sha256": _sha256(masters[name]), "student_sha256": _sha256(src)}
    (student_dir() / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m casekit.handout",
                                     description="Maintainers: ship the student versions inside the package.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    ship = sub.add_parser("ship", help="copy dist/student/*.ipynb into casekit/_student with their masters' sha256")
    ship.add_argument("--built", help="folder of student versions (default dist/student)")
    ship.add_argument("--exercises", help="folder of the masters (default notebooks/exercises)")
    args = parser.parse_args(argv)
    try:
        manifest = ship_student_versions(args.built, args.exercises)
    except CasekitError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Shipped {len(manifest)} student version(s) into {student_dir()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
