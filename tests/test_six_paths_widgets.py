"""The path-fit advisor widget, headless: set control values, read Python state."""
import pytest

import casekit
from casekit import six_paths as sp
from casekit.errors import CasekitError
from casekit.six_paths_widgets import PathFitAdvisor, path_fit_advisor


@pytest.fixture(autouse=True)
def english():
    casekit.set_language("en")
    yield
    casekit.set_language("en")


def test_one_control_per_profile_field():
    a = PathFitAdvisor()
    assert list(a.controls) == sp.factor_names()
    assert a.profile == sp.default_profile()
    assert a.advice.profile == sp.default_profile()


def test_slider_updates_ranking_at_once():
    a = PathFitAdvisor(preset="hisense_chip")
    assert a.advice.top.path == "original"
    n = a.updates
    a.controls["rd_resources"].value = 1
    assert a.updates == n + 1
    assert a.advice.fit_of("original").capped
    assert a.advice.top.path != "original"
    assert "prerequisite missing" in a.result_html.value


def test_toggle_updates_ranking():
    a = PathFitAdvisor(preset="haier_tv")
    before = a.advice.fit_of("large_firm_cooperation").fit
    a.controls["coordination_platform"].value = True
    assert a.advice.fit_of("large_firm_cooperation").fit > before
    assert "edited" in a.preset_note.value


@pytest.mark.parametrize("name", ["haier_refrigerator", "haier_tv", "hisense_inverter", "hisense_chip", "aucma", "little_giant"])
def test_presets_set_every_control_with_one_update(name):
    a = PathFitAdvisor()
    n = a.updates
    a.preset_picker.value = name
    assert a.updates == n + 1
    assert a.profile == sp.preset(name)
    assert a.advice.top.path == sp.advise(sp.preset(name)).top.path
    taken = sp.preset_info(name)["paths_taken"]
    assert ("★" in a.result_html.value) == bool(taken)


def test_reset_returns_to_where_the_advisor_opened():
    # issue 16: Reset goes back to the preset the cell opened with (not to every slider at 5)
    a = PathFitAdvisor(preset="little_giant")
    a.controls["capital"].value = 9
    a.reset_button.click()
    assert a.profile == sp.preset("little_giant")
    assert a.preset_picker.value == "little_giant"
    b = PathFitAdvisor()
    b.controls["capital"].value = 9
    b.reset_button.click()
    assert b.profile == sp.default_profile()
    assert b.preset_picker.value == "__custom__"
    assert b.preset_note.value == ""


def test_language_switch_relabels():
    a = PathFitAdvisor(preset="haier_tv")
    casekit.set_language("zh")
    assert "跨国技术联盟" in a.result_html.value
    assert "预设" == a.preset_picker.description
    assert any("研发资源" in c.description for c in a.controls.values())
    labels = [lab for lab, _ in a.preset_picker.options]
    assert "海尔（彩电联盟时期）" in labels
    assert a.preset_picker.value == "haier_tv"


def test_bad_preset_is_a_message():
    with pytest.raises(CasekitError, match="Presets:"):
        path_fit_advisor("haier_1999")
