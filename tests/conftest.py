import pytest

import casekit
from casekit import diagrams


@pytest.fixture(autouse=True)
def _english_and_real_renderer():
    """Every test starts in English with the machine's real diagram renderer."""
    casekit.set_language("en")
    diagrams._forced["mode"] = None
    yield
    casekit.set_language("en")
    diagrams._forced["mode"] = None
