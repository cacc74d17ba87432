"""Answers as plain data: the only thing that crosses the grading sandbox's boundary.

A student's answer names leave the student's interpreter as JSON and enter the interpreter that
runs the hidden tests as new objects built from that JSON: numbers, strings, booleans, ``None``,
lists/tuples/dicts/sets of these, numpy scalars and arrays, pandas Series and DataFrames (with
their dtypes), and the casekit model objects in :data:`MODELS`, rebuilt through their own
validators. Nothing is pickled and nothing a student wrote is ever called: an object that only
*claims* to be equal to everything cannot survive the trip, because only its data travels.

>>> blob = encode({"a": [1, 2.5, None], "b": {"x", "y"}})
>>> decode(blob) == {"a": [1, 2.5, None], "b": {"x", "y"}}
True
>>> decode(encode(...)) is Ellipsis
True
>>> decode(encode(object()))
Traceback (most recent call last):
...
casekit.instructor.plaindata.Unsupported: object
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = ["encode", "decode", "Unsupported", "MODELS", "LIMITS", "describe"]

# The casekit model objects an answer may be, rebuilt from their fields through their validators.
MODELS = {"CostScenario": "casekit.cost_curves"}

# Bounds on what one answer may hold (a bigger answer is wrong, with a note).
LIMITS = {"depth": 12, "items": 200_000, "str": 200_000, "int_digits": 400}

_TAG = "$"


class Unsupported(Exception):
    """An answer of a kind the grader does not read (a function, a widget, a result object ...)."""


class _Budget:
    def __init__(self):
        self.items = 0

    def take(self, n: int = 1):
        self.items += n
        if self.items > LIMITS["items"]:
            raise Unsupported(f"more than {LIMITS['items']:,} values")


def _float(x: float):
    if math.isnan(x):
        return {_TAG: "float", "v": "nan"}
    if math.isinf(x):
        return {_TAG: "float", "v": "inf" if x > 0 else "-inf"}
    return float(x)


def _scalar(x, budget: _Budget):
    budget.take()
    if x is None or isinstance(x, bool):
        return x
    if isinstance(x, int):
        if len(str(abs(x))) > LIMITS["int_digits"]:
            raise Unsupported("an integer with too many digits")
        return int(x)
    if isinstance(x, float):
        return _float(x)
    if isinstance(x, str):
        if len(x) > LIMITS["str"]:
            raise Unsupported(f"a text longer than {LIMITS['str']:,} characters")
        return str(x)
    return _NOT_SCALAR


_NOT_SCALAR = object()


def encode(value: Any, _depth: int = 0, _budget: _Budget | None = None) -> Any:
    """Turn an answer into JSON-ready data, or raise :class:`Unsupported` naming its kind."""
    budget = _budget or _Budget()
    if _depth > LIMITS["depth"]:
        raise Unsupported(f"nested more than {LIMITS['depth']} levels deep")
    # exact types only: a subclass of str or dict could carry behaviour of its own
    if value is None or type(value) in (bool, int, float, str):
        return _scalar(value, budget)
    if value is Ellipsis:
        return {_TAG: "ellipsis"}
    t = type(value)
    if t in (list, tuple, set, frozenset):
        items = list(value)
        budget.take(len(items))
        return {_TAG: t.__name__, "v": [encode(v, _depth + 1, budget) for v in items]}
    if t is dict:
        budget.take(len(value))
        return {_TAG: "dict", "v": [[encode(k, _depth + 1, budget), encode(v, _depth + 1, budget)]
                                   for k, v in value.items()]}
    mod = t.__module__ or ""
    if mod.startswith("numpy"):
        return _encode_numpy(value, _depth, budget)
    if mod.startswith("pandas"):
        return _encode_pandas(value, _depth, budget)
    if t.__name__ in MODELS and mod == MODELS[t.__name__] and dataclasses.is_dataclass(value):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {_TAG: "model", "type": t.__name__, "v": encode(fields, _depth + 1, budget)}
    raise Unsupported(describe(value))


def describe(value: Any) -> str:
    """A short name for an answer's kind, for the note a student reads."""
    t = type(value)
    mod = getattr(t, "__module__", "") or ""
    return t.__name__ if mod in ("builtins", "") else f"{mod}.{t.__name__}"


