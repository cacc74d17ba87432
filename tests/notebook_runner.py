"""Every notebook the suite executes runs through here: bounded per cell, and a stall is named.

A cell that is silent for ``CELL_TIMEOUT`` seconds (every cell of the kit takes under 3 s on a quiet
machine) fails the test with the notebook's name, the cell's number and its first line, instead of
holding the suite; a kernel that does not start in ``STARTUP_TIMEOUT`` seconds likewise.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

CELL_TIMEOUT = 60
STARTUP_TIMEOUT = 120


def execute(nb: nbformat.NotebookNode, name: str, cwd: str | Path, cell_timeout: int = CELL_TIMEOUT,
            **kwargs) -> nbformat.NotebookNode:
    """Execute ``nb`` in a fresh kernel (in place); ``name`` names it in a failure."""
    client = NotebookClient(nb, timeout=cell_timeout, startup_timeout=STARTUP_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}}, **kwargs)
    with client.setup_kernel():
        for index, cell in enumerate(client.nb.cells):
            try:
                client.execute_cell(cell, index)
            except (CellTimeoutError, DeadKernelError) as exc:
                first = (cell.source.strip().splitlines() or [""])[0][:80]
                raise AssertionError(f"{name}: cell {index} ({first!r}) did not finish within {cell_timeout} s "
                                     f"({type(exc).__name__}); a stall, named here instead of hanging the suite") from None
    return nb
