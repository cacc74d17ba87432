"""One switch for the language: save the choice and show the chosen language first in the narrative.

Every markdown cell of a narrative notebook holds the same text twice, in English and in Chinese.
The two blocks are marked with HTML comments (invisible when the notebook is rendered)::

    ## Loading a dataset · 读取数据集

    <!-- en -->

    `casekit.load_dataset(name)` gives you an ordinary pandas DataFrame ...

    <!-- zh -->

    `casekit.load_dataset(name)` 返回普通的 pandas DataFrame ...

Text before the first marker, and text after a ``<!-- both -->`` marker, belongs to both languages
(a bilingual heading, a closing "Next · 下一步" line). Switching the language reorders each
English/Chinese pair so that the chosen language comes first and swaps the halves of bilingual
headings ("## 读取数据集 · Loading a dataset"); nothing is added or lost, and switching twice
changes nothing.

Cells without markers are split by script: a line whose letters are mostly Chinese characters is
Chinese, a line of Latin letters is English, a line with both halves ("A · B") is bilingual. A cell
that does not split into English/Chinese pairs (one language only, or English–Chinese–English) is
left as it is and reported.

Command line (also run by ``CASEKIT_LANG=zh make lab``)::

    python -m casekit language zh [DIR]   # save 中文 for every kernel, Chinese first in DIR's notebooks
    python -m casekit language en [DIR]   # the same for English (the default)
    python -m casekit language mark [DIR] # maintainers: add the markers, English (the default) first,
                                          # save nothing: how the kit stores its notebooks

DIR defaults to the kit's ``notebooks/`` folder; only the notebooks directly in DIR (the narrative,
not ``exercises/``) are rewritten.

>>> cell = "## Data · 数据\\n\\nEnglish text.\\n\\n中文文字。"
>>> print(order_text(cell, "zh"))
## 数据 · Data
<BLANKLINE>
<!-- zh -->
<BLANKLINE>
中文文字。
<BLANKLINE>
<!-- en -->
<BLANKLINE>
English text.
>>> order_text(order_text(cell, "zh"), "zh") == order_text(cell, "zh")
True
"""
from __future__ import annotations

import itertools
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from . import i18n, settings
from ._yaml import FileError, read_text
from .errors import CasekitError

