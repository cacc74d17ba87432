import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# pytest keeps each test module with its asserts rewritten in tests/__pycache__ (git ignores it),
# unless bytecode writing is off, as PYTHONDONTWRITEBYTECODE=1 sets it on some machines (this one):
# then every run rewrites every module again, 3-4 s of each worker's start. This process writes its
# cache; the kernels and programs the tests start keep the environment they were given.
sys.dont_write_bytecode = False

# The tests choose their language: this process, and every kernel or subprocess a test starts, is
# English unless the test says otherwise, whatever the developer picked for themselves
# (CASEKIT_LANG, ~/.config/casekit/settings.json). Nothing here reads or writes the real settings.
os.environ["CASEKIT_LANG"] = "en"
os.environ["CASEKIT_CONFIG_DIR"] = tempfile.mkdtemp(prefix="casekit-test-config-")

import casekit  # noqa: E402  (after the language is fixed)
from casekit import diagrams  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = Path(os.environ.get("CASEKIT_TEST_EXERCISES", ROOT / "notebooks" / "exercises"))
MASTERS = sorted(EXERCISES.glob("*.ipynb"))
# Fixtures that run otter, notebooks or the sandbox: a test that uses one is slow (not in the
# quick edit-loop suite, `pytest -m "not slow and not browser"`), whether or not it says so.
SLOW_FIXTURES = {"built", "graded"}
# Fixtures that start a classroom server, JupyterLab or a browser, or execute a notebook: slow too.
STARTING_FIXTURES = {"server", "phone_server", "lab", "browser", "executed"}


def pytest_configure(config):
    """Every kernel this run starts (nbclient, otter, JupyterLab) keeps its connection files in a
    folder of its own, not in the user's Jupyter runtime folder that other runs share."""
    if not os.environ.get("CASEKIT_KEEP_RUNTIME_DIR"):
        config._casekit_runtime = tempfile.mkdtemp(prefix="casekit-test-runtime-")
        os.environ["JUPYTER_RUNTIME_DIR"] = config._casekit_runtime


def pytest_unconfigure(config):
    runtime = getattr(config, "_casekit_runtime", None)
    if runtime:
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Marks the tests that use the slow fixtures, and gives tests their group for pytest-xdist
    (`-n auto --dist loadgroup` in pyproject.toml): a module with slow or browser tests runs on one
    worker, so its servers, browsers and JupyterLab start once, and every test that uses the built
    student versions runs on the same worker, so ``otter assign`` runs once per session, not once
    per worker. Other tests are spread one by one."""
    module = lambda item: item.nodeid.split("::")[0]  # noqa: E731
    sharing = set()   # modules with a test that uses the built student versions: one group, all of them
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if SLOW_FIXTURES & fixtures:
            item.add_marker(pytest.mark.slow)
            sharing.add(module(item))
        elif STARTING_FIXTURES & fixtures:
            item.add_marker(pytest.mark.slow)
    # A module with a slow or browser test keeps all its tests on one worker (its module fixtures
    # start servers, browsers, JupyterLab); the rest go out one test at a time, so that no long
    # quick module (the malformed-input corpus, the hypothesis properties) holds one worker while
    # the other idles.
    starting = {module(item) for item in items
                if any(item.iter_markers("slow")) or any(item.iter_markers("browser"))}
    for item in items:
        if not any(item.iter_markers("xdist_group")) and module(item) in sharing | starting:
            item.add_marker(pytest.mark.xdist_group("built" if module(item) in sharing else module(item)))
    # Longest groups first, so that no long one is left for the end while the other worker idles
    # (pytest-xdist hands the groups out in this order; its own order, by number of tests, put the
    # browser modules, few tests but minutes each, last). Seconds per group, summed from
    # `pytest --durations=0 -v` on this 2-core machine (stop 30; test_classroom_browser without a
    # 120-s failure it had in that run).
    def group(item) -> str:
        mark = item.get_closest_marker("xdist_group")
        return mark.args[0] if mark and mark.args else module(item)

    items.sort(key=lambda item: -LONG_GROUPS.get(group(item), 0))   # stable: the rest keep their order


LONG_GROUPS = {"tests/test_browser.py": 237, "built": 229, "tests/test_grading_security.py": 155,
               "tests/test_phone_browser.py": 152, "tests/test_classroom_kernels.py": 136,
               "tests/test_package.py": 71, "tests/test_classroom_browser.py": 45, "tests/test_live_session.py": 45,
               "tests/test_live_browser.py": 27, "tests/test_language_switch.py": 18, "tests/test_no_raw_ids.py": 15,
               "tests/test_case_reveal.py": 14, "tests/test_notebooks.py": 13}


@pytest.fixture(autouse=True)
def _english_and_real_renderer():
    """Every test starts in English with the machine's real diagram renderer, and leaves no
    explorer behind: widgets a test made are closed and stop listening for language changes
    (ipywidgets keeps every open widget alive, so otherwise each later language switch would
    redraw every explorer made so far)."""
    from ipywidgets.widgets import widget as ipywidget

    from casekit import i18n

    casekit.set_language("en")
    diagrams._forced["mode"] = None
    live = ipywidget._instances   # ipywidgets 8's registry of open widgets (its accessors are deprecated)
    callbacks, widgets = list(i18n._callbacks), set(live)
    yield
    i18n._callbacks[:] = callbacks
    casekit.set_language("en")
    diagrams._forced["mode"] = None
    for key in set(live) - widgets:
        w = live.get(key)
        if w is not None:
            w.close()
    plt = __import__("sys").modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


@pytest.fixture(autouse=True, scope="module")
def _no_explorer_outlives_its_module():
    """Module-scoped fixtures may build explorers before the per-test snapshot above is taken;
    close those (and their language listeners) when the module ends, so no later test or doctest
    sees a leftover explorer redraw on a language switch."""
    from ipywidgets.widgets import widget as ipywidget

    from casekit import i18n

    live = ipywidget._instances
    callbacks, widgets = list(i18n._callbacks), set(live)
    yield
    i18n._callbacks[:] = callbacks
    for key in set(live) - widgets:
        w = live.get(key)
        if w is not None:
            w.close()
    casekit.set_language("en")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """``otter assign`` on every exercise master, once per session, one per core at a time.

    Shared by test_exercises.py (a broken master fails CI) and test_instructor.py (student
    versions, leak scan, grading). Returns ``(dist, {master name: Build or the CasekitError})``.
    """
    from casekit import instructor

    dist = tmp_path_factory.mktemp("dist")
    return dist, instructor.build_students(MASTERS, dist)
