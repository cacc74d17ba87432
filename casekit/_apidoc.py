"""Writes docs/API.md: every public name of every module (its ``__all__``), with its first doc line.

Run ``python -m casekit._apidoc > docs/API.md``; a test checks every public name is on the page.
"""
from __future__ import annotations

import importlib
import inspect
import re

MODULES = ["casekit", "casekit.datasets", "casekit.units", "casekit.errors", "casekit.i18n", "casekit.diagrams",
           "casekit.plotting", "casekit.landscape", "casekit.landscape_diagrams", "casekit.landscape_widgets",
           "casekit.collaboration", "casekit.collaboration_diagrams", "casekit.collaboration_widgets",
           "casekit.six_paths", "casekit.six_paths_diagrams", "casekit.six_paths_widgets",
           "casekit.cost_curves", "casekit.cost_curves_plots", "casekit.cost_curves_widgets", "casekit.schemas",
           "casekit.decision_cases", "casekit.reveal", "casekit.live"]

HEAD = """# casekit public API · 公开接口

Every public name, module by module: exactly each module's `__all__`. Names not listed here (those
starting with `_`, and the instructor tools in `casekit.instructor`) are internal and may change.

每个模块的公开名称（即该模块的 `__all__`）都列在下面；未列出的名称（以 `_` 开头的，以及教师工具
`casekit.instructor`）属于内部实现，可能变动。

**Bad input · 错误输入.** Every public function, method and widget listed here answers bad input with
a result or a `casekit.CasekitError` whose message (at most about 500 characters) says what is wrong
and what to do; a widget shows one line in its readout and keeps a valid value. No raw library
exception, no hang, no inf/NaN shown as a number; case files refuse YAML aliases, deep nesting and
files over 1 MB. `tests/test_malformed_inputs.py` (a corpus of malformed inputs) and
`tests/test_properties_api.py` (hypothesis, over every function below) check this.

以下每个公开函数、方法和小部件遇到错误输入时，要么给出结果，要么抛出 `casekit.CasekitError`，
其信息（约 500 字符以内）说明错在哪里、该怎么做；小部件在读数区显示一行提示，并保持有效取值。
不会出现原始的库异常、卡死，也不会把 inf/NaN 当作数字显示；案例文件拒绝 YAML 别名、过深嵌套和
超过 1 MB 的文件。`tests/test_malformed_inputs.py`（错误输入样例集）与 `tests/test_properties_api.py`
（基于 hypothesis，覆盖下列全部函数）负责检验。

Regenerate this page with `python -m casekit._apidoc > docs/API.md` (a test checks that every
name is listed).
"""


def _kind(obj) -> str:
    if inspect.isclass(obj):
        return "class"
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        return "function"
    return "constant"


def _summary(obj) -> str:
    if _kind(obj) == "constant":
        return ""
    doc = inspect.getdoc(obj) or ""
    line = doc.strip().split("\n\n")[0].replace("\n", " ").strip()
    line = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", line).replace("``", "`")   # reST roles to Markdown
    return line.replace("|", "\\|")


def render() -> str:
    out = [HEAD]
    for m in MODULES:
        mod = importlib.import_module(m)
        first = (inspect.getdoc(mod) or "").strip().split("\n\n")[0].replace("\n", " ")
        out.append(f"\n## `{m}`\n\n{first}\n\n| name | kind | what it is |\n|---|---|---|")
        for name in mod.__all__:
            obj = getattr(mod, name)
            out.append(f"| `{name}` | {_kind(obj)} | {_summary(obj)} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
