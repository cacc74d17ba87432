"""The grading sandbox: bubblewrap arguments built by one function, limits, and a runner.

A sandboxed step sees: the system's programs and libraries read-only (``/usr``, ``/bin``,
``/lib*``, ``/etc``), the Python interpreter and the installed packages read-only, the casekit
package and its data read-only (never the kit's clone: no masters, notes, tests, ``.git`` or
``dist/``), an input folder read-only and an output folder it may write. It gets a private
``/tmp`` and HOME (small tmpfs), no network, its own PID/IPC/UTS namespaces (so nothing it starts
outlives it: when the step ends, the namespace and every process in it are gone), and limits on
memory, processes, CPU time, file size and wall time.

Limits, best first: cgroup v2 (memory and process count for all of the step's processes
together) where the host delegates it; otherwise per-process limits (``prlimit``: address space,
CPU, file size) plus a process-count limit under an unprivileged uid (as root, the step runs as
an unprivileged uid from 60000 up; root itself ignores process-count limits). :func:`probe` says which applies, and
the grade tables record it for every row.

Where no sandbox can be made (not Linux, no ``bwrap``, kernels without unprivileged user
namespaces), :func:`probe` says why and grading refuses unless asked to run unsandboxed.
"""
from __future__ import annotations

import functools
import os
import selectors
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = ["Limits", "Probe", "probe", "bwrap_args", "run", "Result", "python_binds",
           "package_binds", "SANDBOX_UID_BASE"]

# As root, each step runs as an unprivileged uid: 60000 + 64 x (a block for this grading process)
# + its slot. Process-count limits are per uid, so two graders on one machine (two clones, two
# courses) each get their own uids and cannot starve each other.
SANDBOX_UID_BASE = 60000 + 64 * (os.getpid() % 400)
IN, OUT = "/grader/in", "/grader/out"


@dataclass(frozen=True)
class Limits:
    """Per-step limits, all its processes together where the host allows."""
    memory_mb: int = 2048
    processes: int = 64
    cpu_seconds: int = 600
    wall_seconds: float = 600.0
    file_mb: int = 64
    tmp_mb: int = 256

    def describe(self, how: str) -> str:
        return (f"{how}: memory {self.memory_mb} MiB, {self.processes} processes, "
                f"CPU {self.cpu_seconds} s, wall {self.wall_seconds:g} s")


@dataclass(frozen=True)
class Probe:
    ok: bool
    how: str                 # "cgroup v2", "rlimit+uid", "rlimit", or "" when not ok
    reason: str = ""         # why no sandbox can be made, and what to do


# What the host keeps of a step's output: its result (standard output) up to this size, and the
# last few KB of its standard error. The rest is read and dropped, so a step that writes gigabytes
# costs the grader nothing but the time to discard them.
MAX_STDOUT_BYTES = 8 << 20
STDERR_TAIL_BYTES = 8 << 10


@dataclass
class Result:
    returncode: int | None
    timed_out: bool
    seconds: float
    stderr_tail: str = ""
    oom: bool = False
    notes: list[str] = field(default_factory=list)
    stdout: bytes = b""
    stdout_overflow: bool = False   # the step wrote more than MAX_STDOUT_BYTES: its result is refused
    stderr_bytes: int = 0           # how much it wrote to standard error (all but the tail dropped)


_NO_SANDBOX_HELP = (
    "Grade on Linux with bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; `make grade` "
    "installs it), or use otter-grader's own Docker grading (`otter grade`) on a machine that runs "
    "Docker. To grade here anyway, without isolation, pass --no-sandbox: every row of the tables "
    "is then marked 'unsandboxed'.")


def _cgroup_root() -> Path | None:
    """Our own cgroup v2 directory if we may create children with memory and pids limits."""
    base = Path("/sys/fs/cgroup")
    try:
        if not (base / "cgroup.controllers").exists():
            return None   # cgroup v1 or hybrid: no unified memory+pids for a process tree here
        rel = next((ln.split("::", 1)[1] for ln in Path("/proc/self/cgroup").read_text().splitlines()
                    if ln.startswith("0::")), None)
        if rel is None:
            return None
        own = base / rel.strip().lstrip("/")
        ctrl = (own / "cgroup.subtree_control").read_text().split()
        if "memory" not in ctrl or "pids" not in ctrl or not os.access(own, os.W_OK):
            return None
        return own
    except OSError:
        return None


