"""Keyed hashes (HMAC-SHA256) for what grading must be able to trust later: the autograder
bundle, its manifest and every cache entry. The key is made once per ``dist/`` folder
(``dist/.grader-key``, readable by the instructor only) and never enters a sandbox; a bundle or
cache entry changed by anyone without the key no longer matches.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

__all__ = ["key_for", "mac", "mac_file", "canonical", "verify"]

KEY_NAME = ".grader-key"


def key_for(dist: Path) -> bytes:
    dist = Path(dist)
    dist.mkdir(parents=True, exist_ok=True)
    path = dist / KEY_NAME
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def mac_file(key: bytes, path: Path) -> str:
    h = hmac.new(key, digestmod=hashlib.sha256)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(expected: str, actual: str) -> bool:
    return isinstance(expected, str) and hmac.compare_digest(expected, actual)
