"""The classroom server without a browser: what it serves, to whom, and how many.

The browser half (a student opens a unit, moves a control, sees no code; once in Chinese) is in
tests/test_classroom_browser.py.
"""
from __future__ import annotations

import json
import re

import pytest

from casekit import classroom, units
from casekit.errors import CasekitError
from classroom_helpers import ClassroomServer, http_get

voila = pytest.importorskip("voila", reason="the classroom extra is not installed: pip install -e '.[classroom]'")


def test_the_curated_folder_holds_the_four_units_and_nothing_else(tmp_path):
    folder = classroom.prepare_folder("zh", tmp_path / "served")
    assert sorted(p.name for p in folder.iterdir()) == [f"{u}.ipynb" for u in classroom.UNITS]
    for nb_path in folder.iterdir():
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        code = "\n".join(c["source"] for c in nb["cells"] if c["cell_type"] == "code")
        assert not re.search(r"""set_language\(\s*['"]en['"]\s*\)""", code), nb_path.name
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_index_links_every_unit_in_both_languages_class_language_first():
    titles = [(p.name, *classroom.unit_titles(p)) for p in classroom.units()]
    assert all(re.search(r"[\u3400-\u9fff]", zh) and not re.search(r"[\u3400-\u9fff]", en) for _, en, zh in titles)
    page = classroom.index_page(titles, "zh")
    for name, en, zh in titles:
        assert f'href="/voila/render/{name}"' in page
        assert page.index(zh) < page.index(en.replace("&", "&amp;").replace("'", "&#x27;"))
    assert "00_start_here" not in page and "exercises" not in page
    en_page = classroom.index_page(titles, "en")
    assert en_page.index(titles[0][1]) < en_page.index(titles[0][2])


def test_voila_options_strip_code_and_bind_loopback_unless_lan(tmp_path):
    argv = classroom.build_argv(tmp_path, 8866, "tok", lan=False, pool=2, cull_idle=600)
    assert "--Voila.ip=127.0.0.1" in argv and "--VoilaConfiguration.strip_sources=True" in argv
    assert "--token=tok" in argv and "--MappingKernelManager.cull_idle_timeout=600" in argv
    assert "--VoilaConfiguration.preheat_kernel=True" in argv
    assert "--Voila.ip=0.0.0.0" in classroom.build_argv(tmp_path, 8866, "tok", lan=True, pool=2, cull_idle=600)
    pools = classroom.build_config(1, {"02_keda_zhongtu": 40}).VoilaKernelManager.kernel_pools_config
    assert pools == {"default": {"pool_size": 1}, "02_keda_zhongtu.ipynb": {"pool_size": 40}}


def test_a_wrong_warm_spec_is_explained():
    with pytest.raises(CasekitError, match="--warm takes UNIT:N"):
        classroom._warm(["99:4"])
    assert classroom._warm(["02:40", "costs:3"]) == {"02_keda_zhongtu": 40, "04_in_firm_cluster_costs": 3}


@pytest.mark.parametrize("unit", ["02", "2", "keda_zhongtu", "02_keda_zhongtu", "keda"])
def test_warm_takes_the_file_prefix_the_number_or_the_name(unit):
    assert classroom._warm([f"{unit}:40"]) == {"02_keda_zhongtu": 40}


@pytest.mark.parametrize("spec, why", [("0:4", "'0' is not a unit"), ("05:4", "'05' is not a unit"),
                                       ("s:4", "'s' could be srdi_landscape or qingdao_six_paths"),
                                       ("02:many", "N must be a whole number")])
def test_an_unknown_or_ambiguous_warm_unit_lists_the_units_in_both_languages(spec, why):
    with pytest.raises(CasekitError) as exc:
        classroom._warm([spec])
    msg = str(exc.value)
    assert why in msg and "--warm 的格式是 单元:数量" in msg
    assert "01 srdi_landscape, 02 keda_zhongtu, 03 qingdao_six_paths, 04 in_firm_cluster_costs" in msg