__all__ = [
    "NOTEBOOKS_DIR", "MARKER", "classify_line", "split_cell", "mark_text", "order_text", "blocks",
    "rewrite_notebook", "apply", "mark", "switch", "language_picker", "main",
]

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
MARKER = re.compile(r"^\s*<!--\s*(en|zh|both)\s*-->\s*$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e“”‘’…—]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# Parts of a line that say nothing about its language: inline code, link targets, URLs, HTML tags.
_NOISE = re.compile(r"`[^`]*`|\]\([^)]*\)|https?://\S+|<[^>]+>|\$[^$]*\$")
_SPLIT = re.compile(r"\s+(?:·|/|\|)\s+")
_HEADING = re.compile(r"^(#{1,6}\s+)((?:\d+(?:\.\d+)*\s*[·.]\s+)?)(.*?)\s*$")


def classify_line(line: str) -> str:
    """``"en"``, ``"zh"``, ``"both"`` (an "English · 中文" line), ``"neutral"`` or ``"blank"``."""
    if not line.strip():
        return "blank"
    if MARKER.match(line):
        return "marker"
    if _halves(line) is not None:
        return "both"
    return _script(line)


def _counts(text: str) -> tuple[int, int, int]:
    text = _NOISE.sub(" ", text)
    return len(_HAN.findall(text)), len(_CJK.findall(text)), len(_LATIN.findall(text))


def _script(text: str) -> str:
    han, cjk, latin = _counts(text)
    if han == 0 and latin == 0:
        return "neutral"
    # One Chinese character carries about as much as a short English word: weigh it 3:1. An
    # English sentence quoting a term (专精特新) stays English; a Chinese sentence naming
    # pandas or DataFrame stays Chinese.
    return "zh" if han and cjk * 3 >= latin else "en"


def _density(text: str) -> float | None:
    han, _, latin = _counts(text)
    return han / (han + latin) if han + latin else None


_MAX_SEPARATORS = 32


def _halves(line: str) -> tuple[int, int, int, str, str] | None:
    """For a line made of an English half and a Chinese half ("Start here · 从这里开始",
    "What 专精特新 means · 专精特新是什么"): (separator start, end, index of the Chinese half,
    English half, Chinese half). None for any other line."""
    clean = _NOISE.sub(lambda m: "x" * len(m.group(0)) if m.group(0).startswith("`") else " " * len(m.group(0)), line)
    # A line of two halves has a separator or two; trying each of thousands would be quadratic.
    seps = list(itertools.islice(_SPLIT.finditer(clean), _MAX_SEPARATORS))
    for m in seps:
        a, b = line[:m.start()], line[m.end():]
        da, db = _density(a), _density(b)
        if da is None or db is None:
            continue
        # the halves differ clearly in script: one mostly Chinese, the other mostly Latin letters
        if abs(da - db) >= 0.5 and min(da, db) <= 0.4 and max(da, db) >= 0.6:
            zh_first = da > db
            en_half, zh_half = (b, a) if zh_first else (a, b)
            # and say about as much: an English sentence ending in "(kit's reading · 本套件的解读)"
            # is English, not a bilingual line
            words = len(re.findall(r"[A-Za-z]+", _NOISE.sub(" ", en_half)))
            chars = _counts(zh_half)[0] / 1.5
            if not words or not chars or max(words, chars) > 4 * min(words, chars):
                continue
            return m.start(), m.end(), 0 if zh_first else 1, en_half, zh_half
    return None


@dataclass
class Block:
    lang: str | None          # "en", "zh" or None (shared by both languages)
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip("\n")


def blocks(text: str) -> list[Block] | None:
    """The marked blocks of a cell, or None when the cell carries no markers."""
    lines = text.split("\n")
    if not any(MARKER.match(x) for x in lines):
        return None
    out = [Block(None)]
    for line in lines:
        m = MARKER.match(line)
        if m:
            out.append(Block(None if m.group(1) == "both" else m.group(1)))
        else:
            out[-1].lines.append(line)
    return [b for b in out if b.text.strip() or b.lang is not None]


def split_cell(text: str) -> list[Block]:
    """Split an unmarked cell into runs of English, Chinese and shared (bilingual/neutral) lines."""
    lines = text.split("\n")
    kinds = [classify_line(x) for x in lines]
    fence = False
    for i, line in enumerate(lines):   # a fenced code block is neutral, whatever it contains
        if line.lstrip().startswith(("```", "~~~")):
            kinds[i], fence = "neutral", not fence
        elif fence:
            kinds[i] = "neutral"
    # A neutral line (a table rule, a lone number) belongs to the paragraph around it.
    # The kind of the next line that is not neutral, found in one pass from the end (a scan forward
    # from every neutral line was quadratic: 80,000 table rows took minutes).
    after: list[str | None] = [None] * len(kinds)
    upcoming = None
    for i in range(len(kinds) - 1, -1, -1):
        after[i] = upcoming
        if kinds[i] != "neutral":
            upcoming = kinds[i]
    resolved = list(kinds)
    for i, k in enumerate(kinds):
        if k != "neutral":
            continue
        before = resolved[i - 1] if i else None      # already resolved: never "neutral"
        if before in ("en", "zh"):
            resolved[i] = before
            continue
        resolved[i] = after[i] if after[i] in ("en", "zh") else "both"
    runs: list[Block] = []
    pending_blank: list[str] = []
    for line, k in zip(lines, resolved):
        if k == "blank":
            pending_blank.append(line)
            continue
        lang = None if k == "both" else k
        if runs and runs[-1].lang == lang:
            runs[-1].lines.extend(pending_blank + [line])
        else:
            runs.append(Block(lang, [line]))
        pending_blank = []
    return runs


def _pairs(seq: list[Block]) -> list[list[Block]] | None:
    """Group blocks into shared blocks and English/Chinese pairs; None if they do not pair up."""
    out: list[list[Block]] = []
    group: list[Block] = []
    for b in seq + [Block(None)]:
        if b.lang is not None:
            group.append(b)
            continue
        if group:
            if len(group) % 2:
                return None
            for k in range(0, len(group), 2):
                if {group[k].lang, group[k + 1].lang} != {"en", "zh"}:
                    return None
                out.append(group[k:k + 2])
            group = []
        if b.text.strip():
            out.append([b])
    return out


def _swap_halves(line: str, lang: str) -> str:
    """A bilingual heading (or a line whose halves are each a phrase) with ``lang``'s half first."""
    found = _halves(line)
    if found is None:
        return line
    start, end, zh_index, en_half, zh_half = found
    m = _HEADING.match(line)
    prefix = ""
    if m:
        prefix = m.group(1) + m.group(2)
    elif min(_counts(en_half)[2], 4 * _counts(zh_half)[0]) < 12:
        return line   # "Next · 下一步: `x`": too short to stand alone, keep as written
    first_is_zh = zh_index == 0
    if (lang == "zh") == first_is_zh:
        return line
    a, b = line[:start], line[end:]
    if prefix and a.startswith(prefix):
        a = a[len(prefix):]
    return f"{prefix}{b.strip()}{line[start:end]}{a.strip()}"


def _render(groups: list[list[Block]], lang: str | None) -> str:
    parts: list[str] = []
    after_pair = False
    for g in groups:
        if len(g) == 1:       # shared text
            body = "\n".join(_swap_halves(x, lang) if lang else x for x in g[0].text.split("\n"))
            parts.append(("<!-- both -->\n\n" if after_pair else "") + body)
            after_pair = False
            continue
        if lang is not None:
            g = sorted(g, key=lambda b: b.lang != lang)
        for b in g:
            parts.append(f"<!-- {b.lang} -->\n\n{b.text}")
        after_pair = True
    return "\n\n".join(parts)


def mark_text(text: str) -> str | None:
    """The cell with markers added (order kept); the cell itself if already marked; None if it is not
    a set of English/Chinese pairs (one language only, or an unpaired paragraph)."""
    seq = blocks(text)
    if seq is not None:
        return text
    groups = _pairs(split_cell(text))
    if groups is None or not any(len(g) == 2 for g in groups):
        return None
    return _render(groups, None)


def order_text(text: str, lang: str) -> str:
    """The cell with the chosen language's block first in every pair (markers added if missing).

    A cell that cannot be split into pairs comes back unchanged.
    """
    lang = _lang(lang)
    seq = blocks(text)
    if seq is None:
        marked = mark_text(text)
        if marked is None:
            return text
        seq = blocks(marked)
    groups = _pairs(seq)
    if groups is None:
        return text
    return _render(groups, lang)


def _both(en: str, zh: str) -> CasekitError:
    """An error in both languages: these messages are read on a command line, before the language
    is settled, as often as in a notebook."""
    return CasekitError(f"{en} / {zh}")


def _lang(lang: str) -> str:
    if not isinstance(lang, str) or lang.strip().lower() not in settings.LANGUAGES:
        shown = repr(lang) if len(repr(lang)) <= 40 else repr(lang)[:39] + "…"
        raise _both(f"Unknown language {shown}. Choose 'zh' (中文) or 'en' (English).",
                    f"未知语言 {shown}。请选择 'zh'（中文）或 'en'（英文）。")
    return lang.strip().lower()


@dataclass
class Rewrite:
    """What happened to one notebook."""

    path: Path
    changed: bool
    unpaired: list[int]   # markdown cells left as they are (one language, or no clean pairs)

    def __str__(self) -> str:
        what = "rewritten" if self.changed else "unchanged"
        note = (f"; markdown cells {self.unpaired} are not English/Chinese pairs and were left as they are"
                if self.unpaired else "")
        return f"{self.path.name}: {what}{note}"


def _cell_status(text: str) -> str:
    """"paired" (has both blocks), "bilingual" (only "A · B" lines) or "single"."""
    seq = blocks(text)
    if seq is not None:
        return "paired" if {b.lang for b in seq} >= {"en", "zh"} else "single"
    kinds = {classify_line(x) for x in text.split("\n")} - {"blank", "neutral"}
    return "bilingual" if kinds == {"both"} else "single"


_MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024   # a narrative notebook with its figures is a few MB


def _read_notebook(path: Path) -> dict:
    """The notebook's JSON, checked for the shape this module walks (a dict whose ``cells`` is a list
    of cells with a string or a list of strings as their source); anything else is a CasekitError."""
    try:
        text = read_text(path, limit=_MAX_NOTEBOOK_BYTES, what=("notebook", "笔记本"),
                         hint=("Fix it, or move it out of the folder.", "请修复它，或把它移出该文件夹。"))
    except FileError as exc:
        raise _both(exc.en, exc.zh) from None
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError):
        nb = None
        problem_en, problem_zh = "it is not valid JSON", "它不是合法的 JSON"
    else:
        problem_en = problem_zh = None
        cells = nb.get("cells") if isinstance(nb, dict) else None
        if not isinstance(nb, dict):
            problem_en, problem_zh = f"it holds a JSON {type(nb).__name__}, not a notebook", f"它是 JSON {type(nb).__name__}，不是笔记本"
        elif "cells" not in nb:
            problem_en, problem_zh = "it has no 'cells' list", "它缺少 'cells' 列表"
        elif not isinstance(cells, list):
            shown = repr(cells) if len(repr(cells)) <= 30 else repr(cells)[:29] + "…"
            problem_en, problem_zh = f"its 'cells' is {shown}, not a list of cells", f"其 'cells' 是 {shown}，不是单元格列表"
        else:
            for i, cell in enumerate(cells):
                src = cell.get("source", "") if isinstance(cell, dict) else None
                if not isinstance(cell, dict) or not (isinstance(src, str) or (
                        isinstance(src, list) and all(isinstance(x, str) for x in src))):
                    problem_en = f"cell {i} is not a notebook cell (a mapping whose source is text)"
                    problem_zh = f"第 {i} 个单元格不是笔记本单元格（应是 source 为文本的映射）"
                    break
    if problem_en:
        name = path.name if len(path.name) <= 80 else path.name[:79] + "…"
        raise _both(f"{name} is not a Jupyter notebook casekit can reorder: {problem_en}. Open it in Jupyter and "
                    "save it again, or move it out of the folder.",
                    f"{name} 不是 casekit 能调整顺序的 Jupyter 笔记本：{problem_zh}。请在 Jupyter 中打开并重新保存，"
                    "或把它移出该文件夹。")
    return nb


