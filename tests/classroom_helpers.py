"""Start and stop ``python -m casekit.classroom`` for tests and benchmarks/bench_classroom.py."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http_get(url: str, timeout: float = 60) -> tuple[int, dict, str]:
    """(status, headers, body) without following redirects (a 302 to /login is an answer)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


@dataclass
class ClassroomServer:
    log_dir: Path
    args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(12))
    proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/", token: bool = True) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}" if token else f"{self.base}{path}"

    def start(self, timeout: float = 120, env: dict | None = None) -> "ClassroomServer":
        self.log_path = self.log_dir / f"classroom-{self.port}.log"
        self.log = open(self.log_path, "w")
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "casekit.classroom", "--port", str(self.port), "--token", self.token, *self.args],
            cwd=self.log_dir, env=full_env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the classroom server exited with {self.proc.returncode}:\n{self.read_log()[-3000:]}")
            try:
                if http_get(self.base + "/login", timeout=5)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the classroom server did not answer within {timeout:.0f} s:\n{self.read_log()[-3000:]}")

    def wait_for_pool(self, unit: str, timeout: float = 180) -> None:
        """Until Voilà logs that the unit's preheated pool is full."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if f"Kernel pool of {unit}.ipynb is filled" in self.read_log():
                return
            time.sleep(0.5)
        raise TimeoutError(f"the pool of {unit} was not filled within {timeout:.0f} s")

    def read_log(self) -> str:
        return self.log_path.read_text(errors="replace") if getattr(self, "log_path", None) else ""

    def stop(self) -> None:
        """SIGTERM by PID: Voilà shuts every kernel down on the way out."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.log.close()
