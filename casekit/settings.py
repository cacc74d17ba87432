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
import stat
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


def _warn(en: str, zh: str) -> None:
    # One line on stderr, in both languages (the language is what is being decided): a notebook shows
    # it in a small tinted box, a terminal as one line.
    print(f"casekit: {en} / {zh}", file=sys.stderr)


_MAX_BYTES = 65_536      # the file holds a few keys; a bigger one is not ours


def _read_bytes(path: Path) -> bytes | None:
    """The file's bytes; None when there is no file. Anything but a regular file of at most
    ``_MAX_BYTES`` raises ``_Unusable``: opened without blocking and checked on the open descriptor,
    so a FIFO or a link to /dev/zero cannot stop ``import casekit``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        if os.path.islink(path):
            raise _Unusable("it is a link to a file that does not exist", "它是指向不存在文件的链接") from None
        return None
    except IsADirectoryError:
        raise _Unusable("it is a folder", "它是文件夹") from None
    except OSError as exc:
        raise _Unusable(f"{type(exc).__name__}: {exc.strerror or exc}", f"{type(exc).__name__}：{exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _Unusable("it is a folder", "它是文件夹")
        if not stat.S_ISREG(info.st_mode):
            raise _Unusable("it is a device or a pipe, not a regular file", "它是设备或管道，不是普通文件")
        if info.st_size > _MAX_BYTES:
            raise _Unusable(f"it is {info.st_size:,} bytes, more than a settings file holds",
                            f"它有 {info.st_size:,} 字节，超出设置文件的大小")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise _Unusable(f"{type(exc).__name__}: {exc.strerror or exc}", f"{type(exc).__name__}：{exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > _MAX_BYTES:
        raise _Unusable("it is more than a settings file holds", "它超出设置文件的大小")
    return data


class _Unusable(Exception):
    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.en, self.zh = en, zh


def read_settings(folder: str | Path | None = None, environ: Mapping[str, str] | None = None,
                  warn: bool = True) -> dict:
    """The saved settings as a dict; ``{}`` when there is no file or it cannot be used."""
    path = settings_path(folder, environ)
    again_en = "choose again: python -m casekit language zh (or en)"
    again_zh = "重新选择：python -m casekit language zh（或 en）"
    try:
        raw = _read_bytes(path)
        if raw is None:
            return {}
        text = raw.decode("utf-8-sig")
    except _Unusable as exc:
        if warn:
            _warn(f"cannot use the settings file {path} ({exc.en}); using English. Remove it or {again_en}.",
                  f"无法使用设置文件（{exc.zh}），暂用英文；请删除它，或{again_zh}。")
        return {}
    except UnicodeDecodeError:
        if warn:
            _warn(f"the settings file {path} is not UTF-8 text; using English. Remove it or {again_en}.",
                  f"设置文件不是 UTF-8 文本，暂用英文；请删除它，或{again_zh}。")
        return {}
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):      # 100,000 "[" overflow the decoder's recursion
        if warn:
            _warn(f"the settings file {path} is not valid JSON; using English. Fix it or {again_en}.",
                  f"设置文件不是合法的 JSON，暂用英文；请修正，或{again_zh}。")
        return {}
    if not isinstance(data, dict):
        if warn:
            _warn(f"the settings file {path} should hold a JSON object such as "
                  '{"language": "zh"}; using English.',
                  '设置文件应是 JSON 对象，例如 {"language": "zh"}；暂用英文。')
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
            shown = repr(raw) if len(raw) <= 40 else repr(raw[:39]) + "…"
            _warn(f"{ENV_VAR}={shown} is not a language casekit knows (use zh or en); ignoring it.",
                  f"{ENV_VAR}={shown} 不是 casekit 支持的语言（请用 zh 或 en），已忽略。")
    data = read_settings(folder, environ, warn=warn)
    if "language" in data:
        lang = _clean(data["language"])
        if lang:
            return lang
        if warn:
            shown = repr(data["language"])
            shown = shown if len(shown) <= 40 else shown[:39] + "…"
            _warn(f"the settings file {settings_path(folder, environ)} names the language "
                  f"{shown} (use \"zh\" or \"en\"); using English.",
                  f"设置文件中的语言 {shown} 不可用（请用 \"zh\" 或 \"en\"），暂用英文。")
    return DEFAULT


def save_language(lang: str, folder: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Save ``"zh"`` or ``"en"`` as the language every new kernel starts in; return the file.

    Other keys in the file are kept; a file that cannot be used is replaced.
    """
    clean = _clean(lang)
    if clean is None:
        shown = repr(lang) if len(repr(lang)) <= 40 else repr(lang)[:39] + "…"
        raise CasekitError(f"Unknown language {shown}. Choose 'zh' (中文) or 'en' (English). / "
                           f"未知语言 {shown}，请选择 'zh'（中文）或 'en'（英文）。")
    try:
        path = settings_path(folder, environ)
    except TypeError:
        raise CasekitError(f"folder= takes the path of a folder, not {type(folder).__name__}. / "
                           f"folder= 应是文件夹路径，而不是 {type(folder).__name__}。") from None
    data = read_settings(folder, environ, warn=False)
    data["language"] = clean
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.unlink(missing_ok=True)     # never write through a link left at the temporary name
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
    except (OSError, ValueError) as exc:   # ValueError: a NUL in the path
        reason = getattr(exc, "strerror", None) or str(exc)[:80]
        shown = str(path) if len(str(path)) <= 120 else str(path)[:119] + "…"
        raise CasekitError(f"Cannot save the language to {shown} ({reason}). "
                           "Set CASEKIT_LANG=zh (or en) before starting Jupyter instead. / "
                           "无法保存语言设置；请改为在启动 Jupyter 前设置 CASEKIT_LANG=zh（或 en）。") from None
    return path