def _plan(path: str | Path, lang: str | None) -> tuple[Rewrite, str | None]:
    """What rewriting one notebook would do, and the new file text (None when nothing changes)."""
    path = Path(path)
    nb = _read_notebook(path)
    changed, unpaired = False, []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "markdown":
            continue
        src = cell.get("source", "")
        text = "".join(src) if isinstance(src, list) else src
        new = mark_text(text) if lang is None else order_text(text, lang)
        if new is None or _cell_status(new) != "paired":
            if _cell_status(text) != "bilingual":
                unpaired.append(i)
            continue
        if new != text:
            cell["source"] = new.splitlines(keepends=True)
            changed = True
    # nbformat's own layout (indent 1, non-ASCII kept), so a diff shows only the moved text.
    return Rewrite(path, changed, unpaired), (json.dumps(nb, ensure_ascii=False, indent=1) + "\n" if changed else None)


def _write(rewrite: Rewrite, text: str | None) -> None:
    if text is None:
        return
    try:
        rewrite.path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _both(f"Cannot write {rewrite.path}: {exc.strerror or exc}. Use a folder of notebooks you may change "
                    "(a copy: python -m casekit notebooks my-casekit).",
                    f"无法写入 {rewrite.path}：{exc.strerror or exc}。请使用你有权修改的笔记本文件夹"
                    "（可先复制：python -m casekit notebooks my-casekit）。") from None


