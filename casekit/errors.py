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
    # IPython 9 also keeps each cell's error for its history (``%notebook`` writes it out), formatted
    # as a full traceback: a fifth of a second per error (it parses every file on the stack), for
    # a traceback nobody was shown. A CasekitError is kept as it was shown: the short message.
    store = getattr(shell, "_format_exception_for_storage", None)
    if callable(store) and not getattr(store, "__casekit__", False):
        def _for_storage(exception, *args, **kwargs):
            if isinstance(exception, CasekitError):
                return {"ename": type(exception).__name__, "evalue": str(exception), "traceback": [_format(exception)]}
            return store(exception, *args, **kwargs)

        _for_storage.__casekit__ = True
        shell._format_exception_for_storage = _for_storage
    return True
