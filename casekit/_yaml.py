"""Files a user may write, read without surprises: a firm's case, a decision case, a notebook to
reorder, a provenance record. (The settings file, read as ``casekit.i18n`` loads, has its own small
reader in :mod:`casekit.settings`: importing this module there would make an import cycle.)

* :func:`read_text` opens a path without blocking and reads it only when it is a regular file of a
  sensible size: a FIFO, a device (``/dev/zero``, ``/dev/ptmx``), a folder or a dangling link is
  refused at once with a message, instead of blocking or reading for ever.
* :class:`StrictLoader` is PyYAML's ``SafeLoader`` that refuses what a hand-written file gets wrong
  without noticing: a key given twice in one mapping (PyYAML keeps the last one silently, so a second
  ``firm:`` turns one firm's case into another's), nesting deeper than any of the kit's files needs
  (a file of 10,000 ``[`` overflows PyYAML's recursive composer) and aliases (a 545-byte "billion
  laughs" file expands to gigabytes). Its errors are ``yaml.YAMLError`` subclasses that name the
  line and say what to do, so ``except yaml.YAMLError`` code keeps working.
* :func:`load` parses text with it and turns any YAML problem into a :class:`CasekitError`.

>>> load("firm: keda\\nstages: [1, 2]\\n")
{'firm': 'keda', 'stages': [1, 2]}
>>> load("firm: keda\\nname_en: Keda\\nfirm: zhongtu\\n")
Traceback (most recent call last):
...
casekit.errors.CasekitError: The YAML text gives the key 'firm' twice (lines 1 and 3); a key may appear only once in a mapping. Keep the right one and delete the other.

Internal module: not part of the public API.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import CasekitError
from .i18n import t

__all__ = ["MAX_DEPTH", "FileError", "StrictLoader", "StrictYAMLError", "load", "parse", "read_text"]

MAX_DEPTH = 20   # the kit's deepest file (a decision case) nests 7 levels


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class StrictYAMLError(yaml.YAMLError):
    """A YAML problem :class:`StrictLoader` refuses, with its message in both languages."""

    def __init__(self, en: str, zh: str, line: int | None = None):
        super().__init__(en)
        self.en, self.zh, self.line = en, zh, line

    def __str__(self) -> str:
        return t(self.en, self.zh)


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys, aliases and nesting deeper than ``max_depth``.

    ``yaml.load(text, Loader=StrictLoader)`` is a drop-in for ``yaml.safe_load(text)``.
    """

    max_depth = MAX_DEPTH

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            line = self.peek_event().start_mark.line + 1
            raise StrictYAMLError(
                f"uses a YAML alias (*name) on line {line}; write the value out in full instead (aliases are not "
                "allowed in the kit's files).",
                f"第 {line} 行使用了 YAML 别名（*name）；请直接写出完整的值（本套件的文件不允许别名）。", line)
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                line = self.peek_event().start_mark.line + 1
                raise StrictYAMLError(
                    f"nests more than {self.max_depth} levels deep (line {line}); check the brackets and the "
                    "indentation.",
                    f"嵌套超过 {self.max_depth} 层（第 {line} 行）；请检查括号和缩进。", line)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.get(key)
                except TypeError:       # an unhashable key: SafeLoader's own message says so
                    continue
                if first is not None:
                    where_en = f"lines {first} and {line}" if first != line else f"line {line}"
                    where_zh = f"第 {first} 行和第 {line} 行" if first != line else f"第 {line} 行"
                    raise StrictYAMLError(
                        f"gives the key {_short(key, 40)} twice ({where_en}); a key may appear only once in a "
                        "mapping. Keep the right one and delete the other.",
                        f"{where_zh}重复给出了键 {_short(key, 40)}；同一映射中每个键只能出现一次。"
                        "请保留正确的一个，删除另一个。", line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _NotPlain(Exception):
    """A document the fast reader leaves to :class:`StrictLoader` (an alias, deep nesting)."""


_CParser = getattr(getattr(yaml, "cyaml", None), "CParser", None) if getattr(yaml, "__with_libyaml__", False) else None


if _CParser is not None:
    class _CStrictLoader(_CParser, StrictLoader):
        """:class:`StrictLoader`'s checks with libyaml's parser (ten times faster than PyYAML's, which
        is pure Python). Duplicate keys are refused as StrictLoader refuses them (the constructor is
        the same); a document with an alias or nesting deeper than ``max_depth`` is not built here
        but left to StrictLoader, so that the message is word for word its own."""

        def __init__(self, stream: Any):
            _CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            # No "&name" or "*name" where YAML reads one (after a space, a line's start or "[{,"): no alias
            self._may_alias = not isinstance(stream, str) or _ANCHOR_OR_ALIAS.search(stream) is not None

        def get_single_node(self):
            node = _CParser.get_single_node(self)
            if node is not None:
                _check_plain(node, self.max_depth, self._may_alias)
            return node


    _ANCHOR_OR_ALIAS = re.compile(r"(?:^|[\s\[{,])[&*]\S", re.M)

    def _check_plain(node: Any, max_depth: int, aliases: bool) -> None:
        """Raise :class:`_NotPlain` if ``node`` nests deeper than ``max_depth`` (the root is level 1,
        as StrictLoader counts) or, when the text may hold aliases, if a node is met twice."""
        mapping, sequence = yaml.MappingNode, yaml.SequenceNode
        seen: set[int] | None = set() if aliases else None
        stack = [(node, 1)]
        while stack:
            n, depth = stack.pop()
            if depth > max_depth:
                raise _NotPlain
            if seen is not None:
                if id(n) in seen:      # a node met twice is an alias
                    raise _NotPlain
                seen.add(id(n))
            if isinstance(n, mapping):
                children = [x for pair in n.value for x in pair]
            elif isinstance(n, sequence):
                children = n.value
            else:
                continue
            deeper = depth + 1
            if seen is None:           # scalars need no visit: only their depth counts
                for child in children:
                    if isinstance(child, (mapping, sequence)):
                        stack.append((child, deeper))
                    elif deeper > max_depth:
                        raise _NotPlain
            else:
                stack.extend((child, deeper) for child in children)
else:   # pragma: no cover (PyYAML built without libyaml)
    _CStrictLoader = None


_SLOW = object()


def _fast(text: Any) -> Any:
    """The data of ``text`` read by libyaml, or ``_SLOW`` where :class:`StrictLoader` must read it:
    a YAML error, a duplicate key, an alias, deep nesting or a character PyYAML's reader refuses
    (read again, StrictLoader's result or message is the answer, word for word)."""
    if _CStrictLoader is None or not isinstance(text, str) or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return _SLOW
    loader = _CStrictLoader(text)
    try:
        return loader.get_single_data()
    except (yaml.YAMLError, _NotPlain, RecursionError):
        return _SLOW
    finally:
        loader.dispose()


def parse(text: str) -> Any:
    """``yaml.load(text, Loader=StrictLoader)``: the same data and the same errors, read by libyaml
    where PyYAML has it (a dataset's provenance file: 0.4 ms instead of 4 ms)."""
    data = _fast(text)
    return yaml.load(text, Loader=StrictLoader) if data is _SLOW else data


def load(text: str, what: tuple[str, str] = ("The YAML text", "YAML 文本")) -> Any:
    """Parse ``text`` with :class:`StrictLoader`; any YAML problem is a :class:`CasekitError` that
    starts with ``what`` (English, Chinese), e.g. ``("The case file", "案例文件")``."""
    data = _fast(text)
    if data is not _SLOW:
        return data
    loader = None
    try:
        loader = StrictLoader(text)   # the reader itself refuses NUL and other non-printable characters
        return loader.get_single_data()
    except StrictYAMLError as exc:
        raise CasekitError(t(f"{what[0]} {exc.en}", f"{what[1]}{exc.zh}")) from None
    except yaml.YAMLError as exc:
        detail = str(exc).replace("\n", " ")
        detail = detail if len(detail) <= 200 else detail[:199] + "…"
        raise CasekitError(t(f"{what[0]} is not valid YAML: {detail}. Fix the line it names (indentation, a missing "
                             "colon or quote).",
                             f"{what[1]}不是合法的 YAML：{detail}。请修改所指的行（缩进、缺少冒号或引号）。")) from None
    finally:
        if loader is not None:
            loader.dispose()


class FileError(CasekitError):
    """A file :func:`read_text` refuses; ``en`` and ``zh`` hold the message in each language (a command
    line shows both), ``str()`` the one in the current language."""

    def __init__(self, en: str, zh: str):
        super().__init__(t(en, zh))
        self.en, self.zh = en, zh


def _refuse(en: str, zh: str) -> FileError:
    return FileError(en, zh)


def read_text(path: Any, *, limit: int, what: tuple[str, str] = ("file", "文件"),
              hint: tuple[str, str] = ("Check the path.", "请检查路径。")) -> str:
    """The UTF-8 text of the regular file at ``path`` (at most ``limit`` bytes), else a CasekitError.

    The file is opened without blocking and checked on the open descriptor: a FIFO, a terminal or a
    device would block a plain read for good (a student's answer "/dev/ptmx" once hung grading), and
    ``/dev/zero`` never ends. ``what`` names the file in messages (English, Chinese) and ``hint`` ends
    them with what to do.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise _refuse(f"Give the {what[0]} as a path, not {type(path).__name__}. {hint[0]}",
                      f"请用路径指定{what[1]}，而不是 {type(path).__name__}。{hint[1]}")
    text = os.fspath(path)
    if isinstance(text, bytes) or not text.strip() or "\x00" in text or len(text) > 4096:
        raise _refuse(f"{_short(text, 60)} is not a usable path for the {what[0]}. {hint[0]}",
                      f"{_short(text, 60)} 不是可用的{what[1]}路径。{hint[1]}")
    p = Path(text).expanduser()
    shown = _cut(str(p), 80)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        if os.path.islink(p):
            raise _refuse(f"{shown} is a link to {_cut(os.readlink(p), 60)}, which does not exist. {hint[0]}",
                          f"{shown} 是指向 {_cut(os.readlink(p), 60)} 的链接，而目标不存在。{hint[1]}") from None
        raise _refuse(f"No {what[0]} at {shown}. {hint[0]}", f"找不到{what[1]} {shown}。{hint[1]}") from None
    except IsADirectoryError:
        raise _refuse(f"{shown} is a folder, not a {what[0]}. {hint[0]}",
                      f"{shown} 是文件夹，不是{what[1]}。{hint[1]}") from None
    except OSError as exc:
        raise _refuse(f"Cannot open {shown}: {exc.strerror or exc}. {hint[0]}",
                      f"无法打开 {shown}：{exc.strerror or exc}。{hint[1]}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _refuse(f"{shown} is a folder, not a {what[0]}. {hint[0]}",
                          f"{shown} 是文件夹，不是{what[1]}。{hint[1]}")
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(f"{shown} is not a regular file (a device, a pipe or a terminal), so not a {what[0]}. "
                          f"{hint[0]}",
                          f"{shown} 不是普通文件（设备、管道或终端），不是{what[1]}。{hint[1]}")
        if info.st_size > limit:
            raise _refuse(f"{shown} is {info.st_size:,} bytes; a {what[0]} is at most {limit:,}. {hint[0]}",
                          f"{shown} 有 {info.st_size:,} 字节，{what[1]}最多 {limit:,} 字节。{hint[1]}")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise _refuse(f"Cannot read {shown}: {exc.strerror or exc}. {hint[0]}",
                      f"无法读取 {shown}：{exc.strerror or exc}。{hint[1]}") from None
    finally:
        os.close(fd)
    if len(data) > limit:    # it grew while we looked
        raise _refuse(f"{shown} is more than {limit:,} bytes; a {what[0]} is at most {limit:,}. {hint[0]}",
                      f"{shown} 超过 {limit:,} 字节，{what[1]}最多 {limit:,} 字节。{hint[1]}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(f"{shown} is not UTF-8 text (byte {exc.start + 1} is not; is it a binary file or another "
                      f"encoding?). Save the {what[0]} as UTF-8.",
                      f"{shown} 不是 UTF-8 文本（第 {exc.start + 1} 个字节不是；是二进制文件或其他编码吗？）。"
                      f"请以 UTF-8 保存{what[1]}。") from None
