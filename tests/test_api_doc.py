"""docs/API.md lists every public name (each module's ``__all__``), so it is clear what the error
guarantees of issue 16 cover; regenerate it with ``python -m casekit._apidoc > docs/API.md``
(only the names are checked, so a docstring edit elsewhere does not break this test)."""
import importlib
import re
from pathlib import Path

from casekit._apidoc import MODULES

DOC = Path(__file__).resolve().parent.parent / "docs" / "API.md"


def test_every_public_name_is_listed_and_exists():
    text = DOC.read_text(encoding="utf-8")
    for m in MODULES:
        mod = importlib.import_module(m)
        assert f"## `{m}`" in text
        for name in mod.__all__:
            assert hasattr(mod, name), f"{m}.__all__ names {name}, which does not exist"
            assert re.search(rf"`{re.escape(name)}`", text), f"{m}.{name} is not in docs/API.md"


def test_readme_links_the_api_page():
    readme = (DOC.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "docs/API.md" in readme
