"""Errors that teach.

Every mistake a user can make (a wrong dataset name, a malformed case file, an out-of-range
parameter, a wrongly typed answer) raises :class:`CasekitError` with a message that says what is
wrong and what to do. In IPython/Jupyter, :func:`install_ipython_handler` shows these as a short
message box instead of a traceback; the notebook's state is untouched.
"""
from __future__ import annotations

__all__ = ["CasekitError", "install_ipython_handler"]


class CasekitError(ValueError):
    """A user mistake, with a message that says what to do instead.

    Subclasses ``ValueError`` so that ordinary ``except ValueError`` code keeps working.
    """


def _format(exc: BaseException) -> str:
    return f"casekit: {exc}"


def install_ipython_handler() -> bool:
    """Show :class:`CasekitError` in IPython as a short message, not a traceback.

    Returns True when an IPython shell was found and the handler installed. Safe to call twice.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: ordinary tracebacks are fine there
        return False
    shell = get_ipython()
    if shell is None:
        return False

    def _handler(self, etype, value, tb, tb_offset=None):
        import sys

        # stderr keeps the message visible and red-tinted in JupyterLab, without the stack.
        print(_format(value), file=sys.stderr)
        return None

    shell.set_custom_exc((CasekitError,), _handler)
    return True