def test_the_served_units_are_the_registry_s_notebooks():
    assert classroom.UNITS == tuple(units.unit_notebook(u) for u in units.unit_names())
    assert "unit 2, Keda & Zhongtu" in re.sub(r"\s+", " ", classroom._parser().format_help())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One kernel for students at most; unit 2 preheated with one kernel, no other pool."""
    srv = ClassroomServer(tmp_path_factory.mktemp("classroom"),
                          ["--max-students", "1", "--pool", "0", "--warm", "02:1", "--lang", "zh"]).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_binds_127_0_0_1_only(server):
    import psutil

    listening = {c.laddr.ip for c in psutil.Process(server.proc.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN}
    assert listening == {"127.0.0.1"}, listening
    out = server.read_log()
    assert f"http://127.0.0.1:{server.port}/?token={server.token}" in out and "--lan" in out
    assert "█" in out, "a QR code is printed"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_every_page_and_kernel_needs_the_token(server):
    for path in ("/", "/voila/render/02_keda_zhongtu.ipynb", "/api/kernels/12345678-1234-1234-1234-123456789abc", "/voila/tree/"):
        status, headers, _ = http_get(server.url(path, token=False))
        assert status in (302, 403), (path, status)
        if status == 302:
            assert "/login" in headers["Location"]
    assert http_get(server.url("/?token=wrong", token=False))[0] in (302, 403)
    status, _, body = http_get(server.url("/"))
    assert status == 200 and "02_keda_zhongtu.ipynb" in body


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_no_exercises_no_start_notebook_no_file_listing(server):
    for path in ("/voila/render/00_start_here.ipynb", "/voila/render/exercises/02_keda_zhongtu_exercises.ipynb",
                 "/voila/api/contents/"):
        assert http_get(server.url(path))[0] == 404, path


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_student_past_the_cap_gets_a_friendly_class_full_page(server):
    server.wait_for_pool("02_keda_zhongtu")
    status, _, first = http_get(server.url("/voila/render/02_keda_zhongtu.ipynb"), timeout=120)
    assert status == 200 and "application/vnd.jupyter.widget-view+json" in first
    assert "import casekit" not in first, "no code reaches the page"
    status, headers, full = http_get(server.url("/voila/render/01_srdi_landscape.ipynb"))
    assert status == 503 and headers.get("Retry-After") == "20"
    assert "课堂已满" in full and "The class is full" in full and "Traceback" not in full


# --------------------------------------------------------------------------------------------
# the served copy: no instructions to run code, the case shown at once
# --------------------------------------------------------------------------------------------
def _nb(*cells):
    return {"cells": [dict(c) for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(src, **meta):
    return {"cell_type": "code", "id": "c" + str(abs(hash(src)) % 10**6), "metadata": meta, "source": src,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "old"}], "execution_count": 3}


def _md(src, **meta):
    return {"cell_type": "markdown", "id": "m" + str(abs(hash(src)) % 10**6), "metadata": meta, "source": src}


def test_the_served_copy_drops_lab_only_cells_and_shows_the_case_as_text():
    from casekit.decision_cases import case_html

    nb = _nb(_md("# Unit 2 · x\n\n# 第 2 单元 · x"),
             _md('Run `casekit.set_language("zh")`', tags=["ck-lab-only"]),
             _code('import casekit\ncasekit.show_case("keda_zhongtu")'),
             _code("casekit.show_case('keda_zhongtu')  "),
             _code('casekit.show_case("keda_zhongtu", part="B")'),
             _code('import casekit\ncasekit.show_case("keda_zhongtu")\nx = 1'),
             _code('casekit.set_language("en")\nshow(d.path_taxonomy())', tags=["ck-lab-only"]),
             _code('casekit.set_language("en")'))
    before = json.dumps(nb)
    served = classroom.served_copy(nb, "zh")
    assert json.dumps(nb) == before, "the notebook itself is left as it was"
    cells = served["cells"]
    assert len(cells) == 6 and not any("ck-lab-only" in c["metadata"].get("tags", []) for c in cells)
    for case in cells[1:3]:   # the two exact show_case calls: the case in the class language, as text
        assert case["cell_type"] == "markdown" and case["source"] == case_html("keda_zhongtu", "zh")
        assert "ck-case" in case["metadata"]["tags"] and "outputs" not in case and case["id"].startswith("c")
    assert [c["cell_type"] for c in cells[3:]] == ["code"] * 3, "anything but the bare call stays code"
    assert cells[5]["source"] == 'casekit.set_language("zh")' and cells[5]["outputs"] == []


@pytest.mark.parametrize("source, unit", [('import casekit\ncasekit.show_case("srdi_landscape")', "srdi_landscape"),
                                          ("casekit.show_case(2)", 2), ("import casekit as ck\nck.show_case(2)", None),
                                          ("casekit.show_case(unit)", None), ("casekit.show_case(", None),
                                          ('casekit.show_case("x"); print(1)', None)])
def test_only_a_bare_show_case_call_is_recognised(source, unit):
    assert classroom.shown_case(source) == unit


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_served_units_carry_the_case_as_text_and_keep_every_other_cell(tmp_path, lang):
    folder = classroom.prepare_folder(lang, tmp_path / lang)
    for src in classroom.units():
        nb = json.loads(src.read_text(encoding="utf-8"))
        served = json.loads((folder / src.name).read_text(encoding="utf-8"))
        lab_only = sum(classroom.LAB_ONLY_TAG in c["metadata"].get("tags", []) for c in nb["cells"])
        assert len(served["cells"]) == len(nb["cells"]) - lab_only, src.name
        cases = [c for c in served["cells"] if "ck-case" in c["metadata"].get("tags", [])]
        assert len(cases) == 1 and cases[0]["cell_type"] == "markdown", src.name
        assert ('lang="zh-CN"' if lang == "zh" else 'lang="en"') in cases[0]["source"]
        assert not any("show_case(" in "".join(c["source"]) for c in served["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("unit", ["01_srdi_landscape", "02_keda_zhongtu", "03_qingdao_six_paths",
                                  "04_in_firm_cluster_costs"])
def test_the_no_code_page_never_tells_a_student_to_run_code(tmp_path, unit):
    folder = classroom.prepare_folder("zh", tmp_path / "served")
    nb = json.loads((folder / f"{unit}.ipynb").read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
                     and "ck-case" not in c["metadata"].get("tags", []))
    assert not re.search(r"set_language\(|save_case\(|In Chinese · 中文版", text), unit


def test_the_tagged_cells_are_the_ones_that_tell_the_reader_to_run_code():
    tagged = {}
    for name in ("00_start_here", *classroom.UNITS):
        nb = json.loads((classroom.units()[0].parent / f"{name}.ipynb").read_text(encoding="utf-8"))
        tagged[name] = ["".join(c["source"]).splitlines()[0] for c in nb["cells"]
                        if classroom.LAB_ONLY_TAG in c["metadata"].get("tags", [])]
    working = "<!-- en -->"   # the "*Working in JupyterLab:*" cell under each case: how to switch language, save handouts
    assert tagged["01_srdi_landscape"] == [working]
    assert tagged["02_keda_zhongtu"] == [working]
    assert tagged["03_qingdao_six_paths"] == [working, working, "In Chinese · 中文版：", 'casekit.set_language("zh")',
                                              "casekit.set_language(casekit.chosen_language())   # back to your language · 回到你选择的语言"]
    assert tagged["04_in_firm_cluster_costs"] == [
        working, '*To put it on a slide:* `casekit.save(figure_1, "figure1.svg")`. / *用于幻灯片：* `casekit.save(figure_1, "figure1.svg")`。',
        "## 8 · Chinese interface / 中文界面", 'casekit.set_language("zh")',
        "casekit.set_language(casekit.chosen_language());   # back to your language · 回到你选择的语言"]
    assert len(tagged["00_start_here"]) == 3


# --------------------------------------------------------------------------------------------
# a start of class without tuning: --unit and --class-size
# --------------------------------------------------------------------------------------------
def test_the_class_plan_warms_the_whole_class_caps_pages_and_follows_expert_flags():
    plan = classroom.plan_class("keda_zhongtu", 40, 1, "zh", available_mb=20_000)
    assert plan.warm == {"02_keda_zhongtu": 40} and plan.max_students == 44 and plan.warning is None
    assert "全班 40 人" in plan.lines[0] and "Class of 40" in plan.lines[0]
    assert plan.lines[0].index("全班") < plan.lines[0].index("Class of"), "the class language first"
    assert classroom.plan_class("keda_zhongtu", 5, 1, "en", available_mb=20_000).max_students == 7
    small = classroom.plan_class("keda_zhongtu", 40, 1, "en", available_mb=3_000)
    mb = classroom.KERNEL_MB
    others = mb["srdi_landscape"] + mb["qingdao_six_paths"] + mb["in_firm_cluster_costs"]
    assert small.warm == {"02_keda_zhongtu": (3_000 - classroom.SERVER_MB - others) // mb["keda_zhongtu"]}
    expert = classroom.plan_class("keda_zhongtu", 40, 0, "en", 20_000, warm={"02_keda_zhongtu": 3}, max_students=9)
    assert expert.warm == {"02_keda_zhongtu": 3} and expert.max_students == 9
    assert classroom.plan_class(None, 30, 1, "en", 20_000).max_students == 33
    assert classroom.plan_class(None, None, 1, "en", 20_000).max_students == 60


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_class_too_big_for_the_memory_gets_a_bilingual_warning(lang):
    plan = classroom.plan_class("in_firm_cluster_costs", 60, 1, lang, available_mb=6_000)
    need = 60 * classroom.KERNEL_MB["in_firm_cluster_costs"]
    assert plan.need_mb > need and plan.warning
    assert "WARNING: memory may run out" in plan.warning and "警告：内存可能不够" in plan.warning
    assert "60 students × about 157 MB" in plan.warning and "60 人 × 每个内核约 157 MB" in plan.warning
    first = "警告" if lang == "zh" else "WARNING"
    assert plan.warning.startswith(first)
    assert classroom.plan_class("in_firm_cluster_costs", 20, 1, lang, available_mb=6_000).warning is None


@pytest.mark.parametrize("argv, says_en, says_zh", [
    (["--unit", "9", "--class-size", "40"], "--unit takes today's unit", "'9' 不是单元"),
    (["--unit", "s", "--class-size", "40"], "could be srdi_landscape or qingdao_six_paths", "可能指"),
    (["--unit", "2"], "say how many students with --class-size", "请用 --class-size 说明班级人数"),
    (["--unit", "2", "--class-size", "forty"], "--class-size is how many students", "班级人数，应为 1 到 500"),
    (["--class-size", "0"], "a whole number from 1 to 500; got '0'", "收到的是 '0'"),
    (["--class-size", "-3"], "--class-size is how many students", "班级人数"),
    (["--grace", "2"], "--grace is how many seconds", "5 到 3600 之间的整数"),
    (["--grace", "soon"], "--grace is how many seconds", "页面断开后保留"),
])
def test_a_bad_flag_gets_one_short_bilingual_message_and_exit_1(argv, says_en, says_zh, capsys, monkeypatch):
    monkeypatch.setattr(classroom, "_serve", lambda *a: pytest.fail("the server must not start"))
    assert classroom.main([*argv, "--lang", "zh"]) == 1
    err = capsys.readouterr().err
    assert says_en in err and says_zh in err and "Traceback" not in err
    assert err.index(says_zh) < err.index(says_en), "the class language first"
    assert len(err.strip().splitlines()) == 2


def test_a_bad_flag_from_the_command_line_exits_1_without_a_traceback():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "casekit.classroom", "--unit", "7", "--class-size", "30"],
                         capture_output=True, text=True, timeout=120, check=False, env={**__import__("os").environ, "CASEKIT_LANG": "en"})
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.index("--unit takes today's unit") < run.stderr.index("--unit 是今天的单元")


def test_unit_and_class_size_configure_the_server_and_warn_when_memory_is_short(capsys, monkeypatch):
    seen = {}
    monkeypatch.setattr(classroom, "_serve", lambda app, argv, config: seen.update(app=app, argv=argv, config=config))
    monkeypatch.setattr(classroom, "available_memory_mb", lambda: 4_000)
    assert classroom.main(["--unit", "keda", "--class-size", "40", "--lang", "zh", "--grace", "90", "--port", "9"]) == 0
    out = capsys.readouterr().out
    assert "今天的单元：02" in out and "Today's unit: 02" in out and "全班 40 人" in out
    assert "警告：内存可能不够" in out and "WARNING: memory may run out" in out
    pools = seen["config"].VoilaKernelManager.kernel_pools_config
    assert 1 <= pools["02_keda_zhongtu.ipynb"]["pool_size"] < 40, "warmed as far as memory allows"
    assert pools["default"] == {"pool_size": 1}
    assert seen["config"].Voila.tornado_settings == {"ws_ping_interval": 10_000, "ws_ping_timeout": 30_000}
    assert seen["config"].VoilaKernelManager.fill_delay == classroom.FILL_DELAY


def test_expert_flags_still_work_beside_the_class_flags(monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr(classroom, "_serve", lambda app, argv, config: seen.update(config=config))
    monkeypatch.setattr(classroom, "available_memory_mb", lambda: 50_000)
    assert classroom.main(["--unit", "2", "--class-size", "30", "--warm", "02:5", "--warm", "04:2", "--pool", "0",
                           "--max-students", "12", "--lang", "en"]) == 0
    pools = seen["config"].VoilaKernelManager.kernel_pools_config
    assert pools == {"default": {"pool_size": 0}, "02_keda_zhongtu.ipynb": {"pool_size": 5},
                     "04_in_firm_cluster_costs.ipynb": {"pool_size": 2}}
    assert "up to 12 student pages" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# pages: a phone-sized shell, the loading text and the watch in the class language
# --------------------------------------------------------------------------------------------
def test_pages_are_laid_out_for_phones():
    titles = [(p.name, *classroom.unit_titles(p)) for p in classroom.units()]
    for page in (classroom.index_page(titles, "zh"), classroom.full_page(3, "en")):
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
        assert "font-size:17px" in page and "min-height:48px" in page


def test_the_page_hides_the_sequel_before_any_widget_draws_and_the_revealed_reveal_shows_it():
    """A phone draws widgets seconds after the text: the cells after the reveal must not show in
    between (seen once under load: the analysis visible before voting opened)."""
    from casekit import reveal

    shell = classroom.page_template("zh", 180)
    assert ".celltag_ck-sequel{display:none}" in shell.replace(" ", "")
    panel = reveal.what_happened("keda_zhongtu")
    assert "display:none!important" in panel.body.value        # before: hidden (also where the shell is not)
    panel.reveal()
    assert panel.body.value.startswith("<style>.celltag_ck-sequel{display:block!important}</style>")
    panel.widget.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_shell_speaks_the_class_language_first(lang):
    shell = classroom.page_template(lang, 180)
    assert shell.startswith("{%- extends 'voila/templates/lab/index.html.j2' -%}")
    texts = classroom.page_texts(lang, 180)
    first = 0 if lang == "zh" else 1
    assert texts["step"][first] == "正在准备页面：第 ${i} 步，共 ${n} 步"
    assert texts["gone"][first].startswith("这个页面断开连接已超过 3 分钟")
    assert "more than 3 minutes" in texts["gone"][1 - first]
    assert json.dumps(texts, ensure_ascii=False) in shell and "Executing" not in shell


def test_pings_notice_a_silent_page_within_a_sixth_of_the_grace():
    for grace in (5, 12, 60, 180, 3600):
        interval, timeout = classroom.ping_settings(grace)
        assert 2000 <= interval <= 10_000 and timeout == 3 * interval
        assert timeout / 1000 <= max(grace / 2, 6)


@pytest.mark.parametrize("flags, words", [
    (["--port", "-1"], "1 到 65535"), (["--port", "70000"], "1 to 65535"), (["--token", "a b"], "no spaces"),
    (["--instructor-token", "<x>"], "4–200"), (["--pool", "-1"], "0 to 500"), (["--cull-idle", "-5"], "0 turns"),
])
def test_a_bad_server_flag_is_refused_before_any_link_is_printed(flags, words, capsys):
    assert classroom.main(flags) == 1
    out, err = capsys.readouterr()
    assert words in err and "http://" not in out and "Traceback" not in err
    assert len(err) < 500


def test_a_port_in_use_is_said_before_the_link_and_qr(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert classroom.main(["--port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert f"Port {port} is in use" in err and f"--port {port + 1}" in err and "http://" not in out