def rewrite_notebook(path: str | Path, lang: str | None, write: bool = True) -> Rewrite:
    """Add markers to (``lang=None``) or reorder (``lang="zh"``/``"en"``) every markdown cell of one
    notebook; the file is written only when something changed, keeping its JSON layout."""
    rewrite, text = _plan(path, lang)
    if write:
        _write(rewrite, text)
    return rewrite


def _notebooks(folder: str | Path | None) -> list[Path]:
    """The notebooks directly in ``folder``, each a regular file or a link to one inside the folder
    (rewriting follows links: one leading out of the folder would change a file elsewhere)."""
    example_en = "e.g. python -m casekit language zh notebooks"
    example_zh = "例如 python -m casekit language zh notebooks"
    if folder is not None and (not isinstance(folder, (str, Path)) or not str(folder).strip()
                               or "\x00" in str(folder) or len(str(folder)) > 4096):
        shown = repr(folder) if len(repr(folder)) <= 40 else repr(folder)[:39] + "…"
        raise _both(f"Name the folder that holds the narrative notebooks, {example_en}; {shown} is not one.",
                    f"请给出存放叙述笔记本的文件夹，{example_zh}；{shown} 不是文件夹。")
    root = Path(folder).expanduser() if folder is not None else NOTEBOOKS_DIR
    try:
        if not root.is_dir():
            raise _both(f"No folder {root}: give the folder that holds the narrative notebooks, {example_en}",
                        f"没有文件夹 {root}：请给出存放叙述笔记本的文件夹，{example_zh}")
        found = sorted(p for p in root.glob("*.ipynb") if not p.name.startswith("."))
        inside = root.resolve()
        for p in found:
            if p.is_symlink() and not p.resolve().is_relative_to(inside):
                raise _both(f"{p.name} in {root} is a link to {os.readlink(p)}, outside the folder; rewriting it would "
                            "change that file. Replace the link by a copy, or remove it.",
                            f"{root} 中的 {p.name} 是指向文件夹外 {os.readlink(p)} 的链接，改写它会改动那个文件。"
                            "请用副本替换该链接，或删除它。")
    except (OSError, RuntimeError) as exc:   # RuntimeError: a link loop (Path.resolve)
        reason = getattr(exc, "strerror", None) or exc
        raise _both(f"Cannot read the folder {root}: {reason}. Give a folder of notebooks you may read, {example_en}",
                    f"无法读取文件夹 {root}：{reason}。请给出可读的笔记本文件夹，{example_zh}") from None
    if not found:
        raise _both(f"No notebooks (*.ipynb) in {root}. Give the folder that holds them, {example_en}",
                    f"{root} 中没有笔记本（*.ipynb）。请给出存放笔记本的文件夹，{example_zh}")
    return found


