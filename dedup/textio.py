"""Reading inputs with one-line reasons for what is wrong, and atomic writes."""

from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
from pathlib import Path

__all__ = ["InputError", "RunError", "atomic_write_text", "decode", "prepare_out", "publish", "read_text", "write_csv"]


class RunError(Exception):
    """A run cannot go on; ``str()`` says why in one line."""


class InputError(Exception):
    """An input that cannot be used; ``str()`` is a one-line reason naming it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def _read_bytes(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except IsADirectoryError:
        raise InputError(name, "is a directory, not a file") from None
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except OSError as err:
        raise InputError(name, f"cannot read: {err.strerror or err}") from None


def decode(name: str, data: bytes, encoding: str = "utf-8") -> str:
    """Decode ``data`` or say why not: binary content, bad bytes (with offset), or no text at all."""
    if b"\x00" in data:
        raise InputError(name, "binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding)
    except UnicodeDecodeError as err:
        hint = " (legacy Arabic text is often --encoding cp1256)" if encoding.lower() in ("utf-8", "utf8") else ""
        raise InputError(name, f"not valid {encoding} at byte {err.start}{hint}") from None
    except LookupError:
        raise InputError(name, f"unknown encoding {encoding!r}") from None
    if not text.strip():
        raise InputError(name, "empty file (no text)")
    return text


def read_text(name: str, encoding: str = "utf-8") -> str:
    """The text of file ``name`` (``-`` is standard input), or :class:`InputError`."""
    return decode(name, _read_bytes(name), encoding)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prepare_out(out: Path) -> Path:
    """A fresh temporary folder beside ``out``; refuse to replace a folder that is not a previous output."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").exists())):
        raise RunError(f"{out}: exists and is not a dedup output folder; refusing to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    tmp.mkdir()
    return tmp


def publish(tmp: Path, out: Path) -> None:
    """Move the finished temporary folder into place, replacing a previous output."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def write_csv(path: Path, header: list[str], rows: list) -> None:
    """A whole CSV file: the header, then every row."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