_NUMPY_KINDS = set("biufUSM")   # bool, int, uint, float, unicode, bytes-as-text, datetime


def _encode_numpy(value, depth, budget):
    import numpy as np

    if isinstance(value, np.generic):
        if value.dtype.kind not in _NUMPY_KINDS or value.dtype.kind == "S":
            raise Unsupported(describe(value))
        py = value.item()
        if value.dtype.kind == "M":
            return {_TAG: "np.scalar", "dtype": str(value.dtype), "v": str(value)}
        return {_TAG: "np.scalar", "dtype": str(value.dtype), "v": _scalar(py, budget)}
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            flat = [encode(v, depth + 1, budget) for v in value.ravel().tolist()]
        elif value.dtype.kind in "biufU":
            budget.take(value.size)
            flat = [_scalar(v, budget) for v in value.ravel().tolist()]
        elif value.dtype.kind == "M":
            budget.take(value.size)
            flat = [str(v) for v in value.ravel()]
        else:
            raise Unsupported(describe(value))
        return {_TAG: "np.array", "dtype": str(value.dtype), "shape": list(value.shape), "v": flat}
    raise Unsupported(describe(value))


def _dtype_spec(dtype) -> Any:
    import pandas as pd

    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories.tolist()
        return {"categorical": [_plain(c) for c in cats], "ordered": bool(dtype.ordered)}
    return str(dtype)


def _plain(x):
    """A pandas/numpy cell value as a JSON scalar (no objects)."""
    import numpy as np
    import pandas as pd

    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, pd.Timestamp):
        return x.isoformat()
    if type(x) in (bool, int, str):
        return x
    if type(x) is float:
        return _float(x)
    raise Unsupported(f"a table cell of kind {describe(x)}")


def _encode_index(index, budget):
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        raise Unsupported("a table with a MultiIndex (use reset_index())")
    budget.take(len(index))
    if isinstance(index, pd.RangeIndex):
        return {"range": [int(index.start), int(index.stop), int(index.step)], "name": _plain_name(index.name)}
    return {"values": [_plain(v) for v in index.tolist()], "dtype": _dtype_spec(index.dtype),
            "name": _plain_name(index.name)}


def _plain_name(name):
    if name is None or type(name) in (str, int, float, bool):
        return name
    if isinstance(name, tuple):
        raise Unsupported("a column or index name that is a tuple")
    return _plain(name)


def _encode_column(series, budget):
    budget.take(len(series))
    return {"name": _plain_name(series.name), "dtype": _dtype_spec(series.dtype),
            "v": [_plain(v) for v in series.tolist()]}


def _encode_pandas(value, depth, budget):
    import pandas as pd

    if isinstance(value, pd.Series):
        return {_TAG: "pd.Series", "index": _encode_index(value.index, budget), **_encode_column(value, budget)}
    if isinstance(value, pd.DataFrame):
        if isinstance(value.columns, pd.MultiIndex):
            raise Unsupported("a table with MultiIndex columns")
        return {_TAG: "pd.DataFrame", "index": _encode_index(value.index, budget),
                "columns": [_encode_column(value.iloc[:, k], budget) for k in range(value.shape[1])]}
    raise Unsupported(describe(value))


# --------------------------------------------------------------------------------------------
# decoding: runs where the hidden tests run; builds only the kinds listed above
# --------------------------------------------------------------------------------------------

