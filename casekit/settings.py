"""The user's saved choices (for now: the display language), read by every kernel at import.

The choice lives in a small JSON file in the user's configuration folder, so that picking Chinese
once (``python -m casekit language zh``, ``CASEKIT_LANG=zh make lab`` or the picker in
``00_start_here``) holds for every notebook and every kernel started afterwards:

* Linux and others: ``$XDG_CONFIG_HOME/casekit/settings.json`` (``~/.config/casekit/settings.json``)
* macOS: ``~/Library/Application Support/casekit/settings.json``
* Windows: ``%APPDATA%\\casekit\\settings.json``

``CASEKIT_CONFIG_DIR`` names another folder (tests, a shared class machine). The environment
variable ``CASEKIT_LANG`` (``zh`` or ``en``) wins over the file; ``LANG`` is the system locale and
is deliberately not read. A missing file means English; an unreadable or invalid file or value
means English too, with a one-line warning and never a traceback.

>>> import json, os, tempfile
>>> folder = tempfile.mkdtemp()
>>> save_language("zh", folder=folder).name
'settings.json'
>>> json.loads((settings_path(folder)).read_text(encoding="utf-8"))["language"]
'zh'
>>> chosen_language(environ={}, folder=folder)
'zh'
>>> chosen_language(environ={"CASEKIT_LANG": "en"}, folder=folder)
'en'
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Mapping

from .errors import CasekitError

__all__ = ["ENV_VAR", "LANGUAGES", "settings_path", "read_settings", "chosen_language", "save_language"]

ENV_VAR = "CASEKIT_LANG"
LANGUAGES = ("en", "zh")
DEFAULT = "en"


def _config_root(environ: Mapping[str, str]) -> Path:
    if environ.get("CASEKIT_CONFIG_DIR"):
        return Path(environ["CASEKIT_CONFIG_DIR"]).expanduser()
    if sys.platform.startswith("win") and environ.get("APPDATA"):
        return Path(environ["APPDATA"]) / "casekit"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "casekit"
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "casekit"


def settings_path(folder: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Where the settings file is (it need not exist yet)."""
    root = Path(folder) if folder is not None else _config_root(os.environ if environ is None else environ)
    return root / "settings.json"


def _warn(message: str) -> None:
    # One line on stderr: a notebook shows it in a small tinted box, a terminal as one line.
    print(f"casekit: {message}", file=sys.stderr)


def read_settings(folder: str | Path | None = None, environ: Mapping[str, str] | None = None,
                  warn: bool = True) -> dict:
    """The saved settings as a dict; ``{}`` when there is no file or it cannot be used."""
    path = settings_path(folder, environ)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        if warn:
            _warn(f"cannot read the settings file {path} ({type(exc).__name__}); using English.")
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        if warn:
            _warn(f"the settings file {path} is not valid JSON; using English. "
                  "Fix it or choose again: python -m casekit language zh (or en).")
        return {}
    if not isinstance(data, dict):
        if warn:
            _warn(f"the settings file {path} should hold a JSON object such as "
                  '{"language": "zh"}; using English.')
        return {}
    return data


def _clean(value: object) -> str | None:
    if isinstance(value, str) and value.strip().lower() in LANGUAGES:
        return value.strip().lower()
    return None


def chosen_language(environ: Mapping[str, str] | None = None, folder: str | Path | None = None,
                    warn: bool = True) -> str:
    """The language the user chose: ``CASEKIT_LANG`` first, then the settings file, else English."""
    environ = os.environ if environ is None else environ
    raw = environ.get(ENV_VAR, "")
    if raw.strip():
        lang = _clean(raw)
        if lang:
            return lang
        if warn:
            _warn(f"{ENV_VAR}={raw!r} is not a language casekit knows (use zh or en); ignoring it.")
    data = read_settings(folder, environ, warn=warn)
    if "language" in data:
        lang = _clean(data["language"])
        if lang:
            return lang
        if warn:
            _warn(f"the settings file {settings_path(folder, environ)} names the language "
                  f"{data['language']!r} (use \"zh\" or \"en\"); using English.")
    return DEFAULT


def save_language(lang: str, folder: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Save ``"zh"`` or ``"en"`` as the language every new kernel starts in; return the file.

    Other keys in the file are kept; a file that cannot be used is replaced.
    """
    clean = _clean(lang)
    if clean is None:
        raise CasekitError(f"Unknown language {lang!r}. Choose 'zh' (中文) or 'en' (English).")
    path = settings_path(folder, environ)
    data = read_settings(folder, environ, warn=False)
    data["language"] = clean
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise CasekitError(f"Cannot save the language to {path} ({exc.strerror or exc}). "
                           "Set CASEKIT_LANG=zh (or en) before starting Jupyter instead.") from None
    return path
