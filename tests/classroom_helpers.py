"""Start and stop ``python -m casekit.classroom`` for tests and benchmarks/bench_classroom.py."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
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


# --------------------------------------------------------------------------------------------
# A student page at the protocol level, for the page-watch tests and benchmarks/bench_classroom_cull.py
# --------------------------------------------------------------------------------------------
class RawPage:
    """One student page without a browser: the page's HTTP request (which gives it a kernel) and
    its kernel websocket, spoken over a plain socket so the test decides how the page goes away:
    :meth:`close` as a closing tab does (no ``beforeunload``, no shutdown request), or
    :meth:`go_silent` as a phone asleep or out of range does (the socket stays open and nothing,
    not even the answer to the server's pings, comes back)."""

    def __init__(self, server: ClassroomServer, notebook: str = "02_keda_zhongtu.ipynb"):
        self.server, self.notebook = server, notebook
        self.kernel_id: str | None = None
        self.sock: socket.socket | None = None

    def open(self, timeout: float = 300) -> RawPage:
        import re

        status, _, body = http_get(self.server.url(f"/voila/render/{self.notebook}"), timeout=timeout)
        found = re.search(r'"kernelId": "([0-9a-f-]+)"', body)
        if status != 200 or not found:
            raise RuntimeError(f"page: HTTP {status}, kernel id {'found' if found else 'missing'}")
        self.kernel_id = found.group(1)
        self.connect()
        return self

    def connect(self, timeout: float = 60) -> None:
        """The page's websocket to its kernel, and one kernel_info round trip (as a page starts)."""
        import base64
        import json
        import uuid

        self.sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = f"/api/kernels/{self.kernel_id}/channels?session_id={uuid.uuid4().hex}&token={self.server.token}"
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.server.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("websocket: closed during the handshake")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            first = head.split(b"\r\n", 1)[0].decode(errors="replace")
            raise RuntimeError(f"websocket: {first}")
        self._buf = head.split(b"\r\n\r\n", 1)[1]
        msg_id = uuid.uuid4().hex
        self._send(json.dumps({"header": {"msg_id": msg_id, "msg_type": "kernel_info_request", "username": "s",
                                          "session": uuid.uuid4().hex, "date": "", "version": "5.3"},
                               "parent_header": {}, "metadata": {}, "content": {}, "channel": "shell"}).encode())
        deadline = time.monotonic() + timeout
        while b"kernel_info_reply" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("websocket: no kernel_info_reply")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("websocket: closed before the kernel answered")
            self._buf += chunk
        self._buf = b""
        self._quiet = threading.Event()   # this connection's: set when the page closes or goes silent
        threading.Thread(target=self._answer_pings, args=(self.sock, self._quiet), daemon=True).start()

    def _answer_pings(self, sock: socket.socket, quiet: threading.Event) -> None:
        """While the page is alive: read what the kernel sends (and drop it), answer every ping."""
        import struct

        buf = b""
        try:
            sock.settimeout(1.0)
        except OSError:
            return
        while not quiet.is_set():
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 2:
                opcode, n, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
                if n == 126:
                    if len(buf) < 4:
                        break
                    n, at = struct.unpack("!H", buf[2:4])[0], 4
                elif n == 127:
                    if len(buf) < 10:
                        break
                    n, at = struct.unpack("!Q", buf[2:10])[0], 10
                if len(buf) < at + n:
                    break
                payload, buf = buf[at:at + n], buf[at + n:]
                if opcode == 0x9 and not quiet.is_set():
                    try:
                        self._send(payload, opcode=0xA, sock=sock)
                    except OSError:
                        return

    def _send(self, payload: bytes, opcode: int = 0x1, sock: socket.socket | None = None) -> None:
        import struct

        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else
                                         bytes([0x80 | 126]) + struct.pack("!H", n) if n < 2**16 else
                                         bytes([0x80 | 127]) + struct.pack("!Q", n))
        (sock or self.sock).sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def close(self) -> None:
        """As a tab that closes: the browser ends the connection; no beforeunload, no shutdown request."""
        if getattr(self, "_quiet", None):
            self._quiet.set()
        if self.sock is not None:
            try:
                self._send(b"\x03\xe9", opcode=0x8)   # close frame, 1001 "going away"
            except OSError:
                pass
            self.sock.close()
            self.sock = None

    def go_silent(self) -> None:
        """As a phone asleep or out of range: nothing more is read or sent (so no pong either)."""
        self._quiet.set()

    def kernel_status(self) -> int:
        return http_get(self.server.url(f"/api/kernels/{self.kernel_id}"))[0]


def open_reveal(page, timeout: float = 180_000) -> None:
    """Do what a class does after deciding: press the reveal ("what happened" / "what the source
    concludes"), so the analysis and explorers below it show. Pressed twice when the page first asks
    whether to open it without a decision."""
    button = page.locator(".ck-reveal-button").first
    button.wait_for(state="visible", timeout=timeout)
    for _ in range(2):
        if not button.is_visible():
            return
        button.click()
        page.wait_for_timeout(400)