def decode(data: Any, _depth: int = 0, _budget: _Budget | None = None) -> Any:
    """Rebuild an answer from :func:`encode`'s data; malformed data raises :class:`Unsupported`."""
    budget = _budget or _Budget()
    if _depth > LIMITS["depth"] + 4:
        raise Unsupported("nested too deep")
    if data is None or type(data) in (bool, int, float, str):
        return _scalar(data, budget)
    if type(data) is not dict or not isinstance(data.get(_TAG), str):
        raise Unsupported("malformed answer data")
    tag = data[_TAG]
    v = data.get("v")
    if tag == "ellipsis":
        return Ellipsis
    if tag == "float":
        if v not in ("nan", "inf", "-inf"):
            raise Unsupported("malformed number")
        return float(v)
    if tag in ("list", "tuple", "set", "frozenset"):
        if type(v) is not list:
            raise Unsupported("malformed list")
        budget.take(len(v))
        items = [decode(x, _depth + 1, budget) for x in v]
        try:
            return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
        except TypeError as exc:   # an unhashable member of a set
            raise Unsupported("a set holding unhashable values") from exc
    if tag == "dict":
        if type(v) is not list or not all(type(p) is list and len(p) == 2 for p in v):
            raise Unsupported("malformed dict")
        budget.take(len(v))
        try:
            return {decode(k, _depth + 1, budget): decode(x, _depth + 1, budget) for k, x in v}
        except TypeError as exc:
            raise Unsupported("a dict with unhashable keys") from exc
    if tag == "np.scalar":
        return _decode_np_scalar(data, budget)
    if tag == "np.array":
        return _decode_np_array(data, _depth, budget)
    if tag == "pd.Series":
        import pandas as pd

        col = _decode_column(data, budget)
        return pd.Series(col.array, index=_decode_index(data.get("index"), budget), name=col.name)
    if tag == "pd.DataFrame":
        import pandas as pd

        cols = data.get("columns")
        if type(cols) is not list:
            raise Unsupported("malformed table")
        index = _decode_index(data.get("index"), budget)
        series = [_decode_column(c, budget) for c in cols]
        frame = pd.concat([s.reset_index(drop=True) for s in series], axis=1) if series else \
            pd.DataFrame(index=range(len(index)))
        if series:
            frame.columns = [s.name for s in series]
        frame.index = index
        return frame
    if tag == "model":
        name = data.get("type")
        if name not in MODELS:
            raise Unsupported(f"an unknown model {name!r}")
        import importlib

        cls = getattr(importlib.import_module(MODELS[name]), name)
        fields = decode(v, _depth + 1, budget)
        if type(fields) is not dict or not all(type(k) is str for k in fields):
            raise Unsupported("malformed model fields")
        allowed = {f.name for f in dataclasses.fields(cls)}
        if set(fields) - allowed:
            raise Unsupported(f"unknown fields for {name}")
        try:
            return cls(**fields)
        except Exception as exc:   # its own validator said no
            raise Unsupported(f"a {name} its validator rejects ({exc})") from exc
    raise Unsupported(f"an unknown kind {tag!r}")


_SAFE_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                "float16", "float32", "float64", "object", "str", "string"}


def _check_dtype(dtype: Any) -> Any:
    if isinstance(dtype, dict):
        cats = dtype.get("categorical")
        if type(cats) is not list or not all(c is None or type(c) in (str, int, float, bool) for c in cats):
            raise Unsupported("malformed categories")
        return dtype
    if not isinstance(dtype, str):
        raise Unsupported("malformed dtype")
    if dtype in _SAFE_DTYPES or dtype.startswith(("<U", "datetime64[")) or dtype in ("Int64", "Float64", "boolean"):
        return dtype
    raise Unsupported(f"an unsupported dtype {dtype!r}")


def _decode_values(v, budget) -> list:
    if type(v) is not list:
        raise Unsupported("malformed values")
    budget.take(len(v))
    out = []
    for x in v:
        if x is None or type(x) in (bool, int, str):
            out.append(_scalar(x, budget))
        elif type(x) is float:
            out.append(x)
        else:
            out.append(decode(x, LIMITS["depth"], budget) if type(x) is dict and x.get(_TAG) == "float"
                       else _bad())
    return out