def _rewrite_all(lang: str | None, folder: str | Path | None) -> list[tuple[Rewrite, str | None]]:
    """Every notebook of ``folder`` read and checked before any is written: one that cannot be
    rewritten stops the switch with nothing changed."""
    return [_plan(p, lang) for p in _notebooks(folder)]


def _write_all(plans: list[tuple[Rewrite, str | None]]) -> list[Rewrite]:
    for rewrite, text in plans:
        _write(rewrite, text)
    return [r for r, _ in plans]


def apply(lang: str, folder: str | Path | None = None) -> list[Rewrite]:
    """Show ``lang`` first in every narrative notebook of ``folder`` (default: the kit's notebooks)."""
    lang = _lang(lang)
    return _write_all(_rewrite_all(lang, folder))


def mark(folder: str | Path | None = None) -> list[Rewrite]:
    """Add language markers to every narrative notebook of ``folder`` and put English, the default
    language, first; no setting is saved. This is how the kit stores its notebooks."""
    return _write_all(_rewrite_all(settings.DEFAULT, folder))


def switch(lang: str, folder: str | Path | None = None, config: str | Path | None = None) -> tuple[Path, list[Rewrite]]:
    """The whole switch: save the choice for every new kernel, set this kernel's language, and put
    the chosen language first in the narrative notebooks. Returns the settings file and the rewrites.
    The notebooks are checked first: a folder that cannot be switched saves nothing."""
    lang = _lang(lang)
    plans = _rewrite_all(lang, folder)
    saved = settings.save_language(lang, folder=config)
    i18n.set_language(lang)
    return saved, _write_all(plans)


