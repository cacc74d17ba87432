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