def _bad():
    raise Unsupported("malformed table values")


def _astype(values: list, dtype):
    import pandas as pd

    dtype = _check_dtype(dtype)
    if isinstance(dtype, dict):
        return pd.Categorical(values, categories=dtype["categorical"], ordered=bool(dtype.get("ordered")))
    try:
        if dtype.startswith("datetime64["):
            return pd.to_datetime(pd.Series(values, dtype="object")).astype(dtype)
        return pd.array(values, dtype=dtype) if dtype not in ("object",) else pd.array(values, dtype=object)
    except (TypeError, ValueError) as exc:
        raise Unsupported(f"values that do not fit dtype {dtype}") from exc


def _decode_column(data, budget):
    import pandas as pd

    if type(data) is not dict:
        raise Unsupported("malformed column")
    values = _astype(_decode_values(data.get("v"), budget), data.get("dtype"))
    name = data.get("name")
    if name is not None and type(name) not in (str, int, float, bool):
        raise Unsupported("malformed column name")
    return pd.Series(values, name=name)


def _decode_index(data, budget):
    import pandas as pd

    if type(data) is not dict:
        raise Unsupported("malformed index")
    name = data.get("name")
    if name is not None and type(name) not in (str, int, float, bool):
        raise Unsupported("malformed index name")
    if "range" in data:
        r = data["range"]
        if type(r) is not list or len(r) != 3 or not all(type(x) is int for x in r) or r[2] == 0:
            raise Unsupported("malformed range index")
        if abs((r[1] - r[0]) // r[2]) > LIMITS["items"]:
            raise Unsupported("an index that is too long")
        return pd.RangeIndex(r[0], r[1], r[2], name=name)
    values = _astype(_decode_values(data.get("values"), budget), data.get("dtype"))
    return pd.Index(values, name=name)


def _decode_np_scalar(data, budget):
    import numpy as np

    dtype = data.get("dtype")
    if not isinstance(dtype, str):
        raise Unsupported("malformed numpy scalar")
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise Unsupported("malformed numpy dtype") from exc
    if dt.kind not in "biufUM":
        raise Unsupported(f"an unsupported numpy dtype {dtype!r}")
    v = data.get("v")
    if type(v) is dict:
        v = decode(v, LIMITS["depth"], budget)
    if v is not None and type(v) not in (bool, int, float, str):
        raise Unsupported("malformed numpy scalar")
    try:
        return dt.type(v)
    except (TypeError, ValueError, OverflowError) as exc:
        raise Unsupported("malformed numpy scalar") from exc


def _decode_np_array(data, depth, budget):
    import numpy as np

    dtype, shape, v = data.get("dtype"), data.get("shape"), data.get("v")
    if not isinstance(dtype, str) or type(shape) is not list or not all(type(s) is int and s >= 0 for s in shape):
        raise Unsupported("malformed numpy array")
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise Unsupported("malformed numpy dtype") from exc
    if type(v) is not list or math.prod(shape) != len(v):
        raise Unsupported("malformed numpy array")
    budget.take(len(v))
    if dt.kind == "O":
        items = [decode(x, depth + 1, budget) for x in v]
        arr = np.empty(len(items), dtype=object)
        arr[:] = items
        return arr.reshape(shape)
    if dt.kind not in "biufUM":
        raise Unsupported(f"an unsupported numpy dtype {dtype!r}")
    items = [decode(x, LIMITS["depth"], budget) if type(x) is dict else x for x in v]
    if not all(x is None or type(x) in (bool, int, float, str) for x in items):
        raise Unsupported("malformed numpy values")
    try:
        return np.array(items, dtype=dt).reshape(shape)
    except (TypeError, ValueError, OverflowError) as exc:
        raise Unsupported("malformed numpy values") from exc