@functools.lru_cache(maxsize=1)
def probe() -> Probe:
    """Can this machine sandbox a grading step, and with which limits?"""
    if not sys.platform.startswith("linux"):
        return Probe(False, "", f"Sandboxed grading needs Linux; this is {sys.platform}. {_NO_SANDBOX_HELP}")
    if shutil.which("bwrap") is None:
        return Probe(False, "", f"bubblewrap (bwrap) is not installed. {_NO_SANDBOX_HELP}")
    for tool in ("prlimit",) + (("setpriv",) if os.geteuid() == 0 else ()):
        if shutil.which(tool) is None:
            return Probe(False, "", f"{tool} (util-linux) is missing. {_NO_SANDBOX_HELP}")
    try:
        args = bwrap_args(["/bin/true"], Limits(wall_seconds=20), slot=0, ro=[], rw=[])
        res = subprocess.run(args, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Probe(False, "", f"bubblewrap could not start: {exc}. {_NO_SANDBOX_HELP}")
    if res.returncode != 0:
        msg = (res.stderr or "").strip().splitlines()[-1:] or ["no message"]
        return Probe(False, "", f"bubblewrap could not make a sandbox here ({msg[0]}); the kernel may not "
                                f"allow unprivileged user namespaces. {_NO_SANDBOX_HELP}")
    if _cgroup_root() is not None:
        return Probe(True, "cgroup v2")
    return Probe(True, "rlimit+uid" if os.geteuid() == 0 else "rlimit")


def python_binds() -> list[str]:
    """Folders the interpreter and installed packages live in (read-only in the sandbox)."""
    paths = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            paths.add(p)
    for p in sys.path:
        if p and p.rstrip("/").endswith(("site-packages", "dist-packages")):
            paths.add(p)
    real = {os.path.realpath(p) for p in paths if os.path.isdir(p)} | {p for p in paths if os.path.isdir(p)}
    return _outermost(real)


def package_binds() -> tuple[list[str], str | None]:
    """The casekit package folder and its data folder (never the clone around them), and the
    PYTHONPATH entry the sandbox needs when casekit is not importable from site-packages."""
    import casekit
    from casekit import datasets

    pkg = Path(casekit.__file__).resolve().parent
    binds = {str(pkg)}
    data = getattr(datasets, "DATA_DIR", None)
    if data is not None and Path(data).exists():
        binds.add(str(Path(data).resolve()))
    site = [os.path.realpath(p) for p in python_binds()]
    inside_site = any(str(pkg).startswith(s + os.sep) for s in site)
    # an editable install maps the package through a finder in site-packages; a PYTHONPATH
    # checkout needs its parent on the path (only the package folder itself is bound there)
    pythonpath = None if inside_site or _editable_maps_to(pkg) else str(pkg.parent)
    return sorted(binds), pythonpath


def _editable_maps_to(pkg: Path) -> bool:
    for finder in sys.meta_path:
        mapping = getattr(finder, "MAPPING", None) or getattr(sys.modules.get(type(finder).__module__), "MAPPING", None)
        if isinstance(mapping, dict) and any(Path(v).resolve() == pkg for v in mapping.values()):
            return True
    return False


def _outermost(paths) -> list[str]:
    out: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return out


_SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"]


def bwrap_args(cmd: list[str], limits: Limits, slot: int, ro: list[str], rw: list[str],
               extra_ro: list[tuple[str, str]] = (), env: dict[str, str] | None = None,
               how: str | None = None) -> list[str]:
    """The whole command line of one sandboxed step.

    ``ro``/``rw`` are host folders bound at the same path; ``extra_ro`` are (host, inside) pairs.
    Every folder a bind needs on its way is created world-readable (bubblewrap would make them
    0700, which the unprivileged uid cannot cross).
    """
    args = ["bwrap"]
    bound: list[str] = []

    def parents(target: str):
        parts = Path(target).parts
        for k in range(2, len(parts)):
            d = str(Path(*parts[:k]))
            if d in made or any(d == b or d.startswith(b.rstrip("/") + "/") for b in bound):
                continue
            made.add(d)
            args.extend(["--perms", "0755", "--dir", d])

    made: set[str] = set()
    for sysdir in _SYSTEM:
        if os.path.isdir(sysdir) and not os.path.islink(sysdir):
            args += ["--ro-bind", sysdir, sysdir]
            bound.append(sysdir)
        elif os.path.islink(sysdir):
            args += ["--symlink", os.readlink(sysdir), sysdir]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp"]
    made.add("/tmp")
    for path in _outermost([p for p in ro if p not in _SYSTEM]):
        if any(path == b or path.startswith(b.rstrip("/") + "/") for b in bound):
            continue
        parents(path)
        args += ["--ro-bind", path, path]
        bound.append(path)
    for host, inside in extra_ro:
        parents(inside)
        args += ["--ro-bind", host, inside]
        bound.append(inside)
    for path in rw:
        parents(path)
        args += ["--bind", path, path]
        bound.append(path)
    args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
             "--hostname", "grader", "--die-with-parent", "--new-session", "--clearenv"]
    if os.geteuid() != 0:
        args.append("--unshare-user")
    base_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
                "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/.mpl", "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONSAFEPATH": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    base_env.update(env or {})
    for k, v in base_env.items():
        args += ["--setenv", k, v]
    args += ["--chdir", "/tmp", "--"]
    how = how or ("rlimit+uid" if os.geteuid() == 0 else "rlimit")
    limit = ["prlimit", f"--cpu={limits.cpu_seconds}", f"--fsize={limits.file_mb << 20}",
             "--nofile=256", "--core=0"]
    if how != "cgroup v2":
        limit.append(f"--as={limits.memory_mb << 20}")
        if os.geteuid() == 0:
            limit.append(f"--nproc={limits.processes}")
        else:   # the count is per user: allow what this user already runs, plus the step's own
            limit.append(f"--nproc={_running_processes(os.getuid()) + limits.processes}")
    if os.geteuid() == 0:
        uid = str(SANDBOX_UID_BASE + slot)
        args += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs"]
    return args + limit + ["--"] + list(cmd)


