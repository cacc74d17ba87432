"""``python -m casekit language zh|en|mark [DIR]``: the kit's command line for users.

(The instructor's commands live in ``python -m casekit.instructor``.)
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["language"]:
        from .language import main as language_main

        return language_main(args[1:])
    print("usage: python -m casekit language zh|en|mark [DIR]\n"
          "       (instructors: python -m casekit.instructor --help)",
          file=sys.stderr if args[:1] not in (["-h"], ["--help"]) else sys.stdout)
    return 0 if args[:1] in (["-h"], ["--help"]) else 2


if __name__ == "__main__":
    sys.exit(main())
