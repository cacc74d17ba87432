"""Read-only provenance for ``DataFrame.attrs``: shared, never deep-copied.

pandas deep-copies a frame's ``attrs`` into every result taken from it: every column, slice, filter
and ``itertuples`` row source (``pandas.core.generic.NDFrame.__finalize__``). A dataset's attrs carry
its provenance and a bilingual codebook, so each of those copies walked hundreds of small dicts:
in unit 03 alone 2,228 such copies, a tenth of the notebook's own time. The provenance is the
same for every table made from a dataset and no kit code edits it, so it is stored read-only and
shared: ``copy.deepcopy`` of these containers returns the container itself.

Changing one says what to do instead (copy it first) rather than silently editing every table
made from the same dataset. The top-level ``df.attrs`` stays an ordinary dict (pandas makes it
one), so ``df.attrs["my_note"] = ...`` still works.

Internal module: not part of the public API.
"""
from __future__ import annotations

from typing import Any, NoReturn

from .errors import CasekitError
from .i18n import t


def _refuse(*_: Any, **__: Any) -> NoReturn:
    raise CasekitError(t(
        "A dataset's provenance and codebook (df.attrs) are read-only: every table made from the "
        "dataset shares them. To keep notes of your own, copy first, e.g. "
        "source = dict(df.attrs['source']), or add a new key: df.attrs['my_note'] = ...",
        "数据集的来源与编码表（df.attrs）是只读的：由该数据集得到的每张表都共用它们。"
        "如需记下自己的内容，请先复制，例如 source = dict(df.attrs['source'])，"
        "或添加新键：df.attrs['my_note'] = ..."))


class _Shared:
    """Its own copy, shallow or deep; pickled as the plain container it holds."""

    __slots__ = ()
    _plain: type = object

    def __copy__(self):
        return self

    def __deepcopy__(self, memo: dict):
        return self

    def __reduce__(self) -> tuple:
        return (type(self), (self._plain(self),))


class ReadOnlyDict(_Shared, dict):
    """A dict that refuses changes and is its own (deep) copy."""

    __slots__ = ()
    _plain = dict
    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse


class ReadOnlyList(_Shared, list):
    """A list that refuses changes and is its own (deep) copy (``== [...]`` still compares as a list)."""

    __slots__ = ()
    _plain = list
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = clear = extend = insert = pop = remove = reverse = sort = _refuse


def freeze(value: Any) -> Any:
    """``value`` with every dict and list in it (recursively) made read-only; other values as they are."""
    if isinstance(value, dict):
        return ReadOnlyDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return ReadOnlyList(freeze(v) for v in value)
    if isinstance(value, tuple):
        return tuple(freeze(v) for v in value)
    return value