def _running_processes(uid: int) -> int:
    n = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    n += 1
            except OSError:
                pass
    return n


class _Cgroup:
    """A child cgroup v2 for one step (memory and process count for all its processes)."""

    def __init__(self, root: Path, limits: Limits, slot: int):
        self.path = root / f"casekit-grade-{os.getpid()}-{slot}-{time.monotonic_ns()}"
        self.path.mkdir()
        (self.path / "memory.max").write_text(str(limits.memory_mb << 20))
        try:
            (self.path / "memory.swap.max").write_text("0")
        except OSError:
            pass
        (self.path / "pids.max").write_text(str(limits.processes + 8))

    def enter(self):   # runs in the child between fork and exec
        with open(self.path / "cgroup.procs", "w") as fh:
            fh.write(str(os.getpid()))

    def oom(self) -> bool:
        try:
            events = dict(ln.split() for ln in (self.path / "memory.events").read_text().splitlines())
            return int(events.get("oom_kill", 0)) > 0
        except (OSError, ValueError):
            return False

    def remove(self):
        try:
            (self.path / "cgroup.kill").write_text("1")
        except OSError:
            pass
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.05)


_live: set[subprocess.Popen] = set()


def stop_all() -> None:
    """Kill every running step (an interrupt): each is its own process group and PID namespace."""
    for proc in list(_live):
        _killpg(proc)


def _killpg(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run(cmd: list[str], *, limits: Limits, slot: int, ro: list[str], rw: list[str],
        extra_ro: list[tuple[str, str]] = (), env: dict[str, str] | None = None,
        sandbox: bool = True) -> Result:
    """Run one step, sandboxed (or, with ``sandbox=False``, as a plain subprocess with the same
    wall-time limit), and wait for it; never raises for what the step does."""
    info = probe() if sandbox else Probe(True, "none")
    cgroup = None
    preexec = None
    if sandbox:
        if info.how == "cgroup v2":
            try:
                cgroup = _Cgroup(_cgroup_root(), limits, slot)
                preexec = cgroup.enter
            except OSError:
                cgroup, info = None, replace(info, how="rlimit+uid" if os.geteuid() == 0 else "rlimit")
        args = bwrap_args(cmd, limits, slot, ro, rw, extra_ro, env, how=info.how)
        run_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    else:
        args = list(cmd)
        run_env = dict(os.environ, **(env or {}), MPLBACKEND="Agg", PYTHONSAFEPATH="1")
    t0 = time.monotonic()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=run_env, start_new_session=True,
                            preexec_fn=preexec)
    _live.add(proc)
    try:
        out, tail, overflow, timed_out, err_total = _drain(proc, t0 + limits.wall_seconds)
    except BaseException:
        _killpg(proc)
        proc.wait()
        raise
    finally:
        _live.discard(proc)
        if not sandbox:   # no PID namespace: kill whatever the step left in its session
            _killpg(proc)
        oom = cgroup.oom() if cgroup else False
        if cgroup:
            cgroup.remove()
    return Result(proc.returncode, timed_out, time.monotonic() - t0,
                  tail.decode("utf-8", "replace")[-4000:], oom, stdout=out, stdout_overflow=overflow,
                  stderr_bytes=err_total)


def _drain(proc: subprocess.Popen, deadline: float,
           out_cap: int = MAX_STDOUT_BYTES, err_cap: int = STDERR_TAIL_BYTES):
    """Read both pipes until the step ends or the deadline passes, keeping at most ``out_cap``
    bytes of standard output and the last ``err_cap`` of standard error (never ``communicate()``,
    which keeps everything). A step that overflows its output cap is stopped at once."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    out, err = bytearray(), bytearray()
    overflow = timed_out = False
    err_total = 0
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready = sel.select(timeout=min(left, 1.0))
            if not ready and proc.poll() is not None:
                break   # the step ended; something it left behind holds the pipes open
            for key, _ in ready:
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fileobj)
                elif key.data == "err":
                    err_total += len(chunk)
                    err += chunk
                    if len(err) > 2 * err_cap:
                        del err[:-err_cap]
                elif not overflow:
                    if len(out) + len(chunk) > out_cap:
                        overflow = True
                        out.clear()
                        _killpg(proc)
                    else:
                        out += chunk
        if not timed_out:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                timed_out = True
        if timed_out:
            _killpg(proc)
            proc.wait()
    finally:
        sel.close()
        proc.stdout.close()
        proc.stderr.close()
    return bytes(out), bytes(err[-err_cap:]), overflow, timed_out, err_total