def language_picker(folder: str | Path | None = None, config: str | Path | None = None):
    """A two-button picker (English / 中文) for ``00_start_here``: a click saves the choice for every
    kernel, switches this one and reorders the narrative notebooks in ``folder`` (default: the folder
    this kernel runs in, i.e. the notebook's own folder)."""
    import ipywidgets as w

    root = Path(folder) if folder is not None else Path.cwd()
    current = i18n.get_language()
    buttons = w.ToggleButtons(options=[("English", "en"), ("中文", "zh")], value=current,
                              description="", style={"button_width": "90px"})
    status = w.HTML()

    def _say(lang: str, message_en: str, message_zh: str) -> None:
        status.value = f"<span>{message_zh if lang == 'zh' else message_en}</span>"

    def _on_change(change) -> None:
        lang = change["new"]
        try:
            saved, rewrites = switch(lang, root, config)
        except CasekitError as exc:
            status.value = f"<span style='color:#b00'>casekit: {exc}</span>"
            return
        n = sum(r.changed for r in rewrites)
        _say(lang,
             f"Saved: English for every notebook ({saved}). {n} notebook(s) in {root.name}/ now show "
             "English first: reopen this notebook (File › Reload Notebook from Disk) to see it.",
             f"已保存：所有笔记本使用中文（{saved}）。{root.name}/ 中的 {n} 个笔记本已改为中文在前："
             "请重新打开本笔记本（文件 › 从磁盘重新加载笔记本）查看。")

    buttons.observe(_on_change, names="value")
    _say(current, "Pick a language: every table, diagram, widget and message follows it, in every notebook.",
         "选择语言：所有笔记本中的表格、图示、控件和提示都会随之切换。")
    box = w.VBox([buttons, status])
    box.buttons, box.status = buttons, status   # for tests and for scripting the picker
    return box


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m casekit language zh|en|mark [DIR]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    usage = ("usage: python -m casekit language zh|en [DIR]   (save the language, show it first in DIR's notebooks)\n"
             "       python -m casekit language mark [DIR]    (maintainers: add language markers, English first, save nothing)")
    if not args or args[0] in ("-h", "--help") or len(args) > 2:
        print(usage, file=sys.stderr if args[:1] not in (["-h"], ["--help"]) else sys.stdout)
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    what, folder = args[0].strip().lower(), (args[1] if len(args) > 1 else None)
    try:
        if what == "mark":
            rewrites = mark(folder)
            print(f"casekit: language markers in {Path(folder or NOTEBOOKS_DIR)}, English first (no setting saved)")
        else:
            saved, rewrites = switch(what, folder)
            name = "中文 (Chinese)" if _lang(what) == "zh" else "English"
            print(f"casekit: language {name} saved in {saved}; notebooks in {Path(folder or NOTEBOOKS_DIR)} "
                  f"show it first.")
    except CasekitError as exc:
        print(f"casekit: {exc}", file=sys.stderr)
        return 2
    for r in rewrites:
        print(f"  {r}")
    return 0
