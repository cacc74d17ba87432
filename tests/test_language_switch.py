"""One switch for the language (issue 14 item 5).

CASEKIT_LANG or the saved settings file sets the language of a fresh kernel (tables, widgets,
messages); a bad settings file gives English and one line, never a traceback; no notebook
hard-codes English; ``python -m casekit language zh|en`` puts the chosen language first in every
markdown cell, idempotently and without losing text; the picker in 00_start_here does the same.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from notebook_runner import execute

import casekit
from casekit import language, settings
from casekit.errors import CasekitError

ROOT = Path(__file__).resolve().parent.parent
NARRATIVE = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALL_NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
HAN = re.compile(r"[\u4e00-\u9fff]")


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CASEKIT_LANG", "CASEKIT_CONFIG_DIR")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def _python(code: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=_env(**extra), cwd=ROOT)


# ------------------------------------------------------------------------------------------------
# the setting: environment variable first, then the file, else English
# ------------------------------------------------------------------------------------------------
def test_env_wins_over_file_and_file_over_default(tmp_path):
    assert settings.chosen_language(environ={}, folder=tmp_path) == "en"      # nothing saved
    settings.save_language("zh", folder=tmp_path)
    assert settings.chosen_language(environ={}, folder=tmp_path) == "zh"
    assert settings.chosen_language(environ={"CASEKIT_LANG": "en"}, folder=tmp_path) == "en"
    assert settings.chosen_language(environ={"CASEKIT_LANG": " ZH "}, folder=tmp_path) == "zh"
    # LANG is the system locale, not the kit's switch
    assert settings.chosen_language(environ={"LANG": "zh_CN.UTF-8"}, folder=tmp_path / "none") == "en"


def test_settings_file_lives_in_the_config_dir(tmp_path):
    path = settings.settings_path(environ={"CASEKIT_CONFIG_DIR": str(tmp_path)})
    assert path == tmp_path / "settings.json"
    if sys.platform.startswith("linux"):
        assert settings.settings_path(environ={"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "casekit" / "settings.json"


def test_saving_keeps_other_keys(tmp_path):
    (tmp_path / "settings.json").write_text('{"theme": "dark", "language": "en"}', encoding="utf-8")
    settings.save_language("zh", folder=tmp_path)
    assert json.loads((tmp_path / "settings.json").read_text(encoding="utf-8")) == {"theme": "dark", "language": "zh"}
    with pytest.raises(CasekitError, match="'zh'.*'en'"):
        settings.save_language("fr", folder=tmp_path)


def test_unwritable_settings_say_what_to_do_instead(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(CasekitError, match="CASEKIT_LANG"):
        settings.save_language("zh", folder=blocker / "casekit")


@pytest.mark.parametrize("content", ['{"language": ', '["zh"]', '{"language": "fr"}', b"\xff\xfe\x00garbage"],
                         ids=["broken-json", "not-an-object", "unknown-language", "not-utf8"])
def test_bad_settings_file_gives_english_and_one_line(tmp_path, content, capsys):
    f = tmp_path / "settings.json"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert settings.chosen_language(environ={}, folder=tmp_path) == "en"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("casekit: ") and "English" in err and "Traceback" not in err


def test_bad_settings_file_in_a_fresh_process_warns_once_without_traceback(tmp_path):
    (tmp_path / "settings.json").write_text("{not json", encoding="utf-8")
    r = _python("import casekit; print(casekit.get_language())", CASEKIT_CONFIG_DIR=str(tmp_path))
    assert r.returncode == 0 and r.stdout.strip() == "en"
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr


def test_unknown_env_value_is_ignored_with_one_line(tmp_path):
    settings.save_language("zh", folder=tmp_path)
    r = _python("import casekit; print(casekit.get_language())", CASEKIT_LANG="klingon",
                CASEKIT_CONFIG_DIR=str(tmp_path))
    assert r.stdout.strip() == "zh"            # the file still counts
    assert len(r.stderr.strip().splitlines()) == 1 and "CASEKIT_LANG" in r.stderr


# ------------------------------------------------------------------------------------------------
# a fresh kernel starts in the chosen language: tables, widget labels, messages
# ------------------------------------------------------------------------------------------------
_PROBE = """
import json, casekit
from casekit import collaboration as co
from casekit.landscape_widgets import source_quality_lens
lens = source_quality_lens()
finding = co.evaluate(co.actual_case("keda").change(2, lead="marketing")).findings[0]
print(json.dumps({"lang": casekit.get_language(), "columns": list(casekit.table("firms").columns),
                  "codebook": list(casekit.codebook("stages").columns),
                  "widget": [label for label, _ in lens.source_types.options] + [lens.hide_promotional.description],
                  "message": finding.reason}, ensure_ascii=False))
