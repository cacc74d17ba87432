import pytest

import casekit
from casekit import i18n
from casekit.errors import CasekitError, install_ipython_handler


def test_switch_language_and_labels():
    assert casekit.get_language() == "en"
    assert casekit.set_language(" ZH ") == "zh"
    assert i18n.t("stage", "阶段") == "阶段"
    assert i18n.label({"name_en": "Keda", "name_zh": "科达"}, "name") == "科达"
    casekit.set_language("en")
    assert i18n.label({"name_en": "Keda", "name_zh": "科达"}, "name") == "Keda"


def test_unknown_language_says_what_to_do_and_keeps_state():
    casekit.set_language("zh")
    with pytest.raises(CasekitError, match=r"set_language\('en'\).*set_language\('zh'\)"):
        casekit.set_language("fr")
    assert casekit.get_language() == "zh"  # nothing already done is lost


def test_language_callbacks_run_and_a_broken_one_does_not_stop_others():
    seen = []
    i18n.on_language_change(lambda lang: 1 / 0)
    i18n.on_language_change(seen.append)
    casekit.set_language("zh")
    assert seen[-1] == "zh"


def test_widgets_redraw_only_on_a_real_change_and_are_not_kept_alive():
    import gc

    class Explorer:
        redraws = 0

        def on_language(self, lang):
            Explorer.redraws += 1

    kept, dropped = Explorer(), Explorer()
    i18n.on_language_change(kept.on_language)
    i18n.on_language_change(dropped.on_language)
    casekit.set_language("en")                  # already English: nothing to redraw
    assert Explorer.redraws == 0
    del dropped
    gc.collect()
    casekit.set_language("zh")
    assert Explorer.redraws == 1                # only the explorer someone still holds
    assert kept is not None


def test_missing_label_field():
    with pytest.raises(CasekitError, match="name_zh"):
        i18n.label({"name_en": "x"}, "name", lang="zh")


def test_ipython_shows_message_not_traceback():
    """In a real IPython shell a CasekitError prints one line, with no stack."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    try:
        assert install_ipython_handler()
        with capture_output() as cap:
            shell.run_cell("import casekit; casekit.load_dataset('nope')")
        out = cap.stdout + cap.stderr
        assert "There is no dataset called 'nope'" in out
        assert "Traceback" not in out and "File " not in out
        with capture_output():
            shell.run_cell("x = 41 + 1")
        assert shell.user_ns["x"] == 42  # the session goes on
    finally:
        InteractiveShell.clear_instance()


def test_save_rejects_unknown_objects(tmp_path):
    with pytest.raises(CasekitError, match="saves a diagram or a plot"):
        casekit.save("not a figure", tmp_path / "x.svg")
