"""The kit's command line for users (instructors: ``python -m casekit.instructor``).

    python -m casekit notebooks my-casekit          # the units, and the exercises in my-casekit/exercises
    python -m casekit notebooks my-casekit --force  # also overwrite files you changed there
    python -m casekit language zh|en|mark [DIR]     # the kit's language, and the notebooks' paragraph order
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .errors import CasekitError
from .handout import copy_notebooks
from .language import main as language_main

_SAID = {
    "copied": ("copied", "已复制"), "updated": ("updated", "已更新"),
    "unchanged": ("unchanged", "未变"), "replaced": ("overwritten (--force)", "已覆盖"),
    "kept": ("kept: you changed it", "保留：你已修改"),
}


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["language"]:
        return language_main(args_list[1:])
    parser = argparse.ArgumentParser(
        prog="python -m casekit",
        description="casekit: copy the notebooks to a folder of your own, or choose the language / "
                    "把笔记本复制到你自己的文件夹，或选择语言",
        epilog="python -m casekit language zh|en|mark [DIR]: the language / 语言. "
               "Instructors / 教师: python -m casekit.instructor --help")
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND")
    nb = sub.add_parser("notebooks", help="copy the narrative units and the exercises to DIR / 复制笔记本到 DIR")
    nb.add_argument("dir", metavar="DIR", help="the folder to copy into (created if missing) / 目标文件夹")
    nb.add_argument("--force", action="store_true",
                    help="overwrite files you changed there / 覆盖你已修改的文件")
    nb.add_argument("--keep-changed", action="store_true",
                    help="add new and untouched notebooks, keep the ones you changed / 只添加新文件，保留你修改过的")
    sub.add_parser("language", help="zh|en|mark [DIR]: choose the language / 选择语言")
    args = parser.parse_args(args_list)
    if args.cmd is None:
        parser.print_help()
        return 2
    try:
        actions = copy_notebooks(args.dir, force=args.force, keep_changed=args.keep_changed)
    except CasekitError as exc:
        print(exc, file=sys.stderr)
        return 1
    for rel, action in actions:
        en, zh = _SAID[action]
        print(f"  {rel}: {en} / {zh}")
    print(f"Open them with: jupyter lab {args.dir}\n用 jupyter lab {args.dir} 打开。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