"""


def _chinese(value: str) -> bool:
    return bool(HAN.search(value))


def _mostly_chinese(value: str) -> bool:
    """English text may quote a source's Chinese term (能力进阶与演化); Chinese text is mostly Han."""
    return len(HAN.findall(value)) > len(re.findall(r"[A-Za-z]", value)) / 4


@pytest.mark.slow
def test_fresh_kernel_follows_casekit_lang(tmp_path, monkeypatch):
    """A real Jupyter kernel (as a notebook gets), started with CASEKIT_LANG=zh and no settings."""
    monkeypatch.setenv("CASEKIT_LANG", "zh")
    monkeypatch.setenv("CASEKIT_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_PROBE)])
    execute(nb, "language probe", tmp_path)
    out = json.loads("".join(o["text"] for o in nb.cells[0].outputs if o.get("name") == "stdout"))
    assert out["lang"] == "zh"
    assert "名称" in out["columns"] or any(_chinese(c) for c in out["columns"]), out["columns"]
    assert out["codebook"] == ["列", "类型", "说明"]
    assert all(_chinese(label) for label in out["widget"]), out["widget"]
    assert _chinese(out["message"]), out["message"]


def test_fresh_process_reads_the_settings_file(tmp_path):
    settings.save_language("zh", folder=tmp_path)
    r = _python(_PROBE, CASEKIT_CONFIG_DIR=str(tmp_path))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["lang"] == "zh" and all(_chinese(x) for x in out["widget"]) and _chinese(out["message"])
    # and the default, with nothing set, stays English
    r = _python(_PROBE, CASEKIT_CONFIG_DIR=str(tmp_path / "empty"))
    out = json.loads(r.stdout)
    assert out["lang"] == "en" and not any(_chinese(x) for x in out["widget"]) and not _mostly_chinese(out["message"])


# ------------------------------------------------------------------------------------------------
# notebooks: no hard-coded English; every markdown cell carries both blocks
# ------------------------------------------------------------------------------------------------
_HARD_EN = re.compile(r"set_language\(\s*['\"]en['\"]\s*\)")


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_notebook_hard_codes_english(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    bad = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and _HARD_EN.search("".join(c["source"]))]
    assert not bad, (f"{path.name}: code cells {bad} call set_language('en'); the language comes from "
                     "CASEKIT_LANG or the saved choice (casekit.chosen_language())")


@pytest.mark.parametrize("path", NARRATIVE, ids=lambda p: p.name)
def test_every_markdown_cell_has_both_languages(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    missing = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "markdown":
            continue
        text = "".join(c["source"])
        bl = language.blocks(text)
        if bl is None:
            # a cell of bilingual lines only ("In Chinese · 中文版：") needs no blocks
            kinds = {language.classify_line(x) for x in text.split("\n")} - {"blank", "neutral"}
            if kinds != {"both"}:
                missing.append(i)
            continue
        langs = [b.lang for b in bl if b.lang]
        if langs.count("en") != langs.count("zh") or not langs:
            missing.append(i)
            continue
        for b in bl:   # each block holds its own language
            if b.lang and any(language.classify_line(x) not in (b.lang, "neutral", "blank", "both")
                              for x in b.text.split("\n")):
                missing.append(i)
    assert not missing, (f"{path.name}: markdown cells {missing} lack an English or a Chinese block "
                         "(<!-- en --> / <!-- zh -->); run `python -m casekit language mark` and fix what it reports")


# ------------------------------------------------------------------------------------------------
# the transformer
# ------------------------------------------------------------------------------------------------
def _visible(text: str) -> Counter:
    """The characters a reader sees, ignoring whitespace and markers."""
    return Counter("".join(language.MARKER.sub("", line) for line in text.split("\n")).replace(" ", ""))


def _markdown(folder: Path) -> dict[tuple[str, int], str]:
    out = {}
    for p in sorted(folder.glob("*.ipynb")):
        for i, c in enumerate(json.loads(p.read_text(encoding="utf-8"))["cells"]):
            if c["cell_type"] == "markdown":
                out[(p.name, i)] = "".join(c["source"])
    return out


def _first_block_language(text: str) -> str | None:
    bl = language.blocks(text)
    return next((b.lang for b in bl if b.lang), None) if bl else None


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for p in NARRATIVE:
        shutil.copy2(p, folder / p.name)
    return folder


def test_switch_is_idempotent_and_loses_no_text(copy, tmp_path):
    before = _markdown(copy)
    language.apply("zh", copy)
    zh = _markdown(copy)
    zh_bytes = {p.name: p.read_bytes() for p in copy.glob("*.ipynb")}
    assert all(not r.changed for r in language.apply("zh", copy))          # twice: nothing to do
    assert {p.name: p.read_bytes() for p in copy.glob("*.ipynb")} == zh_bytes
    for key, text in before.items():
        assert _visible(zh[key]) == _visible(text), key                     # moved, never lost
        if language.blocks(zh[key]):
            assert _first_block_language(zh[key]) == "zh", key
    # the first heading of every notebook reads in Chinese first
    for p in NARRATIVE:
        first = zh[(p.name, 0)].lstrip().split("\n")[0]
        if language.classify_line(first) == "both":
            assert HAN.search(first.split("·")[0].split("/")[0]), first
    language.apply("en", copy)
    en = _markdown(copy)
    for key, text in before.items():
        assert _visible(en[key]) == _visible(text), key
        if language.blocks(en[key]):
            assert _first_block_language(en[key]) == "en", key
    language.apply("zh", copy)
    assert _markdown(copy) == zh                                            # en -> zh gives the same


def test_code_cells_and_outputs_are_untouched(copy):
    code = {p.name: [c for c in json.loads(p.read_text(encoding="utf-8"))["cells"] if c["cell_type"] != "markdown"]
            for p in copy.glob("*.ipynb")}
    language.apply("zh", copy)
    for p in copy.glob("*.ipynb"):
        nb = nbformat.read(p, as_version=4)   # still a valid notebook
        nbformat.validate(nb)
        assert [c for c in json.loads(p.read_text(encoding="utf-8"))["cells"] if c["cell_type"] != "markdown"] == code[p.name]


def test_single_language_cells_are_left_alone_and_reported(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## Only English here\n\nNo Chinese paragraph at all."),
        nbformat.v4.new_markdown_cell("English first.\n\n中文在后。\n\nEnglish again, unpaired."),
        nbformat.v4.new_markdown_cell("## Title · 标题\n\nEnglish text.\n\n中文文字。"),
        nbformat.v4.new_markdown_cell("In Chinese · 中文版："),
    ])
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    report = language.rewrite_notebook(path, "zh")
    assert report.unpaired == [0, 1] and report.changed
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert "".join(cells[0]["source"]) == "## Only English here\n\nNo Chinese paragraph at all."
    assert "".join(cells[1]["source"]).startswith("English first.")
    assert "".join(cells[2]["source"]).startswith("## 标题 · Title\n\n<!-- zh -->\n\n中文文字。")
    assert "unpaired" not in str(report) and "[0, 1]" in str(report)


def test_marking_keeps_the_order(tmp_path):
    cell = "## Data · 数据\n\nEnglish one.\nstill English.\n每个单元。\n\n| 甲 | 乙 |\n|---|---|\n| 1 | 2 |"
    marked = language.mark_text(cell)
    assert marked.index("<!-- en -->") < marked.index("English one.") < marked.index("<!-- zh -->") < marked.index("每个单元")
    assert "| 甲 | 乙 |\n|---|---|\n| 1 | 2 |" in marked.split("<!-- zh -->")[1]   # the table stays whole
    assert language.mark_text(marked) == marked
    assert language.mark_text("Only English.") is None
    # a long English sentence ending in a bilingual aside is English, not a bilingual line
    long = "* **Qingdao:** " + "many English words here, " * 8 + "the kit's reading (kit's reading · 本套件的解读)."
    assert language.classify_line(long) == "en"
    assert language.classify_line("## The four units, in teaching order · 四个单元及建议顺序") == "both"


def test_command_line_saves_and_rewrites(copy, tmp_path):
    cfg = tmp_path / "cfg"
    r = subprocess.run([sys.executable, "-m", "casekit", "language", "zh", str(copy)], capture_output=True,
                       text=True, timeout=120, env=_env(CASEKIT_CONFIG_DIR=str(cfg)), cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert json.loads((cfg / "settings.json").read_text(encoding="utf-8"))["language"] == "zh"
    assert _first_block_language(_markdown(copy)[("00_start_here.ipynb", 0)]) == "zh"
    bad = subprocess.run([sys.executable, "-m", "casekit", "language", "fr", str(copy)], capture_output=True,
                         text=True, timeout=120, env=_env(CASEKIT_CONFIG_DIR=str(cfg)), cwd=ROOT)
    assert bad.returncode == 2 and bad.stderr.startswith("casekit: ") and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    missing = subprocess.run([sys.executable, "-m", "casekit", "language", "zh", str(tmp_path / "nowhere")],
                             capture_output=True, text=True, timeout=120, env=_env(CASEKIT_CONFIG_DIR=str(cfg)), cwd=ROOT)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_mark_adds_markers_english_first_and_saves_nothing(copy, tmp_path):
    language.apply("zh", copy)                       # as a student's copy might be
    cfg = tmp_path / "cfg"
    r = subprocess.run([sys.executable, "-m", "casekit", "language", "mark", str(copy)], capture_output=True,
                       text=True, timeout=120, env=_env(CASEKIT_CONFIG_DIR=str(cfg)), cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert not (cfg / "settings.json").exists()
    cells = _markdown(copy)
    assert all(_first_block_language(t) in ("en", None) for t in cells.values())
    assert all(language.blocks(t) is not None for k, t in cells.items() if language.mark_text(t) is not None)
    assert all(not x.changed for x in language.mark(copy))      # idempotent


def test_make_lab_runs_the_switch_first():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab = make.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "CASEKIT_LANG" in lab and "-m casekit language" in lab
    assert lab.index("-m casekit language") < lab.index("jupyter lab")


def test_picker_saves_switches_and_reorders(copy, tmp_path):
    cfg = tmp_path / "cfg"
    picker = language.language_picker(folder=copy, config=cfg)
    assert picker.buttons.value == "en"
    picker.buttons.value = "zh"
    assert casekit.get_language() == "zh"
    assert settings.chosen_language(environ={}, folder=cfg) == "zh"
    assert _first_block_language(_markdown(copy)[("02_keda_zhongtu.ipynb", 0)]) == "zh"
    assert "重新打开" in picker.status.value          # tells the user to reopen the notebook
    picker.buttons.value = "en"
    assert casekit.get_language() == "en" and "reopen" in picker.status.value.lower()


def test_start_here_offers_the_picker():
    nb = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert any("language_picker()" in c for c in code)


# ------------------------------------------------------------------------------------------------
# once in a real browser: CASEKIT_LANG=zh, as `CASEKIT_LANG=zh make lab` starts it
# ------------------------------------------------------------------------------------------------
JS_FIRST_SCREEN = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const box = panel.content.node.getBoundingClientRect();
  const texts = [];
  panel.content.widgets.forEach(cell => {
    if (cell.model.type !== 'markdown') return;
    const r = cell.node.getBoundingClientRect();
    if (r.bottom <= box.top || r.top >= Math.min(box.bottom, window.innerHeight)) return;
    const md = cell.node.querySelector('.jp-RenderedMarkdown');
    if (md) texts.push(md.innerText);
  });
  const h1 = panel.content.node.querySelector('.jp-RenderedMarkdown h1, .jp-RenderedMarkdown h2');
  return {texts, heading: h1 ? h1.innerText : ''};
}"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_browser_first_screen_is_chinese_with_casekit_lang_zh(tmp_path):
    """What `CASEKIT_LANG=zh make lab` does, in Chromium: the switch runs on the notebooks, JupyterLab
    starts with CASEKIT_LANG=zh, and 00_start_here opens with Chinese first; its kernel speaks Chinese."""
    from browser_helpers import LabPage, LabServer, browser_unavailable_reason, launch, serve_copy

    reason = browser_unavailable_reason()
    if reason:
        pytest.skip(f"BROWSER TEST NOT RUN: {reason}")
    from playwright.sync_api import sync_playwright

    root = serve_copy(ROOT, tmp_path / "lab-root", NARRATIVE)
    env = {"CASEKIT_LANG": "zh", "CASEKIT_CONFIG_DIR": str(tmp_path / "cfg"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    r = subprocess.run([sys.executable, "-m", "casekit", "language", "zh", str(root / "notebooks")],
                       capture_output=True, text=True, timeout=120, env=_env(**env), cwd=ROOT)
    assert r.returncode == 0, r.stderr
    server = LabServer(root, tmp_path / "lab-state", env=env).start()
    pw = sync_playwright().start()
    context = None
    try:
        context = launch(pw, tmp_path / "chromium-profile")
        lab = LabPage(context.new_page(), server)
        lab.start()
        lab.open("notebooks/00_start_here.ipynb")
        lab.page.wait_for_selector(".jp-RenderedMarkdown h1", timeout=30000)
        screen = lab.page.evaluate(JS_FIRST_SCREEN)
        shots = ROOT / "artifacts" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        lab.page.screenshot(path=str(shots / "zh_first_screen__00_start_here.png"), animations="disabled")
        assert HAN.match(screen["heading"].strip()), f"the title should start in Chinese: {screen['heading']!r}"
        assert len(screen["texts"]) >= 2
        for text in screen["texts"]:   # in every cell on the first screen, Chinese comes first
            lines = [x for x in text.split("\n") if language.classify_line(x) not in ("blank", "neutral", "both")]
            assert lines and lines[0] and language.classify_line(lines[0]) == "zh", lines[:2]
        # the kernel started in Chinese too: run the whole notebook and read a table's header row
        lab.run_all()
        report = lab.cell_report()
        table = next(c for c in report if "casekit.catalog()" in c["source"])
        assert HAN.search(table["shown"][:200]), table["shown"][:200]
        picker = next(c for c in report if "language_picker" in c["source"])
        assert "选择语言" in picker["shown"] or "中文" in picker["shown"], picker["shown"]
        lab.close()
    finally:
        if context is not None:
            context.close()
        pw.stop()
        server.stop()
